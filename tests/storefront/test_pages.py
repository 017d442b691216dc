"""Storefront pages through Django's test client, against the real Postgres."""

import pytest
from django.urls import reverse

from marketplace import errors
from marketplace.models import Event, EventAction, Listing, ListingStatus
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db


def test_home_shows_active_listings_and_logs_impressions(client):
    listings = [ListingFactory() for _ in range(3)]
    response = client.get(reverse("home"))
    assert response.status_code == 200
    for listing in listings:
        assert listing.title in response.content.decode()
    impressions = Event.objects.filter(action=EventAction.IMPRESSION)
    assert set(impressions.values_list("listing_id", flat=True)) == {x.pk for x in listings}
    assert all(e.request_id and e.surface and e.position is not None for e in impressions)


def test_sold_listing_disappears_from_home_but_its_page_says_sold(client):
    kept, sold = ListingFactory(), ListingFactory()
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    home = client.get(reverse("home")).content.decode()
    assert kept.title in home and sold.title not in home
    page = client.get(reverse("listing-detail", args=[sold.pk]))
    assert page.status_code == 200
    assert "Sold" in page.content.decode()


def test_own_listings_are_not_recommended_to_their_seller(client):
    seller = UserFactory()
    own = ListingFactory(seller=seller)
    other = ListingFactory()
    client.force_login(seller)
    home = client.get(reverse("home")).content.decode()
    assert other.title in home and own.title not in home


def test_view_item_logs_the_click_with_its_source_surface(client):
    listing = ListingFactory()
    client.get(reverse("home"))
    shown = Event.objects.get(action=EventAction.IMPRESSION, listing=listing)
    client.get(reverse("listing-detail", args=[listing.pk]), {"src": shown.surface, "pos": "3",
                                                               "rid": shown.request_id})
    view = Event.objects.get(action=EventAction.ITEM_VIEW)
    assert (view.listing_id, view.surface, view.position, view.request_id) == (
        listing.pk, shown.surface, shown.position, shown.request_id)


def test_listing_text_is_escaped(client):
    listing = ListingFactory(title="<script>alert('x')</script> lamp")
    body = client.get(reverse("listing-detail", args=[listing.pk])).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_actions_require_login(client):
    listing = ListingFactory()
    for name in ("listing-like", "listing-cart", "listing-buy"):
        response = client.post(reverse(name, args=[listing.pk]))
        assert response.status_code == 302 and reverse("login") in response.url
    assert client.get(reverse("sell")).status_code == 302


def test_forms_are_csrf_protected():
    from django.test import Client

    listing = ListingFactory()
    buyer = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(buyer)
    assert strict.post(reverse("listing-buy", args=[listing.pk])).status_code == 403
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.ACTIVE


def test_only_the_seller_can_edit_or_remove(client):
    listing = ListingFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("listing-edit", args=[listing.pk])).status_code == 403
    assert client.post(reverse("listing-edit", args=[listing.pk]), {"title": "x", "price": "1"}).status_code == 403
    assert client.post(reverse("listing-remove", args=[listing.pk])).status_code == 403
    listing.refresh_from_db()
    assert listing.status == ListingStatus.ACTIVE and listing.title != "x"


def test_buying_from_the_page_and_losing_the_race_is_friendly(client):
    listing = ListingFactory()
    buyer = UserFactory()
    client.force_login(buyer)
    confirm = client.get(reverse("listing-buy", args=[listing.pk]))
    assert confirm.status_code == 200
    assert Event.objects.filter(action=EventAction.BUY_START, listing=listing).exists()
    listing_buy(listing_id=listing.pk, buyer=UserFactory())  # someone else is faster
    response = client.post(reverse("listing-buy", args=[listing.pk]))
    assert response.status_code == 409
    assert errors.LISTING_ALREADY_SOLD in response.content.decode()


def test_buy_and_like_from_the_page(client):
    listing = ListingFactory()
    client.force_login(UserFactory())
    liked = client.post(reverse("listing-like", args=[listing.pk]), {"liked": "1"}, HTTP_ACCEPT="application/json")
    assert liked.json() == {"liked": True}
    done = client.post(reverse("listing-buy", args=[listing.pk]))
    assert done.status_code == 200 and "It's yours" in done.content.decode()
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.SOLD


def test_sell_form_reports_errors_and_writes_nothing(client):
    client.force_login(UserFactory())
    response = client.post(reverse("sell"), {"title": "", "price": "-5"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body and "greater than or equal to 0" in body
    assert not Listing.objects.exists()


def test_sell_form_creates_a_listing(client):
    seller = UserFactory()
    client.force_login(seller)
    leaf = category_path()[2]
    response = client.post(reverse("sell"), {
        "title": "Nike Air Max 90 size 10", "price": "80", "category": leaf.pk, "brand": "Nike",
        "condition": 2, "shipper": "seller", "description": "", "size": "10", "color": "white"})
    listing = Listing.objects.get(seller=seller)
    assert response.status_code == 302 and response.url == reverse("listing-detail", args=[listing.pk])
    assert listing.brand.name == "Nike" and listing.c2 == leaf


def test_search_matches_titles_with_typos_and_filters(client):
    hit = ListingFactory(title="Lululemon Align leggings black size 6")
    ListingFactory(title="Coach leather wallet")
    response = client.get(reverse("search"), {"q": "lululemon algin"})
    body = response.content.decode()
    assert hit.title in body and "Coach leather wallet" not in body
    assert Event.objects.filter(action=EventAction.SEARCH, query="lululemon algin").exists()
    bad = client.get(reverse("search"), {"min_price": "10", "max_price": "5"})
    assert bad.status_code == 200 and "minimum price is above" in bad.content.decode()


def test_my_activity_lists_purchases(client):
    listing = ListingFactory()
    buyer = UserFactory()
    listing_buy(listing_id=listing.pk, buyer=buyer)
    client.force_login(buyer)
    assert listing.title in client.get(reverse("my-activity")).content.decode()


def test_demo_switcher_logs_in_demo_users_only(client):
    UserFactory(username="demo_alice")
    UserFactory(username="staffer", is_staff=True)
    client.post(reverse("demo-switch"), {"username": "demo_alice"})
    assert client.get(reverse("my-activity")).status_code == 200
    client.logout()
    client.post(reverse("demo-switch"), {"username": "staffer"})
    assert client.get(reverse("my-activity")).status_code == 302


def test_pages_with_text_embeddings_serve_similar_items(client, django_capture_on_commit_callbacks):
    # given listings with embeddings (the content kNN rows read them back from pgvector)
    import numpy as np

    rng = np.random.default_rng(0)
    listings = [ListingFactory() for _ in range(6)]
    for listing in listings:
        vector = rng.normal(size=384).astype(np.float32)
        listing.text_embedding = vector / np.linalg.norm(vector)
        listing.save(update_fields=["text_embedding"])
    viewer = UserFactory()
    client.force_login(viewer)
    # when the viewer opens an item (whose rows, and the viewer's, the workers then compute), again, then the homepage
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(reverse("listing-detail", args=[listings[0].pk]))
    assert first.status_code == 200 and "Similar items" not in first.content.decode()  # the stand-in row at once
    page = client.get(reverse("listing-detail", args=[listings[0].pk]))
    home = client.get(reverse("home"))
    # then both render, the item page with a "Similar items" row, the home page with a "Because you viewed" row
    assert page.status_code == 200 and "Similar items" in page.content.decode()
    assert home.status_code == 200 and "Because you viewed" in home.content.decode()
