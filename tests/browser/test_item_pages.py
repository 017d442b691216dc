"""Item pages in a real browser: an anonymous Like or offer leads through log-in back to the item; a sold item and
a purchase lost to a faster buyer both offer similar available items."""

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from marketplace.models import Like
from marketplace.services.listings import listing_buy
from tests.factories import ListingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_here(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()


def test_anonymous_like_and_offer_go_through_log_in_back_to_the_item(page: Page, live_server, shoot):
    listing = ListingFactory(title="Levis trucker denim jacket M")
    shopper = UserFactory(username="late_shopper")
    item_url = f"{live_server.url}/item/{listing.pk}/"
    # Like (site.js's fetch): to the log-in page, then back on the item, where the Like works
    page.goto(item_url)
    page.get_by_role("button", name="♡ Like").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/item/{listing.pk}/")
    shoot("login_from_like")
    _log_in_here(page, shopper.username)
    expect(page).to_have_url(item_url)
    page.get_by_role("button", name="♡ Like").click()
    expect(page.get_by_role("button", name="♥ Liked")).to_be_visible()
    assert Like.objects.filter(user=shopper, listing=listing).exists()
    # Make an offer (a plain form post), logged out again: the same way round
    page.context.clear_cookies()
    page.goto(item_url)
    page.get_by_label("Make an offer (USD)").fill("20")
    page.get_by_role("button", name="Send offer").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/item/{listing.pk}/")
    _log_in_here(page, shopper.username)
    expect(page).to_have_url(item_url)
    expect(page.get_by_role("heading", name=listing.title)).to_be_visible()


def _near(rng: np.random.Generator, centre: np.ndarray) -> np.ndarray:
    vector = centre + 0.05 * rng.standard_normal(384)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_sold_item_and_lost_purchase_offer_similar_items(page: Page, live_server, shoot):
    rng = np.random.default_rng(1)
    centre = rng.standard_normal(384)
    sold = ListingFactory(title="Levis trucker jacket sold", text_embedding=_near(rng, centre))
    wanted = ListingFactory(title="Levis trucker jacket wanted", text_embedding=_near(rng, centre))
    similar = ListingFactory(title="Levis trucker jacket similar", text_embedding=_near(rng, centre))
    listing_buy(listing_id=sold.pk, buyer=UserFactory())
    shopper = UserFactory(username="shopper2")

    # a sold item's page: marked sold, with similar available items (never itself)
    page.goto(f"{live_server.url}/item/{sold.pk}/")
    expect(page.get_by_text("Sold", exact=True)).to_be_visible()
    row = page.get_by_role("region", name="Similar items")
    expect(row.get_by_role("link", name=similar.title)).to_be_visible()
    expect(row.get_by_role("link", name=wanted.title)).to_be_visible()
    expect(row.get_by_text(sold.title)).to_have_count(0)
    shoot("item_sold_with_similar")

    # a purchase lost to a faster buyer: the "already sold" page shows a row of similar items
    page.goto(f"{live_server.url}/accounts/login/")
    _log_in_here(page, shopper.username)
    page.goto(f"{live_server.url}/item/{wanted.pk}/buy/")
    listing_buy(listing_id=wanted.pk, buyer=UserFactory())  # someone else is faster
    page.get_by_role("button", name="Confirm and pay").click()
    expect(page.get_by_role("heading", name="Sorry, this item has already been sold.")).to_be_visible()
    row = page.get_by_role("region", name="Similar items")
    expect(row.get_by_role("link", name=similar.title)).to_be_visible()
    expect(row.get_by_text(wanted.title)).to_have_count(0)
    expect(row.get_by_text(sold.title)).to_have_count(0)
    shoot("buy_failed_with_similar")
    # and one of them opens
    row.get_by_role("link", name=similar.title).click()
    expect(page.get_by_role("heading", name=similar.title)).to_be_visible()
