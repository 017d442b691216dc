"""Surfaces served from precomputed slates: a request reads its slate and checks availability once, whatever the
slate holds; a missing slate is a cheap stand-in at once and a refresh in the background."""

import numpy as np
import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interest_units.models import InterestUnit, InterestUnitMember
from interest_units.services.stats import unit_features_recompute
from marketplace.cards import listing_cards
from marketplace.models import EventAction, Page
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy, listing_update
from outbox.models import OutboxMessage
from recommender.surfaces.refresh import slate_refresh
from recommender.tasks import slate_refresh as slate_refresh_task
from storefront.api.serializers import ListingSerializer
from tests.factories import BrandFactory, ListingFactory, UserFactory, listing_with_text_vector

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    """30 listings with text vectors, a unit of ten of them, and a shopper who viewed five."""
    rng = np.random.default_rng(0)
    listings = [listing_with_text_vector(rng, brand=BrandFactory()) for _ in range(30)]
    unit = InterestUnit.objects.create(type="semantic", key="slates", title="Slate things")
    InterestUnitMember.objects.bulk_create(InterestUnitMember(unit=unit, listing=x, type="semantic")
                                           for x in listings[:10])
    unit_features_recompute(unit_ids=[unit.pk])  # its counts, as a build leaves them
    shopper = UserFactory()
    events_record(user=shopper, session_id="s1", events=[
        EventInput(action=EventAction.ITEM_VIEW, listing_id=x.pk, page=Page.VIP) for x in listings[:5]])
    return listings, unit, shopper


def test_a_card_is_what_the_listing_serializer_gives():
    listing = ListingFactory(brand=BrandFactory(), photo="listings/2026/12/a.jpg")
    request = RequestFactory().get("/")
    card = listing_cards([listing.pk])[listing.pk]
    assert card.payload(request=request) == ListingSerializer(listing, context={"request": request}).data
    assert listing_cards([listing.pk])[listing.pk] == card  # the second read is the cached card


def test_an_edited_listing_shows_its_edit_on_the_next_page(django_capture_on_commit_callbacks):
    listing = ListingFactory(title="Old title")
    assert listing_cards([listing.pk])[listing.pk].title == "Old title"
    with django_capture_on_commit_callbacks(execute=True):
        listing_update(listing=listing, editor=listing.seller, title="New title", price="12.50")
    card = listing_cards([listing.pk])[listing.pk]
    assert (card.title, str(card.price)) == ("New title", "12.50")


@pytest.mark.parametrize("surface", ["home", "item", "units", "unit_items"])
def test_a_signed_in_surface_answers_in_at_most_five_queries(market, client, surface):
    # given: the slates the workers keep (the shopper's, the listing's, the unit's), and a signed-in session
    listings, unit, shopper = market
    for key in (f"home:{shopper.pk}", f"item:{listings[0].pk}", f"unit:{unit.pk}"):
        assert slate_refresh(key) >= 1
    client.force_login(shopper)
    path = {"home": reverse("api-home"), "item": reverse("api-item", args=[listings[0].pk]),
            "units": reverse("api-units"), "unit_items": reverse("api-unit-items", args=[unit.pk])}[surface]
    client.get(path)  # the listing cards are cached from the first page on
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)  # session, user, availability, impressions (+ the listing for an item page)
    # then
    assert response.status_code == 200
    payload = response.json()
    shown = ([i["id"] for row in payload["rows"] for i in row["items"]] if "rows" in payload else
             [c["item"]["id"] if "item" in c else c["id"] for c in payload["results"]])
    assert shown
    assert len(captured.captured_queries) <= 5, [q["sql"][:80] for q in captured.captured_queries]


def test_a_slate_holding_listings_that_sold_or_are_the_viewers_shows_neither(market, client):
    listings, unit, shopper = market
    slate_refresh(f"unit:{unit.pk}")
    sold = listings[1]
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    own = listings[2]
    own.seller = shopper
    own.save(update_fields=["seller"])
    client.force_login(shopper)
    shown = [x["id"] for x in client.get(reverse("api-unit-items", args=[unit.pk])).json()["results"]]
    assert set(shown) == {x.pk for x in listings[:10]} - {sold.pk, own.pk}


def test_a_listing_without_a_slate_gets_a_stand_in_at_once_and_a_refresh_in_the_background(market, client):
    # given: no slate for this listing (non-transactional test: the refresh's on-commit send never runs here)
    listings, unit, shopper = market
    # when
    payload = client.get(reverse("api-item", args=[listings[7].pk])).json()
    # then: the popular row stands in, and the refresh waits in the outbox (coalesced: one for two requests)
    assert [row["surface"] for row in payload["rows"]] == ["home_popular"]
    client.get(reverse("api-item", args=[listings[7].pk]))
    refreshes = OutboxMessage.objects.filter(task=slate_refresh_task.name, args__0__startswith="item:")
    assert list(refreshes.values_list("args", flat=True)) == [[f"item:{listings[7].pk}"]]
    # and once the worker has run it, the listing's own rows
    slate_refresh(f"item:{listings[7].pk}")
    surfaces = [row["surface"] for row in client.get(reverse("api-item", args=[listings[7].pk])).json()["rows"]]
    assert surfaces[:2] == ["vip_similar", "vip_unit"]


def test_an_unknown_listing_or_unit_is_a_404_and_asks_no_worker_for_a_slate(client):
    for path in (reverse("api-item", args=[987654]), reverse("api-unit-items", args=[987654])):
        assert client.get(path).status_code == 404
    assert not OutboxMessage.objects.filter(task=slate_refresh_task.name).exists()
