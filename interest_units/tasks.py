"""Background entry points of the interest-unit app: thin, idempotent where they can be, ids in."""

from __future__ import annotations

from celery import shared_task

from interest_units import services


@shared_task(acks_late=True)
def listing_index(listing_id: int) -> int:
    """A new or edited listing: embed its text (and, once units exist, place it in its units)."""
    return services.listings_embed(listing_ids=[listing_id])


@shared_task
def unit_stats_apply_events(event_ids: list[int]) -> int:
    return services.unit_stats_apply_events(event_ids=event_ids)
