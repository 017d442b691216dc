"""A shopper's journey in a real browser: browse, open an item, like it, open its interest unit, buy it, and
see it gone from the homepage and from the interest unit."""

import pytest
from playwright.sync_api import Page, expect

from interest_units.models import InterestUnit, InterestUnitMember
from interest_units.services import unit_features_recompute
from marketplace.models import ListingStatus, Order
from tests.factories import ListingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()


def test_browse_like_open_unit_buy_and_see_it_gone(page: Page, live_server, shoot):
    # given a small marketplace with one interest unit of three jackets
    shopper = UserFactory(username="shopper")
    jackets = [ListingFactory(title=f"Levi's trucker denim jacket {size}") for size in ("S", "M", "L")]
    others = [ListingFactory(title=f"Nintendo Switch game {n}") for n in range(3)]
    unit = InterestUnit.objects.create(type="spu", key="levis-jackets", title="Levi's denim jackets")
    for jacket in jackets:
        InterestUnitMember.objects.create(unit=unit, listing=jacket, type="spu")
    unit_features_recompute(unit_ids=[unit.pk])  # as a unit build does: the shared unit lists see it at once
    target = jackets[0]

    # when the shopper browses the homepage
    _log_in(page, live_server, shopper.username)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Shop by interest")).to_be_visible()
    shoot("home")

    # opens the item, likes it (in place, without a reload)
    page.get_by_role("link", name=target.title).first.click()
    expect(page.get_by_role("heading", name=target.title)).to_be_visible()
    page.get_by_role("button", name="♡ Like").click()
    expect(page.get_by_role("button", name="♥ Liked")).to_be_visible()
    shoot("item")

    # opens its interest unit
    page.get_by_role("link", name="Levi's denim jackets").first.click()
    expect(page.get_by_role("heading", name="Levi's denim jackets")).to_be_visible()
    expect(page.get_by_text(target.title)).to_be_visible()
    shoot("interest_unit")

    # buys it
    page.get_by_role("link", name=target.title).click()
    page.get_by_role("link", name="Buy now").click()
    shoot("buy_confirm")
    page.get_by_role("button", name="Confirm and pay").click()
    expect(page.get_by_role("heading", name="It's yours!")).to_be_visible()
    shoot("order_done")

    # then it is sold, and gone from the homepage and from the interest unit
    assert Order.objects.filter(listing=target, buyer=shopper).count() == 1
    target.refresh_from_db()
    assert target.status == ListingStatus.SOLD
    page.goto(live_server.url + "/")
    expect(page.get_by_text(others[0].title).first).to_be_visible()
    expect(page.get_by_text(target.title)).to_have_count(0)
    page.goto(f"{live_server.url}/units/{unit.pk}/")
    expect(page.get_by_text(jackets[1].title)).to_be_visible()
    expect(page.get_by_text(target.title)).to_have_count(0)
    shoot("interest_unit_after_sale")
    # its own page still answers, marked sold
    page.goto(f"{live_server.url}/item/{target.pk}/")
    expect(page.get_by_text("Sold", exact=True)).to_be_visible()
    shoot("item_sold")
