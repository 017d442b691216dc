"""What the recommender side requires of an experiment's arms (registered with `experiments.config` by
`RecommenderConfig.ready`, since experiments sit below the recommenders and cannot import them)."""

from __future__ import annotations

from collections.abc import Sequence

from experiments.config import EXPERIMENT_VERSION_UNKNOWN, Arm
from marketplace.errors import ApplicationError
from recommender.models import ModelVersion


def experiment_arms_versions_check(arms: Sequence[Arm]) -> None:
    """Each arm pinned to a model version names one that exists, under the arm's recommender name."""
    pinned = {arm.version: arm for arm in arms if arm.version is not None}
    if not pinned:
        return
    found = dict(ModelVersion.objects.filter(pk__in=list(pinned)).values_list("pk", "name"))
    for version, arm in pinned.items():
        if found.get(version) != arm.model:
            raise ApplicationError(EXPERIMENT_VERSION_UNKNOWN.format(arm=arm.name, version=version, model=arm.model))
