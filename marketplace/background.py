"""Enqueueing background work safely: recorded in Postgres with the change, sent after commit, never failing
the request.

`enqueue_on_commit` writes an outbox row in the caller's transaction (rolled back with it) and publishes the task
once the transaction commits; the task's completion deletes the row. A broker that is down costs a request
nothing (no retries, a circuit breaker): the row stays and the outbox drain sends it later (invariant 5).
In eager mode (tests) the task runs at commit and errors propagate.
"""

from __future__ import annotations

from celery import Task
from django.db import transaction

from outbox.services import outbox_message_create, outbox_message_due, outbox_message_publish


def enqueue_on_commit(task: Task, *args: object) -> None:
    """Record `task(*args)` as an outbox message now; publish it once the current transaction commits
    (immediately outside one)."""
    arguments = list(args)
    message = outbox_message_create(task=task, args=arguments)

    def send() -> None:
        if not outbox_message_publish(task=task, args=arguments, message_id=message.pk):
            if message.available_at > message.created_at:  # not already due (the breaker was closed at insert)
                outbox_message_due(message_ids=[message.pk])

    transaction.on_commit(send)
