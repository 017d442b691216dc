"""The homepage's interest-unit cards fill their rows at the widths people use (eight cards used to wrap 7 + 1)."""

import pytest
from playwright.sync_api import Page

from interest_units.models import InterestUnit, InterestUnitMember
from interest_units.services.stats import unit_features_recompute
from tests.factories import ListingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 768, 1024, 1280, 1440])
def test_eight_unit_cards_fill_whole_rows(page: Page, live_server, shoot, width):
    # given: eight live units, two listings each
    for n in range(8):
        unit = InterestUnit.objects.create(type="spu", key=f"cards-{n}", title=f"Unit {n} things")
        for _ in range(2):
            InterestUnitMember.objects.create(unit=unit, listing=ListingFactory(), type="spu")
    unit_features_recompute(unit_ids=list(InterestUnit.objects.values_list("pk", flat=True)))
    # when
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/")
    cards = page.locator(".unit-card")
    assert cards.count() == 8
    tops = [round(cards.nth(i).bounding_box()["y"]) for i in range(8)]
    shoot(f"unit_cards_{width}")
    # then: every row holds the same number of cards
    per_row = [tops.count(top) for top in sorted(set(tops))]
    assert len(set(per_row)) == 1, (width, per_row)
