"""Reads: which experiment runs on a surface (cheap enough for every slate), a viewer's arm, an interleaved row."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from django.db.models import QuerySet

from experiments.assignment import arm_index, request_rng
from experiments.config import Arm
from experiments.interleaving import Interleaved, team_draft_interleave
from experiments.models import Experiment, ExperimentState
from marketplace.errors import NotFoundError

RUNNING_CHECK_SECONDS = 10.0  # how stale a process's view of the running experiments may be
EXPERIMENT_UNKNOWN = "No experiment {name!r}."

_lock = threading.Lock()
_running: dict[str, Experiment] = {}  # surface -> its running experiment
_running_at = float("-inf")  # monotonic time of the last read


def running_experiment(surface: str) -> Experiment | None:
    """The experiment running on `surface`, or None: one query for all surfaces every `RUNNING_CHECK_SECONDS` per
    process, none in between. Callers only read the instance it returns."""
    global _running, _running_at
    now = time.monotonic()
    with _lock:
        if now - _running_at < RUNNING_CHECK_SECONDS:
            return _running.get(surface)
    running = {e.surface: e for e in Experiment.objects.filter(state=ExperimentState.RUNNING)}
    with _lock:
        _running, _running_at = running, now
    return running.get(surface)


def running_experiments_forget() -> None:
    """Read the running experiments anew on the next call (after a start or stop in this process; tests)."""
    global _running_at
    with _lock:
        _running_at = float("-inf")


def arm_for(experiment: Experiment, viewer_key: str) -> Arm | None:
    """The arm this viewer sees in an A/B experiment: the same on every request (a hash of the experiment's salt
    and the key, split by its weights). None for a viewer without a key, and for an interleaving experiment, whose
    viewers see both arms in every row (`interleave_for`)."""
    if not viewer_key or experiment.is_interleaving:
        return None
    arms = experiment.arm_list
    return arms[arm_index(salt=experiment.salt, key=viewer_key, shares=experiment.shares)]


def interleave_for(experiment: Experiment, *, viewer_key: str, request_id: str, a_ids: Sequence[int],
                   b_ids: Sequence[int], k: int) -> tuple[list[int], list[str]]:
    """One response's row of an interleaving experiment: its two arms' rankings (`a_ids` from the first arm, `b_ids`
    from the second) merged by team draft, with the `recommender` label each position's impression must carry
    (`"<experiment>:<arm>"`). The coin flips are seeded by the request, so the row is reproducible from the log."""
    rng = request_rng(salt=experiment.salt, key=viewer_key, request_id=request_id)
    merged: Interleaved = team_draft_interleave(a_ids, b_ids, k, rng)
    labels = [arm.label(experiment.name) for arm in experiment.arm_list]
    return merged.ids, [labels[team] for team in merged.teams]


def experiment_list() -> QuerySet[Experiment]:
    return Experiment.objects.all()


def experiment_get(*, name: str) -> Experiment:
    experiment = Experiment.objects.filter(name=name).first()
    if experiment is None:
        raise NotFoundError(EXPERIMENT_UNKNOWN.format(name=name))
    return experiment
