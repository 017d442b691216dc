"""Writes of background-job status. Any long task calls `job_start`, then `job_progress` as often as it likes
(writes are throttled to one per `PROGRESS_WRITE_SECONDS`), then `job_finish`; or wraps its work in `job_tracked`,
which records done / failed / interrupted (Ctrl-C, a worker shutting down) by itself.

Call these outside `transaction.atomic`: a status row written inside a transaction is invisible to the status page
until the transaction commits, and lost with it when it rolls back.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils import timezone

from jobs.models import BackgroundJob, JobKind, JobState

logger = logging.getLogger(__name__)

PROGRESS_WRITE_SECONDS = 2.0  # one status write per job per this many seconds at most (unless forced)
PROGRESS_FIELDS = frozenset({"stage", "epoch", "epochs", "done", "total", "metric_name", "metric_value", "eta",
                             "message"})
_WRITTEN_AT = "_progress_written_at"  # instance attribute: monotonic time of the last progress write


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str) -> bool:
    """True when `worker` ran on this host and its process no longer exists (killed, restarted)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def job_queue(*, kind: str, name: str, message: str = "") -> BackgroundJob:
    """A job that is waiting for a worker (call where it is enqueued); `job_start` of the same kind and name
    takes it over."""
    job = BackgroundJob.objects.create(kind=kind, name=name[:120], state=JobState.QUEUED, message=message)
    logger.info("%s %s queued (job #%d)", job.get_kind_display(), name, job.pk)
    return job


def job_start(
    *, kind: str, name: str, stage: str = "", epochs: int | None = None, total: int | None = None, message: str = ""
) -> BackgroundJob:
    """The job of `kind` / `name` is running in this process. Takes over the oldest queued job of that kind and
    name, and marks as interrupted the running ones whose process on this host is gone (a killed worker)."""
    now = timezone.now()
    for stale in BackgroundJob.objects.filter(kind=kind, name=name, state=JobState.RUNNING).exclude(worker=""):
        if _process_gone(stale.worker):
            BackgroundJob.objects.filter(pk=stale.pk).update(
                state=JobState.INTERRUPTED, finished_at=now, message=f"its process ({stale.worker}) is gone")
            logger.warning("%s %s: job #%d was interrupted (its process %s is gone)",
                           stale.get_kind_display(), name, stale.pk, stale.worker)
    fields: dict[str, Any] = {
        "state": JobState.RUNNING, "stage": stage, "epochs": epochs, "total": total, "message": message,
        "worker": worker_id(), "started_at": now, "updated_at": now,
    }
    job = BackgroundJob.objects.filter(kind=kind, name=name, state=JobState.QUEUED).order_by("created_at").first()
    if job is None:
        job = BackgroundJob.objects.create(kind=kind, name=name[:120], created_at=now, **fields)
    else:
        BackgroundJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    setattr(job, _WRITTEN_AT, time.monotonic())
    logger.info("%s %s started (job #%d)%s", job.get_kind_display(), name, job.pk, f": {message}" if message else "")
    return job


def job_progress(*, job: BackgroundJob, force: bool = False, eta_seconds: float | None = None,
                 **fields: Any) -> bool:
    """Record progress (`epoch`, `epochs`, `metric_name`, `metric_value`, `done`, `total`, `stage`, `message`,
    and `eta_seconds` from now). Written at most once per `PROGRESS_WRITE_SECONDS` unless `force` (an epoch's
    end); returns whether it was written. The fields are kept on `job` either way."""
    unknown = set(fields) - PROGRESS_FIELDS
    if unknown:
        raise TypeError(f"job_progress: unknown field(s) {', '.join(sorted(unknown))}")
    if eta_seconds is not None:
        fields["eta"] = timezone.now() + timedelta(seconds=max(eta_seconds, 0.0))
    for key, value in fields.items():
        setattr(job, key, value)
    if not force and time.monotonic() - getattr(job, _WRITTEN_AT, 0.0) < PROGRESS_WRITE_SECONDS:
        return False
    job.updated_at = timezone.now()
    values = {key: getattr(job, key) for key in PROGRESS_FIELDS} | {"updated_at": job.updated_at}
    BackgroundJob.objects.filter(pk=job.pk).update(**values)
    setattr(job, _WRITTEN_AT, time.monotonic())
    logger.debug("job #%d progress: %s", job.pk, fields)
    return True


def job_finish(*, job: BackgroundJob, state: str = JobState.DONE, message: str | None = None) -> BackgroundJob:
    """The job ended: done, failed or interrupted. Logged at INFO, ERROR and WARNING respectively."""
    now = timezone.now()
    job.state, job.finished_at, job.updated_at = state, now, now
    if message is not None:
        job.message = message
    if state == JobState.DONE:
        job.eta = None
    values = {key: getattr(job, key) for key in PROGRESS_FIELDS}
    BackgroundJob.objects.filter(pk=job.pk).update(state=state, finished_at=now, updated_at=now, **values)
    took = (now - job.started_at).total_seconds() if job.started_at else 0.0
    level = {JobState.DONE: logging.INFO, JobState.FAILED: logging.ERROR}.get(state, logging.WARNING)
    logger.log(level, "%s %s %s after %.0f s (job #%d)%s", job.get_kind_display(), job.name, state, took, job.pk,
               f": {job.message}" if job.message else "")
    return job


@contextmanager
def job_tracked(*, kind: str = JobKind.OTHER, name: str, **start: Any) -> Iterator[BackgroundJob]:
    """`job_start`, the work, then `job_finish`: done when the block ends (unless it finished the job itself),
    interrupted on Ctrl-C or a shutdown, failed on an exception (re-raised in every case)."""
    job = job_start(kind=kind, name=name, **start)
    try:
        yield job
    except (KeyboardInterrupt, SystemExit) as stop:
        job_finish(job=job, state=JobState.INTERRUPTED, message=f"interrupted ({stop.__class__.__name__})")
        raise
    except BaseException as error:
        job_finish(job=job, state=JobState.FAILED, message=f"{error.__class__.__name__}: {error}"[:2000])
        raise
    if job.state not in (JobState.DONE, JobState.FAILED, JobState.INTERRUPTED):
        job_finish(job=job)
