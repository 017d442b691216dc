"""Reads of the model-version registry (`ModelVersion`): which version serves a name, and its primary metric."""

from __future__ import annotations

from typing import Any

from recommender.base import Recommender
from recommender.models import ModelVersion


def model_version_active(name: str) -> ModelVersion | None:
    """The version served under registry name `name`, or None when none is active."""
    return ModelVersion.objects.filter(name=name, is_active=True).first()


def model_version_primary_value(version: ModelVersion) -> tuple[str, str, Any]:
    """(protocol, metric, value) of the version's primary metric; value is None when it was not measured."""
    from recommender.registry import registry_entry  # imports every model, torch with them: only when asked

    try:
        model_class = registry_entry(version.name).cls
    except KeyError:  # a model no longer registered: judged by the default protocol
        model_class = Recommender
    protocol, metric = model_class.primary_protocol, model_class.primary_metric
    values = (version.metrics or {}).get(protocol)
    value = values.get(metric) if isinstance(values, dict) else None
    return protocol, metric, value
