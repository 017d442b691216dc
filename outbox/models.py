"""One row per piece of background work that must happen (invariant 5): written in the same transaction as the
change that needs it, deleted by the task that did it. Redis only carries a copy; a lost copy is re-sent."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    task = models.CharField(max_length=200, help_text="registered Celery task name")
    args = models.JSONField(default=list, help_text="positional arguments (ids and names: JSON)")
    created_at = models.DateTimeField(default=timezone.now)
    # The lease: not re-sent before this. A sent message whose task has not finished by then is presumed lost
    # (a worker killed, a broker restarted without persistence, a task that failed past its retries).
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0, help_text="re-sends by the drain")
    last_error = models.TextField(blank=True)
    dead_at = models.DateTimeField(null=True, blank=True, help_text="given up after too many attempts")

    class Meta:
        indexes = [
            # the drain's scan: pending rows by lease, dead ones out of the way
            models.Index(fields=["available_at"], condition=Q(dead_at__isnull=True), name="outbox_pending_due"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)!r}"

    @property
    def is_dead(self) -> bool:
        return self.dead_at is not None
