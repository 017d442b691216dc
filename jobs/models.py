"""A row per long-running background job (seeding, embedding, unit builds, training, backfills): what the admin
status page and `manage.py status` show. Jobs write their own progress (`jobs.services`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobKind(models.TextChoices):
    SEEDING = "seeding", "seeding"
    EMBEDDING = "embedding", "embedding"
    UNIT_BUILD = "unit_build", "interest-unit build"
    TRAINING = "training", "training"
    BACKFILL = "backfill", "backfill"
    OTHER = "other", "other"


class JobState(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"
    INTERRUPTED = "interrupted", "interrupted"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class BackgroundJob(models.Model):
    kind = models.CharField(max_length=20, choices=JobKind.choices)
    name = models.CharField(max_length=120, help_text="what it works on: a model name, 'listings', ...")
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.RUNNING)
    stage = models.CharField(max_length=120, blank=True, help_text="the part running now, e.g. 'pre-training'")
    epoch = models.PositiveIntegerField(null=True, blank=True)
    epochs = models.PositiveIntegerField(null=True, blank=True, help_text="most epochs; early stopping may end sooner")
    done = models.PositiveBigIntegerField(null=True, blank=True, help_text="units of work done (rows, listings)")
    total = models.PositiveBigIntegerField(null=True, blank=True)
    metric_name = models.CharField(max_length=60, blank=True)
    metric_value = models.FloatField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True, help_text="expected end at the current pace")
    message = models.TextField(blank=True)
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid of the process running it")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="last progress report (a heartbeat)")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "name", "state"]), models.Index(fields=["-created_at"])]
        verbose_name = "background job"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} ({self.state})"
