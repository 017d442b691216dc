"""Reads of background-job status, shared by the admin status page and `manage.py status`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from jobs.models import ACTIVE_STATES, BackgroundJob, JobState

STALLED_AFTER = timedelta(minutes=10)  # a running job silent this long has probably lost its process


def job_list_recent(*, limit: int = 20, active_only: bool = False) -> QuerySet[BackgroundJob]:
    jobs = BackgroundJob.objects.all()
    if active_only:
        jobs = jobs.filter(state__in=ACTIVE_STATES)
    return jobs.order_by("-created_at", "-id")[:limit]


def job_state_shown(job: BackgroundJob, *, now: datetime | None = None) -> str:
    """The state, with 'stalled' for a running job whose heartbeat stopped (its worker was killed, most likely;
    the next start of the same job marks it interrupted)."""
    now = now or timezone.now()
    if job.state == JobState.RUNNING and now - job.updated_at > STALLED_AFTER:
        return "stalled"
    return job.state


def job_progress_text(job: BackgroundJob) -> str:
    """'epoch 3/10' for training, '1,200/20,000' for counted work, '' when the job reports neither."""
    parts = []
    if job.epoch is not None:
        parts.append(f"epoch {job.epoch}/{job.epochs}" if job.epochs else f"epoch {job.epoch}")
    if job.done is not None:
        parts.append(f"{job.done:,}/{job.total:,}" if job.total else f"{job.done:,}")
    return ", ".join(parts)


def job_metric_text(job: BackgroundJob) -> str:
    if not job.metric_name or job.metric_value is None:
        return ""
    return f"{job.metric_name} {job.metric_value:.4f}"


def duration_text(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def job_eta_text(job: BackgroundJob, *, now: datetime | None = None) -> str:
    if job.eta is None or job.state != JobState.RUNNING:
        return ""
    return duration_text((job.eta - (now or timezone.now())).total_seconds())
