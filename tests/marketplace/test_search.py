"""Search that ranks: field weights, typo correction ("did you mean"), own listings, sold ones, filters."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import Brand, Condition, Event, EventAction, Listing, ListingStatus, SearchWord
from marketplace.selectors import listing_search
from marketplace.services.listings import listing_buy
from marketplace.services.search import search_vocabulary_refresh
from marketplace.tasks import search_vocabulary_refresh_task
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db


def _titles(query: str, *, viewer_id: int | None = None, **filters: object) -> list[str]:
    return [listing.title for listing in listing_search(viewer_id=viewer_id, query=query, **filters).listings[:10]]


@pytest.fixture
def shoes_catalog() -> dict[str, Listing]:
    """The storefront's complaint: "nike shoes" put baby and golf shoes above the first Nike shoe."""
    nike = BrandFactory(name="Nike")
    athletic = category_path("Men", "Shoes", "Athletic Shoes")
    listings = {
        "baby": ListingFactory(title="Baby shoes soft sole", brand=BrandFactory(name="Carter's"),
                               c0=category_path("Kids", "Girls 0-24 Mos", "Shoes")[0]),
        "golf": ListingFactory(title="Golf shoes size 10", brand=None),
        "nike_shirt": ListingFactory(title="Dri-FIT running shirt", brand=nike),
        "nike_1": ListingFactory(title="Air Max 90 size 10", brand=nike,
                                 c0=athletic[0], c1=athletic[1], c2=athletic[2]),
        "nike_2": ListingFactory(title="Nike Pegasus 39 running shoes", brand=nike,
                                 c0=athletic[0], c1=athletic[1], c2=athletic[2]),
    }
    search_vocabulary_refresh()
    return listings


def test_brand_and_category_words_rank_nike_shoes_first(shoes_catalog):
    titles = _titles("nike shoes")
    assert set(titles[:2]) == {shoes_catalog["nike_1"].title, shoes_catalog["nike_2"].title}
    assert shoes_catalog["nike_shirt"].title not in titles  # a Nike that is not a shoe does not match both words


def test_a_typo_gets_a_did_you_mean_and_the_corrected_results(client, shoes_catalog):
    found = listing_search(viewer_id=None, query="nkie shoes")
    assert found.suggestion == "nike shoes"
    assert {x.title for x in found.listings[:2]} == {shoes_catalog["nike_1"].title, shoes_catalog["nike_2"].title}

    body = client.get(reverse("search"), {"q": "nkie shoes", "max_price": "100"}).content.decode()
    assert "Did you mean" in body and "?q=nike+shoes&amp;max_price=100" in body


def test_known_words_get_no_suggestion(shoes_catalog):
    assert listing_search(viewer_id=None, query="nike shoes").suggestion == ""
    assert listing_search(viewer_id=None, query="Nike Pegasus 39").suggestion == ""


def test_a_search_takes_a_fixed_small_number_of_queries(shoes_catalog):
    for query in ("nkie shoes", "nike shoes", "golf", ""):
        with CaptureQueriesContext(connection) as queries:
            found = listing_search(viewer_id=None, query=query, max_price=Decimal("500"))
            found.listings.count()
            list(found.listings[:24])
        assert len(queries) <= 3, (query, [q["sql"][:120] for q in queries])


def test_a_seller_finds_their_own_new_listing_by_its_title_marked_as_theirs(client):
    # given a seller who has just posted a listing through the sell form
    seller = UserFactory()
    client.force_login(seller)
    leaf = category_path()[2]
    client.post(reverse("sell"), {
        "title": "Handmade ceramic mug with blue glaze", "price": "18", "category": leaf.pk, "brand": "",
        "condition": 1, "shipper": "seller", "description": "", "size": "", "color": "blue"})
    listing = Listing.objects.get(seller=seller)
    ListingFactory(title="Handmade wooden spoon")

    # when they search its exact title
    response = client.get(reverse("search"), {"q": listing.title})

    # then it is the first result, marked as theirs, and logs no impression (it is not a shopping signal)
    results = list(response.context["results"])
    assert results[0] == listing and results[0].is_own
    assert "Your listing" in response.content.decode()
    assert not Event.objects.filter(action=EventAction.IMPRESSION, listing=listing).exists()

    # and another shopper sees it unmarked
    client.force_login(UserFactory())
    response = client.get(reverse("search"), {"q": listing.title})
    assert list(response.context["results"])[0] == listing
    assert "Your listing" not in response.content.decode()


def test_sold_and_removed_listings_never_appear_in_search(client):
    sold = ListingFactory(title="Vintage Polaroid camera sold")
    removed = ListingFactory(title="Vintage Polaroid camera removed", status=ListingStatus.REMOVED)
    kept = ListingFactory(title="Vintage Polaroid camera kept")
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    search_vocabulary_refresh()
    for query in ("vintage polaroid camera", "Vintage Polaroid camera sold", "vintge polaroid", ""):
        titles = _titles(query, viewer_id=sold.seller_id)
        assert kept.title in titles and sold.title not in titles and removed.title not in titles, query
    shown = list(client.get(reverse("search"), {"q": sold.title}).context["results"])
    assert kept in shown and sold not in shown


def test_filters_still_narrow_the_results():
    shirts = category_path("Men", "Tops", "T-shirts")
    nike = BrandFactory(name="Nike")
    cheap = ListingFactory(title="Nike tee black", brand=nike, price=Decimal("12"), condition=Condition.NEW,
                           c0=shirts[0], c1=shirts[1], c2=shirts[2])
    dear = ListingFactory(title="Nike tee white", brand=nike, price=Decimal("60"), condition=Condition.GOOD,
                          c0=shirts[0], c1=shirts[1], c2=shirts[2])
    other_brand = ListingFactory(title="Adidas tee", brand=BrandFactory(name="Adidas"), price=Decimal("12"))
    women = ListingFactory(title="Nike tee pink", brand=nike, price=Decimal("12"))  # Women > Tops & Blouses

    assert set(_titles("tee", max_price=Decimal("20"))) == {cheap.title, other_brand.title, women.title}
    assert set(_titles("tee", min_price=Decimal("50"))) == {dear.title}
    assert set(_titles("tee", brand="nike")) == {cheap.title, dear.title, women.title}
    assert set(_titles("tee", category=shirts[0])) == {cheap.title, dear.title}
    assert set(_titles("", category=shirts[1], condition=Condition.NEW)) == {cheap.title}


def test_the_document_follows_edits_and_brand_renames():
    listing = ListingFactory(title="Leather messenger bag", brand=BrandFactory(name="Fossil"))
    assert _titles("fossil bag") == [listing.title]
    listing.title = "Leather satchel"
    listing.save()
    assert _titles("fossil satchel") == [listing.title] and _titles("messenger") == []
    Brand.objects.filter(pk=listing.brand_id).update(name="Relic")
    assert _titles("relic satchel") == [listing.title] and _titles("fossil satchel") == []
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.SOLD, sold_at=listing.created_at)
    assert _titles("relic satchel") == []


def test_the_listings_api_ranks_its_search_too(client, shoes_catalog):
    response = client.get("/api/listings/", {"q": "nkie shoes"})
    assert response.status_code == 200
    titles = [item["title"] for item in response.json()["results"]]
    assert set(titles[:2]) == {shoes_catalog["nike_1"].title, shoes_catalog["nike_2"].title}


def test_the_vocabulary_holds_words_of_two_or_more_active_listings():
    nike = BrandFactory(name="Nike")
    for _ in range(2):
        ListingFactory(title="Pegasus trainers", brand=nike)
        ListingFactory(title="Zebra print scarf", status=ListingStatus.REMOVED)
    ListingFactory(title="Unique walrus mug")
    search_vocabulary_refresh_task()  # what beat runs
    vocabulary = dict(SearchWord.objects.values_list("word", "listings"))
    assert vocabulary["nike"] == 2 and vocabulary["pegasus"] == 2 and vocabulary["shirts"] == 3  # T-Shirts leaf
    assert "zebra" not in vocabulary and "walrus" not in vocabulary
