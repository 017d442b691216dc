"""What the recommender side requires of an experiment's arms (registered with `experiments.config` by
`RecommenderConfig.ready`, since experiments sit below the recommenders and cannot import them)."""

from __future__ import annotations

from collections.abc import Sequence

from experiments.config import EXPERIMENT_VERSION_NOT_SERVED, EXPERIMENT_VERSION_UNKNOWN, Arm
from marketplace.errors import ApplicationError
from recommender.models import ModelVersion


def experiment_arms_versions_check(arms: Sequence[Arm]) -> None:
    """Each arm pinned to a model version names one that exists, under the arm's recommender name, and is the
    model's active version: the surfaces compute every row from the active version's vectors, so an arm pinned to
    another version would silently serve the active one."""
    pinned = {arm.version: arm for arm in arms if arm.version is not None}
    if not pinned:
        return
    found = {pk: (name, active) for pk, name, active in
             ModelVersion.objects.filter(pk__in=list(pinned)).values_list("pk", "name", "is_active")}
    for version, arm in pinned.items():
        name, active = found.get(version, (None, False))
        if name != arm.model:
            raise ApplicationError(EXPERIMENT_VERSION_UNKNOWN.format(arm=arm.name, version=version, model=arm.model))
        if not active:
            raise ApplicationError(EXPERIMENT_VERSION_NOT_SERVED.format(arm=arm.name, version=version, model=arm.model))
