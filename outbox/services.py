"""Writing, sending, finishing and re-sending outbox messages.

A message is inserted in the caller's transaction and published after commit with its id in a message header
(`outbox_id`); the task that completes it deletes the row (one single-row INSERT and one single-row DELETE per
piece of work). Anything the broker never delivered, a killed worker never finished, or a task gave up on after
its retries is still a row, and `outbox_drain` re-sends it once its lease has expired, until it is dead-lettered.
Publishing from a request never waits for a broker that is down: no publish retries, a short connect timeout
(settings), and a process-local circuit breaker that skips the broker for a few seconds after a failure.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage

log = logging.getLogger(__name__)

HEADER = "outbox_id"
MAX_LEASE_SECONDS = 60 * 60


@dataclass
class BrokerBreaker:
    """After a failed publish, publishing is skipped for `OUTBOX_BREAKER_SECONDS`: the rows wait for the drain.

    Process-local and lock-free on the hot path; `tries` and `failures` count real publish attempts (for tests and
    the fault benchmark)."""

    open_until: float = 0.0
    tries: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def record_try(self) -> None:
        with self._lock:
            self.tries += 1

    def trip(self) -> None:
        with self._lock:
            self.failures += 1
            self.open_until = time.monotonic() + settings.OUTBOX_BREAKER_SECONDS

    def reset(self) -> None:
        with self._lock:
            self.open_until = 0.0
            self.tries = self.failures = 0


breaker = BrokerBreaker()


def lease_seconds(task: Task, attempts: int = 0) -> float:
    """How long a sent message may take before it is presumed lost: the task's `outbox_lease` (long tasks declare
    one) or OUTBOX_LEASE_SECONDS, doubled per re-send so a backlogged queue is not flooded with copies."""
    base = getattr(task, "outbox_lease", None) or settings.OUTBOX_LEASE_SECONDS
    return min(base * 2**attempts, max(base, MAX_LEASE_SECONDS))


def _is_eager(task: Task) -> bool:
    return bool(task.app.conf.task_always_eager)


def outbox_message_create(*, task: Task, args: list) -> OutboxMessage:
    """Insert the message in the current transaction. With the breaker open it is due at once (the drain sends it
    when the broker is back); otherwise it is due when the lease of the publish after commit runs out."""
    now = timezone.now()
    due_now = not _is_eager(task) and breaker.is_open()
    available_at = now if due_now else now + timedelta(seconds=lease_seconds(task))
    return OutboxMessage.objects.create(task=task.name, args=args, created_at=now, available_at=available_at)


def outbox_message_publish(*, task: Task, args: list, message_id: int) -> bool:
    """Send one message (run it, in eager mode). False, without waiting, when the broker is down."""
    eager = _is_eager(task)
    if not eager:
        if breaker.is_open():
            return False
        breaker.record_try()
    try:
        task.apply_async(args=args, headers={HEADER: message_id}, retry=False)
    except Exception:
        if eager:
            raise
        breaker.trip()
        log.warning("could not publish %s%r (outbox %s); the outbox drain will send it", task.name, tuple(args),
                    message_id, exc_info=True)
        return False
    return True


def outbox_message_due(*, message_ids: list[int]) -> None:
    """Make messages due now (a publish that failed: no need to wait for their lease)."""
    OutboxMessage.objects.filter(pk__in=message_ids).update(available_at=timezone.now())


def outbox_message_done(*, message_id: int) -> None:
    """The task completed: the work is done, the row goes."""
    OutboxMessage.objects.filter(pk=message_id).delete()


def outbox_message_failed(*, message_id: int, error: str) -> None:
    """The task failed past its retries: keep the row (the drain re-sends it after its lease) and say why."""
    OutboxMessage.objects.filter(pk=message_id).update(last_error=error[:2000])


def outbox_message_revive(*, message_ids: list[int]) -> int:
    """Admin: give dead (or waiting) messages a fresh start; the next drain sends them."""
    return OutboxMessage.objects.filter(pk__in=message_ids).update(
        dead_at=None, attempts=0, available_at=timezone.now())


def outbox_drain(*, batch_size: int | None = None) -> int:
    """Re-send the pending messages whose lease has expired (bounded batch, oldest first); returns how many were
    sent. Rows are claimed with FOR UPDATE SKIP LOCKED and given a new lease before they are published, so
    concurrent drains never send the same row twice. After OUTBOX_MAX_ATTEMPTS re-sends a message is dead."""
    batch_size = batch_size or settings.OUTBOX_DRAIN_BATCH
    now = timezone.now()
    claimed: list[tuple[OutboxMessage, Task]] = []
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(dead_at__isnull=True, available_at__lte=now)
            .order_by("available_at")[:batch_size]
        )
        for message in due:
            task = current_app.tasks.get(message.task)
            if task is None or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.dead_at = now
                if task is None:
                    message.last_error = f"no task named {message.task!r} is registered"
                log.error("OUTBOX DEAD LETTER: gave up on %s%r (outbox %s) after %s re-sends: %s", message.task,
                          tuple(message.args), message.pk, message.attempts, message.last_error or "no error recorded")
                continue
            message.attempts += 1
            message.available_at = now + timedelta(seconds=lease_seconds(task, message.attempts))
            claimed.append((message, task))
        OutboxMessage.objects.bulk_update(due, ["attempts", "available_at", "dead_at", "last_error"])
    sent = 0
    for position, (message, task) in enumerate(claimed):
        if not outbox_message_publish(task=task, args=message.args, message_id=message.pk):
            unsent = [m.pk for m, _ in claimed[position:]]
            OutboxMessage.objects.filter(pk__in=unsent).update(
                attempts=F("attempts") - 1, available_at=timezone.now())
            break
        sent += 1
    if sent:
        log.info("outbox: re-sent %d message(s)", sent)
    return sent


def outbox_id_of(request: object) -> int | None:
    """The outbox id a task request carries: a custom header (a worker also exposes it as an attribute)."""
    headers = getattr(request, "headers", None) or {}
    value = headers.get(HEADER) if isinstance(headers, dict) else None
    if value is None:
        value = getattr(request, HEADER, None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
