import datetime as dt

import pytest
from django.utils import timezone

from interest_units.features import UNIT_FEATURE_NAMES, unit_feature_vectors, user_unit_feature_vectors
from interest_units.models import InterestUnit, InterestUnitMember, UnitDailyStats, UnitType, UserUnitStats
from interest_units.services import interest_units_build, unit_stats_apply_events, unit_stats_refresh
from marketplace.models import EventAction, Page
from marketplace.services.events import EventInput, events_record
from marketplace.services.listings import listing_buy
from tests.factories import UserFactory
from tests.interest_units.conftest import SMALL

pytestmark = pytest.mark.django_db


def _stats() -> tuple[list, list, list]:
    daily = list(UnitDailyStats.objects.order_by("unit_id", "day").values_list(
        "unit_id", "day", "impressions", "clicks", "likes", "cart_adds", "offers", "purchases"))
    cross = list(UserUnitStats.objects.order_by("user_id", "unit_id").values_list(
        "user_id", "unit_id", "impressions", "clicks", "likes", "purchases", "last_interaction_at"))
    units = list(InterestUnit.objects.order_by("pk").values_list("pk", "window_stats", "ctr", "active_count",
                                                                 "sold_count", "purchases_30d"))
    return daily, cross, units


def _record(user, listing, actions, created_at=None):
    return events_record(user=user, session_id="s1", events=[
        EventInput(action=a, listing_id=listing.pk, page=Page.HOME, created_at=created_at) for a in actions
    ])


def test_events_update_unit_counters_and_cross_features_after_commit(built, catalogue,
                                                                      django_capture_on_commit_callbacks):
    # given
    user = UserFactory()
    shoe = catalogue["Nike"][0]
    spu = InterestUnit.objects.get(type=UnitType.SPU, members__listing=shoe)
    # when: events are recorded; their task runs after commit
    with django_capture_on_commit_callbacks(execute=True):
        _record(user, shoe, [EventAction.IMPRESSION] * 3 + [EventAction.ITEM_VIEW, EventAction.ITEM_LIKE])
        _record(user, catalogue["Nike"][1], [EventAction.IMPRESSION, EventAction.OFFER_MAKE],
                created_at=timezone.now() - dt.timedelta(days=3))
    # then
    spu.refresh_from_db()
    today = UnitDailyStats.objects.get(unit=spu, day=timezone.now().date())
    # shared counters count people: one shopper shown the unit three times today is one impression
    assert (today.impressions, today.clicks, today.likes) == (1, 1, 1)
    assert spu.window_stats["1d"]["impressions"] == 1 and spu.window_stats["7d"]["impressions"] == 2
    assert spu.window_stats["7d"]["offers"] == 1 and spu.window_stats["1d"]["offers"] == 0
    assert 0 < spu.ctr < 1
    cross = UserUnitStats.objects.get(user=user, unit=spu)
    assert (cross.impressions, cross.clicks, cross.likes, cross.offers) == (4, 1, 1, 1)
    assert cross.last_interaction_at is not None
    # one counter row per unit the listing is in (spu, semantic, image)
    assert UnitDailyStats.objects.filter(day=timezone.now().date()).count() == 3


def test_applying_events_twice_and_the_full_refresh_change_nothing(built, catalogue):
    # given
    user = UserFactory()
    events = _record(user, catalogue["Apple"][0], [EventAction.IMPRESSION, EventAction.ITEM_VIEW,
                                                   EventAction.ITEM_ADD_TO_CART_TAP])
    ids = [e.pk for e in events]
    unit_stats_apply_events(event_ids=ids)
    once = _stats()
    # when
    unit_stats_apply_events(event_ids=ids)
    twice = _stats()
    unit_stats_refresh()
    refreshed = _stats()
    # then
    assert once == twice
    assert once[0] == refreshed[0] and once[1] == refreshed[1]
    assert len(once[0]) == 3


def test_unit_stats_persist_after_members_sell_and_across_a_rebuild(built, catalogue):
    # given: every phone gets viewed, then every phone sells
    buyer = UserFactory()
    phones = catalogue["Apple"]
    for phone in phones:
        _record(buyer, phone, [EventAction.IMPRESSION, EventAction.ITEM_VIEW])
    unit = InterestUnit.objects.get(type=UnitType.SPU, members__listing=phones[0])
    # when
    for phone in phones:
        listing_buy(listing_id=phone.pk, buyer=buyer)  # records buy_comp events
    unit_stats_refresh()
    interest_units_build(config=SMALL)
    unit_stats_refresh()
    # then: the unit, its members and its counters are still there
    unit.refresh_from_db()
    assert unit.retired_at is not None  # no active member left: retired by the rebuild, never deleted
    assert unit.sold_count == len(phones) and unit.active_count == 0
    assert InterestUnitMember.objects.filter(unit=unit).count() == len(phones)
    today = UnitDailyStats.objects.get(unit=unit, day=timezone.now().date())
    assert (today.impressions, today.clicks, today.purchases) == (1, 1, 4)  # one shopper, four orders
    assert unit.window_stats["30d"]["purchases"] == 4
    assert UserUnitStats.objects.get(user=buyer, unit=unit).purchases == 4


def test_feature_vectors_for_rankers(built, catalogue):
    user = UserFactory()
    shoe = catalogue["Nike"][0]
    unit_stats_apply_events(event_ids=[e.pk for e in _record(user, shoe, [EventAction.ITEM_VIEW])])
    unit = InterestUnit.objects.get(type=UnitType.SPU, members__listing=shoe)
    vectors = unit_feature_vectors()
    assert vectors[unit.pk].shape == (len(UNIT_FEATURE_NAMES),)
    assert vectors[unit.pk][UNIT_FEATURE_NAMES.index("clicks_1d")] > 0
    cross = user_unit_feature_vectors(user_id=user.pk, unit_ids=[unit.pk, 0])
    assert cross[unit.pk][1] > 0 and cross[0][-1] == 365.0
