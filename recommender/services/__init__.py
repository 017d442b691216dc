"""Writes of the recommender app: offline training / evaluation and the model-version registry."""

from recommender.services.training import (
    EvaluationData,
    EvaluationRun,
    TrainResult,
    baseline_metrics,
    evaluation_data_from_db,
    evaluation_data_from_files,
    model_evaluate,
    model_train,
    model_version_activate,
    recommender_names_resolve,
)
from recommender.services.training_jobs import training_superseded_skip

__all__ = [
    "EvaluationData",
    "EvaluationRun",
    "TrainResult",
    "baseline_metrics",
    "evaluation_data_from_db",
    "evaluation_data_from_files",
    "model_evaluate",
    "model_train",
    "model_version_activate",
    "recommender_names_resolve",
    "training_superseded_skip",
]
