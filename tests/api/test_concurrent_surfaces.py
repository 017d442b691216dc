"""Invariants 1 and 3 under load: while listings are being bought, no recommendation surface shows a listing that
was already sold when the request started, nor the caller's own listings.

Real threads against the real Postgres (`transaction=True`: every thread has its own connection and sees only
committed data). A listing counts as "sold before the request" when its buyer saw `listing_buy` return (the
transaction had committed) before the request was sent; the time is taken on one monotonic clock.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interest_units.models import InterestUnit, InterestUnitMember
from interest_units.services.stats import unit_features_recompute
from marketplace.models import EventAction, Order
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from recommender.models import SurfaceSlate
from tests.factories import ListingFactory, UserFactory, category_path

SELLERS = 4
LISTINGS_PER_SELLER = 10
TO_SELL = 20
READERS = 4
DEADLINE_SECONDS = 45


@dataclass
class Observation:
    viewer_id: int | None
    surface: str
    started: float  # time.monotonic() just before the request was sent
    status: int
    ids: set[int]


def _ids(surface: str, payload: dict) -> set[int]:
    if surface in ("home", "item"):
        return {item["id"] for row in payload["rows"] for item in row["items"]}
    if surface == "units":
        return {card["item"]["id"] for card in payload["results"]}
    return {item["id"] for item in payload["results"]}


def _vector(rng: np.random.Generator, centre: np.ndarray) -> list[float]:
    vector = centre + 0.3 * rng.normal(size=centre.shape)
    return (vector / np.linalg.norm(vector)).tolist()


@pytest.fixture
def market():
    """4 sellers x 10 listings in 4 topics (with embeddings), 2 interest units, viewing history, buyers."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 384))
    leaves = [category_path("Women", "Tops & Blouses", "T-Shirts")[2], category_path("Men", "Shoes", "Athletic")[2]]
    sellers = [UserFactory() for _ in range(SELLERS)]
    listings = []
    for s, seller in enumerate(sellers):
        for i in range(LISTINGS_PER_SELLER):
            leaf = leaves[(s + i) % 2]
            listings.append(ListingFactory(seller=seller, c0=leaf.parent.parent, c1=leaf.parent, c2=leaf,
                                           text_embedding=_vector(rng, centres[(s + i) % 4])))
    for u, members in enumerate([listings[0::2], listings[1::2]]):
        unit = InterestUnit.objects.create(type="semantic", key=f"concurrent-{u}", title=f"Unit {u}")
        InterestUnitMember.objects.bulk_create(InterestUnitMember(unit=unit, listing=x, type="semantic")
                                               for x in members)
    unit_features_recompute(unit_ids=set(InterestUnit.objects.values_list("pk", flat=True)))  # as a build does
    shoppers = [UserFactory() for _ in range(3)]
    # Viewing history in shared sessions: "for you" rows, co-occurrence ("next up") and popularity all have data,
    # and the soon-to-be-sold listings are among the most popular.
    for n, viewer in enumerate(shoppers + sellers[:2]):
        viewed = [listings[(n * 7 + j) % len(listings)] for j in range(8)]
        events_record(user=viewer, session_id=f"history-{n}", events=[
            EventInput(action=EventAction.ITEM_VIEW, listing_id=x.pk, page="vip") for x in viewed
        ])
    return {
        "listings": listings,
        "seller_of": {x.pk: x.seller_id for x in listings},
        "viewers": shoppers + sellers[:2] + [None],  # two of the viewers are sellers; None is anonymous
        "buyers": [UserFactory() for _ in range(2)],
        "unit_ids": list(InterestUnit.objects.values_list("pk", flat=True)),
    }


@pytest.mark.django_db(transaction=True)
def test_no_surface_shows_a_listing_sold_before_the_request_nor_the_callers_own(market):
    # given
    random.seed(11)
    to_sell = random.sample([x.pk for x in market["listings"]], TO_SELL)
    sold_at: dict[int, float] = {}  # listing id -> monotonic time after its buy committed
    observations: list[Observation] = []
    failures: list[str] = []
    buying_done = threading.Event()
    start = threading.Barrier(READERS + 2)
    deadline = time.monotonic() + DEADLINE_SECONDS

    def buy(buyer, listing_ids: list[int], via_api: bool) -> None:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=buyer).key}")
        try:
            start.wait()
            for listing_id in listing_ids:
                if via_api:
                    response = client.post(reverse("api-listing-buy", args=[listing_id]))
                    if response.status_code != 201:
                        failures.append(f"buy {listing_id}: {response.status_code} {response.content[:200]!r}")
                        continue
                else:
                    listing_buy(listing_id=listing_id, buyer=buyer)
                sold_at[listing_id] = time.monotonic()
                time.sleep(0.05)  # pacing, not synchronisation: spread the sales over the readers' requests
        except Exception as error:  # anything else is a bug the test must show
            failures.append(f"buyer {buyer.pk}: {error!r}")
        finally:
            connection.close()

    def read(viewer, seed: int) -> None:
        rng = random.Random(seed)
        client = APIClient(raise_request_exception=False)  # a 500 is an observation, not a crash of the thread
        if viewer is not None:
            client.force_authenticate(viewer)
        surfaces = itertools.cycle(["home", "item", "units", "unit_items"])
        try:
            start.wait()
            rounds_after_buying = 0
            while rounds_after_buying < 4 and time.monotonic() < deadline:
                if buying_done.is_set():
                    rounds_after_buying += 1
                surface = next(surfaces)
                if surface == "home":
                    url = reverse("api-home")
                elif surface == "item":
                    url = reverse("api-item", args=[rng.choice(market["listings"]).pk])
                elif surface == "units":
                    url = reverse("api-units")
                else:
                    url = reverse("api-unit-items", args=[rng.choice(market["unit_ids"])])
                started = time.monotonic()
                response = client.get(url, {"k": 20})
                ids = _ids(surface, response.json()) if response.status_code == 200 else set()
                observations.append(Observation(viewer.pk if viewer else None, surface, started,
                                                response.status_code, ids))
        except Exception as error:
            failures.append(f"reader {viewer and viewer.pk}: {error!r}")
        finally:
            connection.close()

    half = TO_SELL // 2
    buyers = [
        threading.Thread(target=buy, args=(market["buyers"][0], to_sell[:half], False)),
        threading.Thread(target=buy, args=(market["buyers"][1], to_sell[half:], True)),
    ]
    readers = [threading.Thread(target=read, args=(market["viewers"][i % len(market["viewers"])], i))
               for i in range(READERS)]

    # when
    for thread in buyers + readers:
        thread.start()
    for thread in buyers:
        thread.join(timeout=DEADLINE_SECONDS + 10)
    buying_done.set()
    for thread in readers:
        thread.join(timeout=DEADLINE_SECONDS + 10)

    # then: the invariants first, so a violation is reported even when some requests also failed
    assert not any(t.is_alive() for t in buyers + readers), "a thread did not finish before the deadline"
    stale = [(o.viewer_id, o.surface, sorted(i for i in o.ids if i in sold_at and sold_at[i] < o.started))
             for o in observations]
    assert [s for s in stale if s[2]] == []
    own = [(o.viewer_id, o.surface, sorted(i for i in o.ids if market["seller_of"].get(i) == o.viewer_id))
           for o in observations if o.viewer_id is not None]
    assert [s for s in own if s[2]] == []
    assert failures == []
    assert [(o.surface, o.status) for o in observations if o.status != 200] == []
    # and the run really overlapped sales with every surface, and showed listings that were later sold
    assert set(sold_at) == set(to_sell) == set(Order.objects.values_list("listing_id", flat=True))
    assert {o.surface for o in observations if o.ids} == {"home", "item", "units", "unit_items"}
    first_sale, last_sale = min(sold_at.values()), max(sold_at.values())
    assert any(first_sale < o.started < last_sale for o in observations)
    assert any(i in sold_at and o.started < sold_at[i] for o in observations for i in o.ids)
    # and the precomputed slates the surfaces read held listings that then sold (filtered at read time)
    stored = {i for payload in SurfaceSlate.objects.values_list("payload", flat=True)
              for row in payload["rows"] + payload["cards"] for i in row["ids"]}
    assert stored & set(to_sell)
