"""Event logging: Postgres first, in batches; background work is enqueued only after the rows commit.

Two doors. `events_record` is the server's own: pages, the recommendation API and the services that perform a like,
a cart add, an offer or a purchase write through it. `client_events_record` is the one a client may use
(`POST /api/events/`): it takes only what a client can truly observe (a view of, or an impression of, a listing
the server showed it), only for a recommendation request the server recently answered for that same viewer, and
each such event once. So no one can post a purchase that never happened, or views of a listing nobody showed them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from marketplace import errors
from marketplace.errors import ApplicationError
from marketplace.hooks import events_recorded
from marketplace.models import Event, EventAction, Listing, Page
from marketplace.selectors import viewer_events

EVENT_ACTION_INVALID = "Unknown action {action!r}; expected one of: " + ", ".join(EventAction.values)
EVENT_PAGE_INVALID = "Unknown page {page!r}; expected one of: " + ", ".join(Page.values)
EVENT_LISTING_UNKNOWN = "Unknown listing id(s): {ids}."
EVENT_BATCH_TOO_LARGE = "At most {limit} events per batch."
MAX_BATCH = 500
# What a client may report (DESIGN invariant 6); every other action is written by the service that performs it.
CLIENT_ACTIONS = (EventAction.ITEM_VIEW, EventAction.IMPRESSION)
CLIENT_REQUEST_MAX_AGE = timedelta(hours=1)  # a recommendation's events are reported within this long
IMPRESSION_CONTEXT = ("page", "surface", "position", "recommender", "interest_unit_id")  # copied to its events
EVENT_ACTION_SERVER_ONLY = (
    "{action!r} is recorded by the server when it happens; clients may report only: " + ", ".join(CLIENT_ACTIONS) + "."
)
EVENT_REQUEST_REQUIRED = "Each event needs the listing_id and the request_id of the recommendations it was shown in."
EVENT_REQUEST_UNKNOWN = (
    "No recommendation request {request_id!r} of the last hour showed listing {listing_id} to you."
)


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
        events_recorded.send(sender=Event, user_id=user_id, events=created)  # unit counters, the viewer's slates
    return created


def impressions_record(*, user: AbstractBaseUser | None, session_id: str, events: list[EventInput]) -> int:
    """The impressions of a page the server just built, in one INSERT statement and nothing else: no validation
    round trip (the server read these listings a moment ago; the foreign key still guards them), no transaction
    block and no task per page. Their unit counters are updated in batches by the beat task
    `interest_units.tasks.unit_stats_apply_impressions`. Returns the number of rows written."""
    rows = [event for event in events if event.action == EventAction.IMPRESSION and event.listing_id is not None]
    if not rows:
        return 0
    now = timezone.now()
    user_id = user.pk if user is not None and user.is_authenticated else None
    # One array per column (unnest): a dozen parameters whatever the number of rows, which the driver splits
    # and binds much faster than a dozen per row.
    columns = {
        "user_id": ("bigint", [user_id] * len(rows)),
        "session_id": ("text", [session_id[:64]] * len(rows)),
        "listing_id": ("bigint", [item.listing_id for item in rows]),
        "action": ("text", [EventAction.IMPRESSION.value] * len(rows)),
        "page": ("text", [item.page for item in rows]),
        "surface": ("text", [item.surface[:32] for item in rows]),
        "position": ("integer", [item.position for item in rows]),
        "recommender": ("text", [item.recommender[:40] for item in rows]),
        "request_id": ("text", [item.request_id[:40] for item in rows]),
        "interest_unit_id": ("bigint", [item.interest_unit_id for item in rows]),
        "query": ("text", [""] * len(rows)),
        "created_at": ("timestamptz", [item.created_at or now for item in rows]),
    }
    arrays = ", ".join(f"%s::{kind}[]" for kind, _ in columns.values())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Event._meta.db_table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})",
                       [values for _, values in columns.values()])
    return len(rows)


def event_record(*, user: AbstractBaseUser | None, session_id: str, action: str, listing_id: int | None = None,
                 page: str = Page.OTHER, **fields: object) -> Event:
    """Record a single event (a thin wrapper over the batch service)."""
    return events_record(
        user=user, session_id=session_id,
        events=[EventInput(action=action, listing_id=listing_id, page=page, **fields)],  # type: ignore[arg-type]
    )[0]


@dataclass
class ClientEventsResult:
    recorded: int  # new events stored
    duplicates: int  # events already stored for this viewer (a retried post, or the server's own impression)


def client_events_record(*, user: AbstractBaseUser | None, session_id: str,
                         events: Iterable[EventInput]) -> ClientEventsResult:
    """Record what a client reports (see the module docstring): all or nothing, each event once per viewer.

    Raises ApplicationError for an action clients may not report, or for a listing that no recommendation request
    of the last hour showed to this viewer (the server's own impression rows are the proof).
    """
    batch = list(events)
    if len(batch) > MAX_BATCH:
        raise ApplicationError(EVENT_BATCH_TOO_LARGE.format(limit=MAX_BATCH))
    for item in batch:
        if item.action not in CLIENT_ACTIONS:
            raise ApplicationError(EVENT_ACTION_SERVER_ONLY.format(action=item.action), status_code=403)
        if item.listing_id is None or not item.request_id:
            raise ApplicationError(EVENT_REQUEST_REQUIRED)
    user_id = user.pk if user is not None and user.is_authenticated else None
    with transaction.atomic():
        # One writer per viewer at a time, so that two concurrent posts of the same event store it once.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                           [f"events:{user_id}:{session_id if user_id is None else ''}"])
        stored, shown = _viewer_events(user_id, session_id, {item.request_id for item in batch})
        fresh: dict[tuple, EventInput] = {}
        for item in batch:
            impression = shown.get((item.request_id, item.listing_id))
            if impression is None:
                raise ApplicationError(
                    EVENT_REQUEST_UNKNOWN.format(request_id=item.request_id[:40], listing_id=item.listing_id)
                )
            key = (item.request_id, item.listing_id, item.action)
            if key not in stored and key not in fresh:
                # Where it was shown comes from the server's impression, never from the client; so does the time.
                fresh[key] = EventInput(action=item.action, listing_id=item.listing_id, request_id=item.request_id,
                                        **impression)
        created = events_record(user=user, session_id=session_id, events=list(fresh.values())) if fresh else []
    return ClientEventsResult(recorded=len(created), duplicates=len(batch) - len(created))


def _viewer_events(user_id: int | None, session_id: str,
                   request_ids: set[str]) -> tuple[set[tuple[str, int, str]], dict[tuple[str, int], dict]]:
    """This viewer's events of the last hour under these request ids: their (request id, listing id, action) keys,
    and, for each (request id, listing id) the server showed, where it showed it."""
    since = timezone.now() - CLIENT_REQUEST_MAX_AGE
    queryset = viewer_events(user_id=user_id, session_id=session_id, since=since).filter(
        request_id__in=list(request_ids))
    stored: set[tuple[str, int, str]] = set()
    shown: dict[tuple[str, int], dict] = {}
    for row in queryset.values("request_id", "listing_id", "action", *IMPRESSION_CONTEXT):
        stored.add((row["request_id"], row["listing_id"], row["action"]))
        if row["action"] == EventAction.IMPRESSION:
            shown.setdefault((row["request_id"], row["listing_id"]), {f: row[f] for f in IMPRESSION_CONTEXT})
    return stored, shown
