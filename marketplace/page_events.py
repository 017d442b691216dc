"""Event logging for pages: one batched insert per page view, attributed to the browser's session."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.http import HttpRequest

from marketplace.errors import ApplicationError
from marketplace.models import EventAction
from marketplace.services.events import EventInput, events_record

logger = logging.getLogger(__name__)


def session_key(request: HttpRequest) -> str:
    """The session id events are grouped by (created on first use, also for anonymous visitors)."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def impressions_for_rows(rows: Iterable, *, page: str, request_id: str) -> list[EventInput]:
    """One impression per listing shown in recommendation rows, with its surface, position and recommender."""
    return [
        EventInput(action=EventAction.IMPRESSION, listing_id=listing.pk, page=page, surface=row.surface,
                   position=position, recommender=row.recommender, request_id=request_id,
                   interest_unit_id=row.interest_unit.pk if row.interest_unit else None)
        for row in rows
        for position, listing in enumerate(row.listings)
    ]


def api_session_key(request: HttpRequest) -> str:
    """API clients name their session in `X-Session-Id` (no cookie session is created for them)."""
    return request.headers.get("X-Session-Id", "")[:64] or (request.session.session_key or "")


def page_events_record(request: HttpRequest, events: list[EventInput], *, session_id: str | None = None) -> None:
    """Record a page's events in one insert. A logging problem never breaks the page."""
    if not events:
        return
    user = request.user if request.user.is_authenticated else None
    try:
        events_record(user=user, session_id=session_id if session_id is not None else session_key(request),
                      events=events)
    except ApplicationError:
        logger.warning("page events rejected", exc_info=True)
