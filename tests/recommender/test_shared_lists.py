"""Lists every viewer shares (popular listings and units) are computed off the request path: the beat task fills
them, a request only reads them, and a cold list is computed by one caller while the others answer from a cheap
fallback; with Redis down a process computes its own copy once."""

import threading
import time

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.cards import listing_cards_warm
from marketplace.models import EventAction, Page
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from recommender import tasks
from recommender.ranking import units as unit_ranking
from recommender.ranking.units import POPULAR_UNITS_WEEK
from recommender.serving.retrieval import listing_ids_available
from recommender.serving.shared_lists import SharedList, shared_list_get, shared_lists_forget
from recommender.surfaces.candidates import (
    POPULAR_LISTINGS,
    listing_ids_newest,
    popular_listing_ids,
    popular_listing_ids_compute,
)
from recommender.surfaces.serve import slate_fill, unit_cards_serve
from recommender.surfaces.types import StoredRow
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

POPULARITY_SQL = ("GROUP BY p.listing_id", "interest_units_unitdailystats")


def _popularity_sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(mark in q["sql"] for mark in POPULARITY_SQL)]


@pytest.fixture
def market():
    """Ten listings, the oldest of which two signed-in people viewed: popular, where newest-first puts it last."""
    listings = [ListingFactory() for _ in range(10)]
    for person in (UserFactory(), UserFactory()):
        events_record(user=person, session_id=f"s-{person.pk}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[0].pk, page=Page.VIP)])
    return listings


def test_the_refresh_task_fills_the_lists_and_a_request_only_reads_them(market):
    # when: the beat task runs (eager in tests)
    sizes = tasks.shared_lists_refresh.delay().get()
    # then: the lists are in Redis, as computed from Postgres
    assert cache.get(POPULAR_LISTINGS.key) == popular_listing_ids_compute()
    assert cache.get(POPULAR_LISTINGS.key)[0] == market[0].pk
    assert sizes[POPULAR_LISTINGS.name] == len(market)
    assert cache.get(POPULAR_UNITS_WEEK.key) is not None and cache.get(unit_ranking.POPULAR_UNITS.key) is not None
    # and a first request, in a process that never computed them, runs no popularity SQL
    shared_lists_forget()
    client = APIClient()
    with CaptureQueriesContext(connection) as captured:
        home = client.get(reverse("api-home"))
        units = client.get(reverse("api-units"))
    assert home.status_code == units.status_code == 200
    assert home.json()["rows"][0]["items"][0]["id"] == market[0].pk
    assert _popularity_sql(captured) == []


def _popular_listings_twice(market) -> None:
    """The first call computes the list (one popularity query), the second reads it without any SQL."""
    with CaptureQueriesContext(connection) as first:
        ids = popular_listing_ids()
    with CaptureQueriesContext(connection) as second:
        assert popular_listing_ids() == ids
    assert ids[0] == market[0].pk and len(_popularity_sql(first)) == 1
    assert second.captured_queries == []


def test_a_cold_list_is_computed_once_then_read_without_sql(market):
    _popular_listings_twice(market)


def test_a_cold_list_locked_by_another_caller_answers_from_the_fallback(market):
    # given: someone else is computing both lists
    for shared in (POPULAR_LISTINGS, POPULAR_UNITS_WEEK):
        assert cache.add(f"{shared.key}:lock", 1, 30)
    # when
    with CaptureQueriesContext(connection) as captured:
        ids = popular_listing_ids()
        cards = unit_cards_serve(viewer_id=None).cards
    # then: the newest listings, without the popularity SQL, and nothing stored in the list's place
    assert ids == listing_ids_newest() and ids[-1] == market[0].pk
    assert cards == []  # no units in this market; the fullest-units stand-in answered
    assert _popularity_sql(captured) == []
    assert cache.get(POPULAR_LISTINGS.key) is None


def test_concurrent_callers_of_a_cold_list_compute_it_once():
    # given: a list whose computation blocks until the test lets it finish
    calls, release = [], threading.Event()

    def compute() -> list[int]:
        calls.append(1)
        release.wait(timeout=30)
        return [1, 2, 3]

    shared = SharedList("test-slow", compute=compute, fallback=lambda: [-1])
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda: results.append(shared_list_get(shared))) for _ in range(8)]
    # when: eight callers ask at once
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(results) < 7 and time.monotonic() < deadline:  # all but the computing one answer at once
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    # then: one computed, the others answered from the fallback, and the list is stored
    assert len(calls) == 1
    assert sorted(results) == [[-1]] * 7 + [[1, 2, 3]]
    assert cache.get(shared.key) == [1, 2, 3]


def test_with_redis_down_a_process_computes_its_copy_once(market, settings, tmp_path):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{tmp_path}/none.sock?db=1"}}
    shared_lists_forget()
    _popular_listings_twice(market)
    assert tasks.shared_lists_refresh.delay().get()[POPULAR_LISTINGS.name] == len(market)  # no failure either


def _take(ids: list[int], *, viewer_id: int, k: int, exclude: set[int]) -> list[int]:
    """One row filled alone: its first k available listings among its first 3k candidates not excluded."""
    candidates = [i for i in ids if i not in exclude][: k * 3]
    available = listing_ids_available(candidates, viewer_id=viewer_id)
    return [i for i in dict.fromkeys(candidates) if i in available][:k]


def test_rows_filled_together_are_the_rows_filled_one_by_one():
    # given: 40 listings, some sold, some the viewer's own, and three rows of overlapping candidates
    rng = np.random.default_rng(3)
    viewer = UserFactory()
    listings = [ListingFactory(**({"seller": viewer} if n % 7 == 0 else {})) for n in range(40)]
    for listing in listings[1::5]:
        listing_buy(listing_id=listing.pk, buyer=UserFactory())
    ids = [x.pk for x in listings]
    listing_cards_warm(ids)  # as the workers leave them when they store a slate
    for trial in range(20):
        k = int(rng.integers(1, 6))
        rows = [[int(i) for i in rng.choice(ids, size=int(rng.integers(0, 30)), replace=False)] for _ in range(3)]
        exclude = {int(i) for i in rng.choice(ids, size=5, replace=False)}
        shown_before = {int(i) for i in rng.choice(ids, size=trial % 4, replace=False)}
        # one by one, each with its own availability query
        shown, expected = set(shown_before), []
        for n, candidates in enumerate(rows):
            taken = _take(candidates, viewer_id=viewer.pk, k=k, exclude=shown | (exclude if n == 1 else set()))
            shown.update(taken)
            expected.append(taken)
        # together, as a surface is served
        stored = [StoredRow("s", f"row {n}", "r", candidates, exclude=sorted(exclude) if n == 1 else [])
                  for n, candidates in enumerate(rows)]
        together = set(shown_before)
        with CaptureQueriesContext(connection) as captured:
            filled, _ = slate_fill(stored, viewer_id=viewer.pk, k=k, shown=together)
        assert [[x.pk for x in row.listings] for row in filled] == [row for row in expected if row]
        assert together == shown
        assert len(captured.captured_queries) <= 1  # availability only (cards from Redis); none without candidates
