"""Event logging: Postgres first, in batches; background work is enqueued only after the rows commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from marketplace import errors
from marketplace.background import enqueue_on_commit
from marketplace.errors import ApplicationError
from marketplace.models import Event, EventAction, Listing, Page

EVENT_ACTION_INVALID = "Unknown action {action!r}; expected one of: " + ", ".join(EventAction.values)
EVENT_PAGE_INVALID = "Unknown page {page!r}; expected one of: " + ", ".join(Page.values)
EVENT_LISTING_UNKNOWN = "Unknown listing id(s): {ids}."
EVENT_BATCH_TOO_LARGE = "At most {limit} events per batch."
MAX_BATCH = 500


@dataclass
class EventInput:
    """One event to record (the shape the API and the page logger both produce)."""

    action: str
    listing_id: int | None = None
    page: str = Page.OTHER
    surface: str = ""
    position: int | None = None
    recommender: str = ""
    request_id: str = ""
    interest_unit_id: int | None = None
    query: str = ""
    created_at: datetime | None = None
    extra: dict = field(default_factory=dict)


def events_record(*, user: AbstractBaseUser | None, session_id: str, events: Iterable[EventInput]) -> list[Event]:
    """Validate and insert a batch in one statement; all or nothing."""
    batch = list(events)
    if len(batch) > MAX_BATCH:
        raise ApplicationError(EVENT_BATCH_TOO_LARGE.format(limit=MAX_BATCH))
    for item in batch:
        if item.action not in EventAction.values:
            raise ApplicationError(EVENT_ACTION_INVALID.format(action=item.action))
        if item.page not in Page.values:
            raise ApplicationError(EVENT_PAGE_INVALID.format(page=item.page))
        if item.listing_id is None and item.action != EventAction.SEARCH:
            raise ApplicationError(errors.EVENT_LISTING_REQUIRED, extra={"action": item.action})
    listing_ids = {item.listing_id for item in batch if item.listing_id is not None}
    known = set(Listing.objects.filter(pk__in=listing_ids).values_list("pk", flat=True))
    if listing_ids - known:
        missing = ", ".join(str(i) for i in sorted(listing_ids - known)[:10])
        raise ApplicationError(EVENT_LISTING_UNKNOWN.format(ids=missing))
    now = timezone.now()
    user_id = user.pk if user is not None and user.is_authenticated else None
    rows = [
        Event(
            user_id=user_id,
            session_id=session_id[:64],
            listing_id=item.listing_id,
            action=item.action,
            page=item.page,
            surface=item.surface[:32],
            position=item.position,
            recommender=item.recommender[:40],
            request_id=item.request_id[:40],
            interest_unit_id=item.interest_unit_id,
            query=item.query[:200],
            created_at=item.created_at or now,
        )
        for item in batch
    ]
    with transaction.atomic():
        created = Event.objects.bulk_create(rows)
        _enqueue_event_effects(user_id, created)
    return created


def event_record(*, user: AbstractBaseUser | None, session_id: str, action: str, listing_id: int | None = None,
                 page: str = Page.OTHER, **fields: object) -> Event:
    """Record a single event (a thin wrapper over the batch service)."""
    return events_record(
        user=user, session_id=session_id,
        events=[EventInput(action=action, listing_id=listing_id, page=page, **fields)],  # type: ignore[arg-type]
    )[0]


# Actions that change what a user is interested in: they refresh the user's vectors in near real time.
INTEREST_ACTIONS = frozenset({
    EventAction.ITEM_VIEW, EventAction.ITEM_LIKE, EventAction.ITEM_ADD_TO_CART_TAP, EventAction.OFFER_MAKE,
})


def _enqueue_event_effects(user_id: int | None, created: list[Event]) -> None:
    """After commit: update the interest-unit counters these events touch, and the user's vectors."""
    from interest_units.tasks import unit_stats_apply_events
    from recommender.serving import user_vectors_request

    event_ids = [e.pk for e in created if e.listing_id is not None]
    if event_ids:
        enqueue_on_commit(unit_stats_apply_events, event_ids)
    if user_id is not None and any(e.action in INTEREST_ACTIONS for e in created):
        user_vectors_request(user_id=user_id)
