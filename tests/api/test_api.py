import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace import errors
from marketplace.models import Brand, Event, EventAction, ListingStatus
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _ids(payload: dict) -> set[int]:
    return {item["id"] for row in payload["rows"] for item in row["items"]}


def test_home_recommendations_carry_request_id_and_recommender_and_log_impressions(api):
    listings = [ListingFactory() for _ in range(4)]
    response = api.get(reverse("api-home"), {"k": 3})
    assert response.status_code == 200
    payload = response.json()
    assert payload["request_id"] and payload["recommender"]
    assert _ids(payload) <= {x.pk for x in listings} and len(_ids(payload)) == 3
    logged = Event.objects.filter(action=EventAction.IMPRESSION, request_id=payload["request_id"])
    assert set(logged.values_list("listing_id", flat=True)) == _ids(payload)


@pytest.mark.parametrize("k", ["0", "101", "many"])
def test_bad_k_is_a_400_with_a_message(api, k):
    response = api.get(reverse("api-home"), {"k": k})
    assert response.status_code == 400
    assert "k" in response.json()


def test_sold_and_own_listings_never_come_back(api):
    me = UserFactory()
    mine = ListingFactory(seller=me)
    sold = ListingFactory()
    visible = ListingFactory()
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    api.force_authenticate(me)
    ids = _ids(api.get(reverse("api-home")).json())
    assert visible.pk in ids and mine.pk not in ids and sold.pk not in ids
    item_ids = _ids(api.get(reverse("api-item", args=[visible.pk])).json())
    assert mine.pk not in item_ids and sold.pk not in item_ids


def test_item_recommendations_404_for_unknown_listing(api):
    assert api.get(reverse("api-item", args=[10**9])).status_code == 404


def test_buy_via_api_then_conflict(api):
    listing = ListingFactory()
    api.force_authenticate(UserFactory())
    first = api.post(reverse("api-listing-buy", args=[listing.pk]))
    assert first.status_code == 201 and first.json()["listing_id"] == listing.pk
    api.force_authenticate(UserFactory())
    second = api.post(reverse("api-listing-buy", args=[listing.pk]))
    assert second.status_code == 409 and second.json()["detail"] == errors.LISTING_ALREADY_SOLD


def test_buy_requires_authentication(api):
    listing = ListingFactory()
    assert api.post(reverse("api-listing-buy", args=[listing.pk])).status_code in (401, 403)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE


def test_events_batch_validation(api):
    listing = ListingFactory()
    missing_request = {"events": [{"action": "item_view", "listing_id": listing.pk}]}
    assert api.post(reverse("api-event-list"), missing_request, format="json").status_code == 400
    assert api.post(reverse("api-event-list"), {"events": []}, format="json").status_code == 400
    too_many = {"events": [{"action": "item_view", "listing_id": listing.pk, "request_id": "r"}] * 501}
    assert api.post(reverse("api-event-list"), too_many, format="json").status_code == 400
    assert not Event.objects.exists()


def test_create_listing_via_api_validates(api):
    api.force_authenticate(UserFactory())
    leaf = category_path()[2]
    bad = api.post(reverse("api-listing-list"), {"title": "", "price": "-1", "category_id": leaf.pk}, format="json")
    assert bad.status_code == 400 and {"title", "price"} <= set(bad.json())
    good = api.post(reverse("api-listing-list"), {"title": "Sony WH-1000XM4", "price": "120", "category_id": leaf.pk,
                                              "brand": "Sony"}, format="json")
    assert good.status_code == 201 and good.json()["brand"] == "Sony"


def test_schema_and_docs_are_served(api):
    assert api.get(reverse("api-schema")).status_code == 200
    assert api.get(reverse("api-docs")).status_code == 200


def test_a_refused_listing_leaves_no_new_brand_behind(api):
    api.force_authenticate(UserFactory())
    leaf = category_path()[2]
    # the service refuses the title (a right-to-left override) after the brand was looked up
    refused = api.post(reverse("api-listing-list"), {"title": "Lamp \u202egpj.exe", "price": "10",
                                                      "category_id": leaf.pk, "brand": "Brand nobody has"},
                       format="json")
    assert refused.status_code == 400
    assert not Brand.objects.filter(name="Brand nobody has").exists()
