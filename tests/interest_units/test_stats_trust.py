"""No one steers what others see (DESIGN invariant 6): the injection that once put an unbought unit first on every
homepage, replayed, and a couple of eager shoppers, move neither the unit cards nor the popular list."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from interest_units.models import InterestUnit
from interest_units.services import unit_stats_refresh
from marketplace.models import Event, EventAction, Page
from marketplace.services.events import EventInput, events_record
from recommender.surfaces.candidates import popular_listing_ids
from recommender.surfaces.serve import unit_cards_serve
from tests.cache import cache_empty
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    """Ten SPU units of three listings; eight of them have a week of history from six shoppers, two have none."""
    units = []
    for n in range(10):
        unit = InterestUnit.objects.create(type="spu", key=f"unit-{n}", title=f"Unit {n}")
        for _ in range(3):
            unit.members.create(listing=ListingFactory(), type="spu")
        units.append(unit)
    now = timezone.now()
    for shopper in [UserFactory() for _ in range(6)]:
        for days_ago in (1, 3):
            events_record(user=shopper, session_id=f"history-{shopper.pk}-{days_ago}", events=[
                EventInput(action=action, listing_id=member.listing_id, page=Page.HOME,
                           created_at=now - dt.timedelta(days=days_ago))
                for unit in units[:8] for member in unit.members.all()
                for action in (EventAction.IMPRESSION, EventAction.ITEM_VIEW)
            ])
    unit_stats_refresh()
    return units


def _shared_surfaces() -> tuple[list[int], list[int]]:
    cache_empty()  # the popular lists are cached for a minute
    cards = [card.unit.pk for card in unit_cards_serve(viewer_id=None).cards]
    return cards, popular_listing_ids()[:10]


def test_forged_and_eager_events_move_no_unit_card_and_no_popular_listing(market, client,
                                                                          django_capture_on_commit_callbacks):
    # given
    before = _shared_surfaces()
    target = market[9].members.first().listing_id
    assert market[9].pk not in before[0] and target not in before[1]
    views_before = Event.objects.filter(action=EventAction.ITEM_VIEW).count()
    # when: the replayed injection, 20 anonymous posts of fake views and purchases of one listing
    attacker = APIClient()
    forged = [{"action": action, "listing_id": target, "request_id": "0" * 32, "page": "vip"}
              for action in ("item_view", "buy_comp") for _ in range(25)]
    with django_capture_on_commit_callbacks(execute=True):
        answers = [attacker.post(reverse("api-event-list"), {"events": forged}, format="json").status_code
                   for _ in range(20)]
    # and two signed-in shoppers view the unit's listings 30 times each (the accidental takeover)
    with django_capture_on_commit_callbacks(execute=True):
        for shopper in (UserFactory(), UserFactory()):
            client.force_login(shopper)
            for n in range(30):
                listing_id = market[9].members.all()[n % 3].listing_id
                assert client.get(reverse("listing-detail", args=[listing_id])).status_code == 200
    # then
    assert answers == [400] * 20
    assert Event.objects.filter(action=EventAction.ITEM_VIEW).count() == views_before + 60  # the page views only
    assert not Event.objects.filter(action=EventAction.BUY_COMP).exists()
    assert _shared_surfaces() == before
    market[9].refresh_from_db()
    assert market[9].purchases_30d == 0
