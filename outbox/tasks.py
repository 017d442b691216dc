"""The outbox's background side: the periodic drain, and the Celery signal hooks that finish a message.

One shared mechanism for every task: a task published through the outbox carries the `outbox_id` header, and
whatever task completes with it deletes its row (`task_success`); one that fails past its retries leaves the row
pending with its error (`task_failure`), so the drain sends it again after its lease.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import task_failure, task_success, worker_ready

from outbox import services

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def outbox_drain() -> int:
    """Re-send pending messages whose lease expired (beat, every OUTBOX_DRAIN_SECONDS, and at worker start)."""
    return services.outbox_drain()


@task_success.connect(weak=False, dispatch_uid="outbox-done")
def _message_done(sender: object = None, **kwargs: object) -> None:
    message_id = services.outbox_id_of(getattr(sender, "request", None))
    if message_id is None:
        return
    try:
        services.outbox_message_done(message_id=message_id)
    except Exception:  # Postgres gone right after the work: the drain re-sends it, the task is idempotent
        log.warning("could not mark outbox message %s done; it will run again", message_id, exc_info=True)


@task_failure.connect(weak=False, dispatch_uid="outbox-failed")
def _message_failed(sender: object = None, exception: BaseException | None = None, **kwargs: object) -> None:
    message_id = services.outbox_id_of(getattr(sender, "request", None))
    if message_id is None:
        return
    try:
        services.outbox_message_failed(message_id=message_id, error=f"{type(exception).__name__}: {exception}")
    except Exception:
        log.warning("could not record the failure of outbox message %s", message_id, exc_info=True)


@worker_ready.connect(weak=False, dispatch_uid="outbox-drain-at-start")
def _drain_at_worker_start(sender: object = None, **kwargs: object) -> None:
    """A worker (re)starting is when lost work is most likely: drain once rather than wait for beat."""
    try:
        outbox_drain.apply_async(retry=False)
    except Exception:
        log.warning("could not enqueue the outbox drain at worker start", exc_info=True)
