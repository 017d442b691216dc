"""Background entry points of the marketplace app: thin and idempotent."""

from __future__ import annotations

from celery import shared_task

from marketplace.services.search import search_vocabulary_refresh


@shared_task(acks_late=True, ignore_result=True)
def search_vocabulary_refresh_task() -> int:
    """Recount the "did you mean" vocabulary (beat, every few minutes)."""
    return search_vocabulary_refresh()
