"""Training as a visible, resumable background job: the status row it reports epochs to, and where its resume
states live.

Layout under the artifacts directory (`out_dir` of `model_train`, RECOMMENDER_ARTIFACTS_DIR by default):
`resume/<name>/window.json` pins the data window of an unfinished run (the end of the events it read), so that a
restarted run reads the very same events even though the marketplace kept logging; `resume/<name>/<fingerprint>/`
holds the `Trainer`'s per-stage states (`recommender.nets.resume`). The fingerprint covers the model's name and
config, the training events and the item table: a restart on other data (or with another config) starts over,
and the stale states are deleted. A run that finishes deletes both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from jobs.models import BackgroundJob, JobKind
from jobs.services import job_finish, job_progress, job_start
from recommender.data import Dataset
from recommender.models import ModelVersion
from recommender.nets.resume import ResumeStore
from recommender.nets.training import TrainingProgress

logger = logging.getLogger(__name__)

RESUME_DIR = "resume"
WINDOW_FILE = "window.json"


def data_fingerprint(*, name: str, config: dict[str, Any], train: Dataset) -> str:
    """16 hex digits that change when anything the fit depends on changes: model, config, events, items."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(json.dumps({"name": name, "config": config}, sort_keys=True, default=str).encode())
    events, items = train.events, train.items
    for column in (events.user, events.session, events.item, events.action, events.timestamp, events.request,
                   items.item_id, items.category, items.brand, items.product, items.condition, items.price,
                   items.interest_unit, items.spu_unit):
        digest.update(b"|" if column is None else np.ascontiguousarray(column).tobytes())
    if items.text_vector is not None:
        digest.update(np.ascontiguousarray(items.text_vector).tobytes())
    digest.update("\n".join(items.titles).encode())
    digest.update(json.dumps(sorted((int(k), np.asarray(v).tolist()) for k, v in train.unit_features.items()))
                  .encode())
    return digest.hexdigest()


def resume_store_for(*, out_dir: Path, name: str, fingerprint: str) -> ResumeStore:
    """The run's store; states of `name` left by runs on other data are deleted (they can never resume)."""
    root = out_dir / RESUME_DIR / name
    if root.is_dir():
        for stale in root.iterdir():
            if stale.is_dir() and stale.name != fingerprint:
                logger.info("%s: the data or config changed since an interrupted run; its resume state %s is "
                            "dropped and training starts over", name, stale)
                shutil.rmtree(stale, ignore_errors=True)
    return ResumeStore(root / fingerprint)


def training_window_pinned(*, out_dir: Path, names: list[str]) -> datetime | None:
    """The end of the data window of an unfinished run of one of `names` (the first found), else None."""
    for name in names:
        path = out_dir / RESUME_DIR / name / WINDOW_FILE
        try:
            return datetime.fromisoformat(json.loads(path.read_text())["until"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def training_window_pin(*, out_dir: Path, name: str, until: datetime) -> None:
    path = out_dir / RESUME_DIR / name / WINDOW_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"until": until.astimezone(UTC).isoformat()}))


def training_resume_clear(*, out_dir: Path, name: str) -> None:
    """A finished run's resume states and window pin are no longer needed."""
    shutil.rmtree(out_dir / RESUME_DIR / name, ignore_errors=True)


def training_progress_reporter(
    job: BackgroundJob, *, also: Callable[[TrainingProgress], None] | None = None
) -> Callable[[TrainingProgress], None]:
    """A `TrainingHooks.on_progress` that writes epoch, metric so far and ETA to `job` (every epoch's end, and
    within an epoch at most every few seconds); `also` sees every report too (tests, progress bars)."""

    def report(progress: TrainingProgress) -> None:
        metric = progress.monitor if progress.monitor and progress.monitor in progress.metrics else "loss"
        value = progress.metrics.get(metric)
        steps = f", step {progress.step}/{progress.steps}" if progress.steps and not progress.epoch_done else ""
        resumed = f", resumed after epoch {progress.resumed_from}" if progress.resumed_from else ""
        job_progress(
            job=job, force=progress.epoch_done, stage=f"{progress.stage}{steps}{resumed}"[:120],
            epoch=progress.epoch, epochs=progress.epochs, metric_name=metric if value is not None else "",
            metric_value=None if value is None else float(value), eta_seconds=progress.eta_seconds,
        )
        if also is not None:
            also(progress)

    return report


def training_superseded_skip(*, name: str, queued_at: float) -> ModelVersion | None:
    """When a version of `name` was trained after a run was queued (`queued_at`, epoch seconds), the run is a
    duplicate: its queued job is closed as skipped and that version is returned (the caller then trains nothing).
    The demo queues every untrained model at each start, while the broker may still hold the previous start's
    messages; without this each model would train twice."""
    since = datetime.fromtimestamp(queued_at, tz=UTC)
    newer = ModelVersion.objects.filter(name=name, created_at__gt=since).exclude(checkpoint="").first()
    if newer is not None:
        job = job_start(kind=JobKind.TRAINING, name=name)
        job_finish(job=job, message=f"skipped: version #{newer.pk} was trained after this run was queued")
    return newer
