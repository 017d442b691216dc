"""Anonymous shoppers are sent to log in and back to the item; a sold item's page and the "already sold" page
offer similar available items instead."""

import numpy as np
import pytest
from django.urls import reverse

from interest_units.models import InterestUnit, InterestUnitMember
from marketplace import errors
from marketplace.models import Event, EventAction, Like, Listing, ListingStatus, Offer
from marketplace.services.listings import listing_buy
from recommender.surfaces.refresh import item_slate_refresh
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login_url_back_to(listing: Listing) -> str:
    return f"{reverse('login')}?next={reverse('listing-detail', args=[listing.pk])}"


@pytest.mark.parametrize("action, data", [("listing-like", {"liked": "1"}), ("listing-cart", {"in_cart": "1"}),
                                          ("listing-offer", {"amount": "20"})])
def test_an_anonymous_action_goes_to_log_in_and_back_to_the_item(client, action, data):
    listing = ListingFactory()
    # a form post (no JavaScript) is redirected to log in, then to the item, not to the POST-only action
    response = client.post(reverse(action, args=[listing.pk]), data)
    assert response.status_code == 302 and response.url == _login_url_back_to(listing)
    # site.js's fetch is told where to go
    fetched = client.post(reverse(action, args=[listing.pk]), data, HTTP_ACCEPT="application/json")
    assert fetched.status_code == 401
    assert fetched.json() == {"detail": errors.LOGIN_REQUIRED, "login_url": _login_url_back_to(listing)}
    # and logging in there lands on the item
    user = UserFactory()
    logged_in = client.post(response.url, {"username": user.username, "password": "pass-word-123",
                                            "next": reverse("listing-detail", args=[listing.pk])})
    assert logged_in.status_code == 302 and logged_in.url == reverse("listing-detail", args=[listing.pk])
    assert not Like.objects.exists() and not Offer.objects.exists()


def _unit_vector(rng: np.random.Generator, centre: np.ndarray) -> np.ndarray:
    vector = centre + 0.05 * rng.standard_normal(384)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def sold_item_with_neighbours():
    """A sold jacket; three active jackets near it, another sold jacket near it, a far-away listing, and an active
    jacket with no embedding in the sold one's interest unit."""
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(384)
    sold = ListingFactory(title="Levis jacket sold", text_embedding=_unit_vector(rng, centre))
    similar = [ListingFactory(title=f"Levis jacket {n}", text_embedding=_unit_vector(rng, centre)) for n in range(3)]
    also_sold = ListingFactory(title="Levis jacket also sold", text_embedding=_unit_vector(rng, centre))
    ListingFactory(title="Garden hose", text_embedding=_unit_vector(rng, rng.standard_normal(384)))
    unit_mate = ListingFactory(title="Levis jacket, same model")
    unit = InterestUnit.objects.create(type="spu", key="levis-jackets", title="Levi's denim jackets")
    for listing in (sold, unit_mate, also_sold):
        InterestUnitMember.objects.create(unit=unit, listing=listing, type="spu")
    item_slate_refresh(listing=sold)  # as the worker does for a new listing: its rows, computed before two sell
    for listing in (sold, also_sold):
        listing_buy(listing_id=listing.pk, buyer=UserFactory())
    return sold, similar, also_sold, unit_mate


def test_a_sold_items_page_shows_similar_available_items(client, sold_item_with_neighbours):
    sold, similar, also_sold, unit_mate = sold_item_with_neighbours
    response = client.get(reverse("listing-detail", args=[sold.pk]))
    assert response.status_code == 200
    slate = response.context["slate"]
    surfaces = {row.surface for row in slate.rows}
    assert {"vip_similar", "vip_unit"} <= surfaces
    shown = {listing.pk for row in slate.rows for listing in row.listings}
    assert {x.pk for x in similar} | {unit_mate.pk} <= shown
    assert sold.pk not in shown and also_sold.pk not in shown
    assert Listing.objects.filter(pk__in=shown).exclude(status=ListingStatus.ACTIVE).count() == 0
    body = response.content.decode()
    assert "Similar items" in body and similar[1].title in body and "More from its interest unit" in body
    # impressions as for an active item's page, but no view of a sold item
    impressions = Event.objects.filter(action=EventAction.IMPRESSION, request_id=slate.request_id)
    assert set(impressions.values_list("listing_id", flat=True)) == shown
    assert not Event.objects.filter(action=EventAction.ITEM_VIEW).exists()


def test_the_already_sold_page_offers_a_row_of_similar_items(client, sold_item_with_neighbours):
    sold, similar, also_sold, _ = sold_item_with_neighbours
    client.force_login(UserFactory())
    for response in (client.get(reverse("listing-buy", args=[sold.pk])),
                     client.post(reverse("listing-buy", args=[sold.pk]))):
        assert response.status_code == 409
        body = response.content.decode()
        assert errors.LISTING_ALREADY_SOLD in body and "similar items" in body
        slate = response.context["slate"]
        assert [row.surface for row in slate.rows] == ["vip_similar"]
        shown = [listing.pk for listing in slate.rows[0].listings]
        assert set(shown[:3]) == {x.pk for x in similar}  # the nearest first, then the garden hose
        assert all(x.title in body for x in similar) and also_sold.title not in body
        impressions = Event.objects.filter(action=EventAction.IMPRESSION, request_id=slate.request_id)
        assert sorted(impressions.values_list("listing_id", flat=True)) == sorted(shown)


def test_buying_ones_own_listing_offers_no_row(client):
    listing = ListingFactory()
    client.force_login(listing.seller)
    response = client.get(reverse("listing-buy", args=[listing.pk]))
    assert response.status_code == 403 and response.context["slate"] is None
