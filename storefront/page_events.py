"""Event logging for pages: one batched insert per page view, written after the response has gone out.

A page's events are buffered on the request while the view runs; `PageEventsMiddleware` writes them once the
server has sent the response body (WSGI servers call `response.close()` then), so logging adds nothing to what
the visitor waits for. Without the middleware the batch is written at once, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase

from marketplace.errors import ApplicationError
from marketplace.models import EventAction
from marketplace.services.events import EventInput, events_record, impressions_record
from marketplace.viewers import viewer_session_id

logger = logging.getLogger(__name__)
PENDING_ATTRIBUTE = "_page_events_pending"


def page_events_record(request: HttpRequest, events: list[EventInput]) -> None:
    """Log a page's events: buffered until the response is sent when the middleware runs, else written now."""
    if not events:
        return
    user = request.user if request.user.is_authenticated else None
    # The session must exist before the response: its cookie goes out with it.
    session = viewer_session_id(request)
    pending = getattr(request, PENDING_ATTRIBUTE, None)
    if pending is None:
        _write(user, session, events)
    else:
        pending.append((user, session, events))


def _write(user, session: str, events: list[EventInput]) -> None:
    """The page's impressions in one lean insert, its other events (a view, a search) through `events_record`,
    which updates what they feed at once. A logging problem never breaks the page."""
    impressions = [event for event in events if event.action == EventAction.IMPRESSION]
    others = [event for event in events if event.action != EventAction.IMPRESSION]
    try:
        if others:
            events_record(user=user, session_id=session, events=others)
        impressions_record(user=user, session_id=session, events=impressions)
    except (ApplicationError, DatabaseError):
        logger.warning("page events not recorded", exc_info=True)


def _writer(pending: list) -> Callable[[], None]:
    def write() -> None:
        for user, session, events in pending:
            _write(user, session, events)

    return write


class PageEventsMiddleware:
    """Writes the events a page buffered after its response body is sent (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        pending: list = []
        setattr(request, PENDING_ATTRIBUTE, pending)
        response = self.get_response(request)
        if pending:
            # Django runs these closers from response.close(), the hook WSGI servers call after sending the body
            # (the test client calls it too, so tests see the rows as soon as the request returns).
            response._resource_closers.append(_writer(pending))
        return response
