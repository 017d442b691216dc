"""Writes of the interest-unit app: embedding listings, unit membership, and unit counters."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from interest_units.embeddings import listing_text, texts_embed
from interest_units.models import InterestUnitMember, UnitDailyStats, UserUnitStats
from marketplace.models import Event, EventAction, Listing

# Which counter each event action increments (views count as clicks: a view is a click on a shown item).
ACTION_COUNTER: dict[str, str] = {
    EventAction.IMPRESSION: "impressions",
    EventAction.ITEM_VIEW: "clicks",
    EventAction.ITEM_LIKE: "likes",
    EventAction.ITEM_ADD_TO_CART_TAP: "cart_adds",
    EventAction.OFFER_MAKE: "offers",
    EventAction.BUY_COMP: "purchases",
}


def listings_embed(*, listing_ids: Iterable[int], batch_size: int = 128) -> int:
    """Compute and store text embeddings; returns how many listings were embedded. Idempotent."""
    listings = list(
        Listing.objects.filter(pk__in=list(listing_ids)).select_related("brand", "c0", "c1", "c2").order_by("pk")
    )
    if not listings:
        return 0
    vectors = texts_embed([listing_text(listing) for listing in listings], batch_size=batch_size)
    for listing, vector in zip(listings, vectors, strict=True):
        listing.text_embedding = vector
    Listing.objects.bulk_update(listings, ["text_embedding"], batch_size=500)
    return len(listings)


def unit_stats_apply_events(*, event_ids: Iterable[int]) -> int:
    """Add these events to their units' daily counters and the user x unit cross features.

    Returns the number of counter increments. Not idempotent by itself: the task that calls it is
    enqueued exactly once per committed batch, and the periodic full refresh rebuilds counters from events.
    """
    events = list(
        Event.objects.filter(pk__in=list(event_ids), action__in=list(ACTION_COUNTER))
        .values("user_id", "listing_id", "action", "created_at")
    )
    if not events:
        return 0
    memberships: dict[int, list[int]] = defaultdict(list)
    for listing_id, unit_id in InterestUnitMember.objects.filter(
        listing_id__in={e["listing_id"] for e in events}
    ).values_list("listing_id", "unit_id"):
        memberships[listing_id].append(unit_id)
    daily: Counter[tuple[int, object, str]] = Counter()
    cross: Counter[tuple[int, int, str]] = Counter()
    last_seen: dict[tuple[int, int], object] = {}
    for event in events:
        counter = ACTION_COUNTER[event["action"]]
        for unit_id in memberships.get(event["listing_id"], []):
            daily[(unit_id, event["created_at"].date(), counter)] += 1
            if event["user_id"] is not None:
                key = (event["user_id"], unit_id)
                cross[(*key, counter)] += 1
                if event["action"] != EventAction.IMPRESSION:
                    last_seen[key] = max(last_seen.get(key, event["created_at"]), event["created_at"])
    with transaction.atomic():
        for (unit_id, day, counter), count in daily.items():
            row, _ = UnitDailyStats.objects.get_or_create(unit_id=unit_id, day=day)
            UnitDailyStats.objects.filter(pk=row.pk).update(**{counter: F(counter) + count})
        for (user_id, unit_id, counter), count in cross.items():
            row, _ = UserUnitStats.objects.get_or_create(user_id=user_id, unit_id=unit_id)
            updates = {counter: F(counter) + count}
            if (user_id, unit_id) in last_seen:
                updates["last_interaction_at"] = last_seen[(user_id, unit_id)]
            UserUnitStats.objects.filter(pk=row.pk).update(**updates)
    return sum(daily.values())
