"""What event logging costs a page: the storefront's pages driven through Django's WSGI handler, as a server would.

Each request is timed twice over: until the handler returns the response (what the visitor waits for) and the
`response.close()` that follows (where `PageEventsMiddleware` writes the page's events). The same pages are also
requested through a handler without the middleware, where the insert happens inside the request, interleaved
request by request so machine noise hits both alike. Events and sessions the run creates are deleted afterwards.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, RequestFactory, override_settings

from benchmarks.api import latency_summary, machine_info
from interest_units.models import InterestUnit
from marketplace.errors import ApplicationError
from marketplace.models import Event, Listing
from marketplace.viewers import session_id_for

MIDDLEWARE_PATH = "storefront.page_events.PageEventsMiddleware"
PAGES = ("home", "item", "unit")
NO_DATA = "bench_pages needs listings, interest units and users with events: run `manage.py seed_demo` first."


@dataclass
class Timing:
    response_ms: float  # until the handler hands the response back
    close_ms: float  # response.close(): the deferred insert, when the middleware is on


def _handlers() -> dict[str, WSGIHandler]:
    """"deferred": the project's middleware; "inline": the same stack without it (events written in the view)."""
    without = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    with override_settings(MIDDLEWARE=without):
        inline = WSGIHandler()  # middleware is loaded when the handler is built
    return {"deferred": WSGIHandler(), "inline": inline}


def _timed_request(handler: WSGIHandler, path: str, cookie: str) -> Timing:
    environ = RequestFactory().get(path, HTTP_COOKIE=cookie).environ
    started = time.perf_counter()
    response = handler(environ, lambda status, headers, exc_info=None: None)
    b"".join(response)
    answered = time.perf_counter()
    response.close()
    if response.status_code != 200:
        raise ApplicationError(f"GET {path} answered {response.status_code}")
    return Timing((answered - started) * 1000, (time.perf_counter() - answered) * 1000)


def _paths(page: str, rng: random.Random, listing_ids: list[int], unit_ids: list[int]) -> str:
    if page == "home":
        return "/"
    if page == "item":
        return f"/item/{rng.choice(listing_ids)}/"
    return f"/units/{rng.choice(unit_ids)}/"


def in_request_cost(*, cookie: str, viewer_id: int, repeats: int = 500) -> dict:
    """What logging leaves inside the request with the middleware on: building a home page's impressions and
    buffering them (timed on the page's real rows, `repeats` times)."""
    from django.contrib.sessions.middleware import SessionMiddleware

    from marketplace.models import Page
    from recommender.surfaces.serve import home_rows_serve
    from storefront.page_events import PENDING_ATTRIBUTE, page_events_record

    slate = home_rows_serve(viewer_id=viewer_id)
    request = RequestFactory().get("/", HTTP_COOKIE=cookie)
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = get_user_model().objects.get(pk=viewer_id)
    timings = []
    for _ in range(repeats):
        setattr(request, PENDING_ATTRIBUTE, [])
        started = time.perf_counter()
        page_events_record(request, slate.impressions(page=Page.HOME))
        timings.append((time.perf_counter() - started) * 1000)
    return {"events": sum(len(row.listings) for row in slate.rows), **latency_summary(timings)}


def page_logging_bench(*, requests: int = 200, pages: Iterable[str] = PAGES, users: int = 30, seed: int = 0,
                       progress: Callable[[Iterable, int, str], Iterable] | None = None) -> dict:
    """p50 / p95 per page and mode, and the deferred insert's own cost; see the module docstring."""
    rng = random.Random(seed)
    user_ids = list(Event.objects.filter(user_id__isnull=False).values_list("user_id", flat=True)
                    .distinct().order_by("user_id")[:users])
    listing_ids = list(Listing.objects.available_to(None).values_list("pk", flat=True)[:2000])
    unit_ids = list(InterestUnit.objects.filter(retired_at__isnull=True, active_count__gt=0)
                    .values_list("pk", flat=True)[:2000])
    if not (user_ids and listing_ids and unit_ids):
        raise ApplicationError(NO_DATA)
    cookies, session_keys = [], []
    for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
        client = Client()
        client.force_login(user)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        session_keys.append(key)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
    handlers = _handlers()
    started_at = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    results: dict[str, dict] = {}
    try:
        for page in pages:
            timings: dict[str, list[Timing]] = {"deferred": [], "inline": []}
            plan = range(requests)
            for _ in progress(plan, requests, f"{page} pages") if progress else plan:
                path, cookie = _paths(page, rng, listing_ids, unit_ids), rng.choice(cookies)
                for mode in rng.sample(list(handlers), 2):  # random order: neither mode always runs warm
                    timings[mode].append(_timed_request(handlers[mode], path, cookie))
            results[page] = {
                "deferred_response_ms": latency_summary([t.response_ms for t in timings["deferred"]]),
                "deferred_insert_after_response_ms": latency_summary([t.close_ms for t in timings["deferred"]]),
                "inline_response_ms": latency_summary([t.response_ms for t in timings["inline"]]),
            }
        written = Event.objects.filter(pk__gt=started_at, session_id__in=[session_id_for(k) for k in session_keys])
        events_per_page = written.count() / max(1, 2 * requests * len(results))
    finally:
        Event.objects.filter(pk__gt=started_at, session_id__in=[session_id_for(key) for key in session_keys]).delete()
        Session.objects.filter(session_key__in=session_keys).delete()
    return {
        "run_id": uuid.uuid4().hex,
        "requests_per_page_and_mode": requests,
        "events_per_page": round(events_per_page, 1),
        "pages": results,
        "in_request_logging_ms": in_request_cost(cookie=cookies[0], viewer_id=user_ids[0]),
        "machine": machine_info(),
    }
