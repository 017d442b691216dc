"""Enqueueing background work safely: after the transaction commits, and never failing the request.

Postgres holds every event and listing before a task is enqueued, so a broker outage only delays derived data
(counters, vectors); the periodic refresh tasks catch up. In eager mode (tests) errors propagate.
"""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: object) -> None:
    """Run `task.delay(*args)` once the current transaction commits (immediately outside one)."""

    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                raise
            logger.warning("could not enqueue %s%r; the periodic refresh will catch up", task.name, args,
                           exc_info=True)

    transaction.on_commit(send)
