"""Writes: create, start and stop an experiment."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from experiments.config import experiment_arms_check
from experiments.models import Experiment, ExperimentKind, ExperimentState, PrimaryMetric
from experiments.selectors import running_experiments_forget
from marketplace.errors import ConflictError, NotFoundError

EXPERIMENT_NOT_FOUND = "No experiment #{id}."
EXPERIMENT_NAME_TAKEN = "An experiment named {name!r} exists already."
EXPERIMENT_NOT_DRAFT = "{name!r} is {state}: only a draft starts (a stopped experiment's results cover one window; " \
                       "create a new one to run again)."
EXPERIMENT_NOT_RUNNING = "{name!r} is {state}: only a running experiment stops."
EXPERIMENT_SURFACE_BUSY = "{other!r} is already running on {surface}; stop it first."


def experiment_create(*, name: str, surface: str, arms: list[dict], kind: str = ExperimentKind.AB,
                      weights: list[float] | None = None, primary_metric: str = PrimaryMetric.CTR,
                      description: str = "", salt: str | None = None, layout: str = "") -> Experiment:
    """A draft experiment, validated (ApplicationError with a clear message otherwise). `layout`: see
    `ExperimentLayout` (empty: the kind's own)."""
    experiment = Experiment(name=name, surface=surface, kind=kind, arms=arms, weights=weights or [],
                            primary_metric=primary_metric, description=description, layout=layout)
    if salt:
        experiment.salt = salt
    experiment_arms_check(experiment.config_check())
    try:
        with transaction.atomic():
            experiment.save()
    except IntegrityError:
        raise ConflictError(EXPERIMENT_NAME_TAKEN.format(name=name)) from None
    return experiment


def _locked(experiment_id: int) -> Experiment:
    experiment = Experiment.objects.select_for_update().filter(pk=experiment_id).first()
    if experiment is None:
        raise NotFoundError(EXPERIMENT_NOT_FOUND.format(id=experiment_id))
    return experiment


def experiment_start(*, experiment_id: int) -> Experiment:
    """Start a draft: from now on its surface serves its arms (within `RUNNING_CHECK_SECONDS` in every process)."""
    with transaction.atomic():
        experiment = _locked(experiment_id)
        if experiment.state != ExperimentState.DRAFT:
            raise ConflictError(EXPERIMENT_NOT_DRAFT.format(name=experiment.name, state=experiment.state))
        experiment_arms_check(experiment.config_check())
        other = (Experiment.objects.filter(surface=experiment.surface, state=ExperimentState.RUNNING)
                 .values_list("name", flat=True).first())
        if other is not None:
            raise ConflictError(EXPERIMENT_SURFACE_BUSY.format(other=other, surface=experiment.get_surface_display()))
        experiment.state = ExperimentState.RUNNING
        experiment.started_at = timezone.now()
        try:
            with transaction.atomic():  # a concurrent start on the same surface loses on the unique constraint
                experiment.save(update_fields=["state", "started_at"])
        except IntegrityError:
            raise ConflictError(EXPERIMENT_SURFACE_BUSY.format(
                other="another experiment", surface=experiment.get_surface_display())) from None
        transaction.on_commit(running_experiments_forget)
    return experiment


def experiment_stop(*, experiment_id: int) -> Experiment:
    """Stop a running experiment: its surface goes back to what it served before; its results window closes."""
    with transaction.atomic():
        experiment = _locked(experiment_id)
        if experiment.state != ExperimentState.RUNNING:
            raise ConflictError(EXPERIMENT_NOT_RUNNING.format(name=experiment.name, state=experiment.state))
        experiment.state = ExperimentState.STOPPED
        experiment.stopped_at = timezone.now()
        experiment.save(update_fields=["state", "stopped_at"])
        transaction.on_commit(running_experiments_forget)
    return experiment
