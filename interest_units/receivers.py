"""What the interest units do when the marketplace announces a change (`marketplace.hooks`; connected in
`InterestUnitsConfig.ready`). Each queues its task for after the commit."""

from __future__ import annotations

from marketplace.background import enqueue_on_commit
from marketplace.models import Event


def listing_index_enqueue(*, listing_id: int, **kwargs: object) -> None:
    """A new or edited listing: embed it and place it in its units."""
    # Imported on first use: the tasks pull in the services' and models' code, which app loading need not.
    from interest_units.tasks import listing_index

    enqueue_on_commit(listing_index, listing_id)


def unit_stats_enqueue(*, events: list[Event], **kwargs: object) -> None:
    """The unit counters these events touch."""
    from interest_units.tasks import unit_stats_apply_events

    event_ids = [e.pk for e in events if e.listing_id is not None]
    if event_ids:
        enqueue_on_commit(unit_stats_apply_events, event_ids)
