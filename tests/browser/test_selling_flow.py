"""A seller posts a listing in a real browser and finds it in search and in an interest unit within seconds."""

import time

import pytest
from playwright.sync_api import Page, expect

from interest_units.models import InterestUnitMember
from interest_units.services import interest_units_build
from marketplace.models import Listing
from marketplace.services.catalog import brand_get_or_create
from tests.factories import ListingFactory, UserFactory, category_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACEMENT_DEADLINE_S = 10.0


def test_sell_then_find_it_in_search_and_in_its_interest_unit(page: Page, live_server, shoot):
    # given a catalogue with interest units built (a Nike sneaker unit among others)
    c0, c1, sneakers = category_path("Men", "Shoes", "Athletic")
    nike = brand_get_or_create(name="Nike")
    for n in range(6):
        ListingFactory(title=f"Nike Air Zoom Pegasus running shoes size {8 + n}", brand=nike, c0=c0, c1=c1,
                       c2=sneakers)
    for n in range(6):
        ListingFactory(title=f"Pyrex glass baking dish set of {n + 2}")
    interest_units_build()
    seller = UserFactory(username="seller")

    # when the seller posts a new sneaker through the sell form
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(seller.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/sell/")
    shoot("sell_form")
    page.get_by_role("button", name="Post listing").click()  # empty form: clear errors, nothing written
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    shoot("sell_form_errors")
    page.get_by_label("Title").fill("Nike Air Zoom Pegasus 39 running shoes size 10")
    page.get_by_label("Price").fill("64")
    page.get_by_label("Category").select_option(label="Men › Shoes › Athletic")
    page.get_by_label("Brand").fill("Nike")
    page.get_by_role("button", name="Post listing").click()
    expect(page.get_by_text("Your listing is live.")).to_be_visible()
    listing = Listing.objects.get(seller=seller)

    # then it is in its interest units within seconds (polling with a deadline, no sleeps as synchronisation)
    deadline = time.monotonic() + PLACEMENT_DEADLINE_S
    while not InterestUnitMember.objects.filter(listing=listing).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    units = list(InterestUnitMember.objects.filter(listing=listing).select_related("unit"))
    assert units, "the new listing was not placed in any interest unit"

    # and a shopper finds it in search and on its interest unit's page
    page.get_by_role("button", name="Log out seller").click()  # a shopper's search (the seller's marks it as theirs)
    page.goto(f"{live_server.url}/search/?q=pegasus+39")
    expect(page.get_by_text(listing.title)).to_be_visible()
    shoot("search")
    page.goto(f"{live_server.url}/units/{units[0].unit_id}/")
    expect(page.get_by_text(listing.title)).to_be_visible()
    shoot("interest_unit_with_new_listing")
