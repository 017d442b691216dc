from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from interest_units.models import InterestUnit, InterestUnitMember, UnitDailyStats
from marketplace.models import EventAction, ListingStatus
from marketplace.services.events import EventInput, events_record
from recommender.data import ACTION_CODE
from recommender.dataset_db import (
    UNIT_FEATURES,
    dataset_from_db,
    event_log_from_db,
    item_table_from_db,
    unit_features_from_db,
)
from recommender.evaluation.split import time_split_dataset
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_event_log_maps_sessions_requests_surfaces_and_click_labels():
    # given: one user's homepage request showing two listings, one of which is clicked, in two sessions
    user = UserFactory()
    shown, skipped, other = ListingFactory(), ListingFactory(), ListingFactory()
    events_record(user=user, session_id="sess-a", events=[
        EventInput(action=EventAction.IMPRESSION, listing_id=shown.pk, page="home", surface="home_for_you",
                   position=0, request_id="req-1", created_at=at(0)),
        EventInput(action=EventAction.IMPRESSION, listing_id=skipped.pk, page="home", surface="home_for_you",
                   position=1, request_id="req-1", created_at=at(0)),
        EventInput(action=EventAction.ITEM_VIEW, listing_id=shown.pk, page="vip", request_id="req-1",
                   created_at=at(1)),
        EventInput(action=EventAction.SEARCH, query="jacket", page="search", created_at=at(2)),
    ])
    events_record(user=user, session_id="sess-b", events=[
        EventInput(action=EventAction.ITEM_LIKE, listing_id=other.pk, page="other", surface="iu_items",
                   created_at=at(60)),
    ])

    # when
    log = event_log_from_db()

    # then
    assert len(log) == 5
    assert log.timestamp.tolist() == [at(m).timestamp() for m in (0, 0, 1, 2, 60)]
    assert log.user.tolist() == [user.pk] * 5
    assert log.session[0] == log.session[3] != log.session[4]
    assert log.item.tolist() == [shown.pk, skipped.pk, shown.pk, -1, other.pk]
    assert log.action.tolist() == [ACTION_CODE[a] for a in
                                   ("impression", "impression", "item_view", "search", "item_like")]
    assert log.surface.tolist() == [1, 1, 2, 4, 3]  # home, home, vip, search, iu (from the surface name)
    assert log.position.tolist() == [0, 1, -1, -1, -1]
    assert log.request[0] == log.request[1] == log.request[2] >= 0
    assert log.request[3] == log.request[4] == -1
    assert log.clicked.tolist() == [True, False, False, False, False]


def test_anonymous_visitors_get_one_negative_user_per_session():
    listing = ListingFactory()
    for session in ("anon-1", "anon-2"):
        events_record(user=None, session_id=session,
                      events=[EventInput(action=EventAction.ITEM_VIEW, listing_id=listing.pk, created_at=at(0))])
    log = event_log_from_db()
    assert (log.user < 0).all()
    assert len(set(log.user.tolist())) == 2


def test_item_table_reads_content_status_products_and_units():
    c0, c1, c2 = category_path("Men", "Coats", "Parkas")
    brand = BrandFactory(name="Acme")
    parka = ListingFactory(c0=c0, c1=c1, c2=c2, brand=brand, price=Decimal("12.50"), product_id="p1-9",
                           condition=1, title="Warm parka")
    # same brand and leaf category, so the same MerRec product_id
    twin = ListingFactory(c0=c0, c1=c1, c2=c2, brand=brand, product_id="p1-9", status=ListingStatus.RESERVED)
    plain = ListingFactory(product_id="", brand=None)
    spu = InterestUnit.objects.create(type="spu", key="p1-9", title="Acme parkas")
    semantic = InterestUnit.objects.create(type="semantic", key="1-2", title="Coats")
    InterestUnitMember.objects.create(unit=spu, listing=parka, type="spu")
    InterestUnitMember.objects.create(unit=semantic, listing=parka, type="semantic")
    InterestUnitMember.objects.create(unit=spu, listing=twin, type="spu")

    items = item_table_from_db()

    assert items.item_id.tolist() == sorted([parka.pk, twin.pk, plain.pk])
    row = items.row_of()
    assert items.category[row[parka.pk]].tolist() == [c0.pk, c1.pk, c2.pk]
    assert items.brand[row[parka.pk]] == brand.pk and items.brand[row[plain.pk]] == 0
    assert items.product[row[parka.pk]] == items.product[row[twin.pk]] > 0
    assert items.product[row[plain.pk]] == 0
    assert items.condition[row[parka.pk]] == 1
    assert items.price[row[parka.pk]] == pytest.approx(12.5)
    assert items.created_at[row[parka.pk]] == pytest.approx(parka.created_at.timestamp())
    assert items.titles[row[parka.pk]] == "Warm parka"
    assert items.active.tolist() == [True, False, True]
    assert items.interest_unit[row[parka.pk]] == semantic.pk  # semantic first
    assert items.interest_unit[row[twin.pk]] == spu.pk  # else spu
    assert items.interest_unit[row[plain.pk]] == 0
    assert items.spu_unit.tolist() == [spu.pk, spu.pk, 0]  # the SPU unit alone (IU-Boosted's `unit_kind`)
    assert item_table_from_db(listing_ids=[parka.pk]).spu_unit.tolist() == [spu.pk]  # serving's few new listings
    assert items.text_vector is None  # no listing has an embedding


def test_text_vectors_are_float32_with_zero_rows_for_missing_embeddings():
    vector = np.linspace(-1, 1, 384).astype(np.float32)
    with_text = ListingFactory(text_embedding=vector.tolist())
    without = ListingFactory()
    items = item_table_from_db()
    row = items.row_of()
    assert items.text_vector.dtype == np.float32 and items.text_vector.shape == (2, 384)
    np.testing.assert_allclose(items.text_vector[row[with_text.pk]], vector, atol=2e-3)  # half precision
    assert not items.text_vector[row[without.pk]].any()


def test_unit_features_sum_windows_before_as_of():
    unit = InterestUnit.objects.create(type="spu", key="p1-1", title="unit")
    today = T0.date()
    for days_ago, impressions, clicks in ((0, 500, 500), (1, 10, 2), (5, 20, 1), (20, 70, 7), (40, 99, 9)):
        UnitDailyStats.objects.create(unit=unit, day=today - timedelta(days=days_ago), impressions=impressions,
                                      clicks=clicks)
    features = unit_features_from_db(as_of=T0)  # today itself is not yet over: left out
    vector = dict(zip(UNIT_FEATURES, features[unit.pk].tolist(), strict=True))
    assert vector["impressions_1d"] == 10 and vector["clicks_1d"] == 2
    assert vector["impressions_7d"] == 30 and vector["clicks_7d"] == 3
    assert vector["impressions_30d"] == 100 and vector["clicks_30d"] == 10
    assert vector["ctr_30d"] == pytest.approx(0.1)
    assert features[unit.pk].dtype == np.float32


def test_dataset_from_db_splits_by_time():
    user = UserFactory()
    listings = [ListingFactory() for _ in range(3)]
    events_record(user=user, session_id="s", events=[
        EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[i % 3].pk, created_at=at(day * 24 * 60))
        for i, day in enumerate(range(10))
    ])
    dataset = dataset_from_db()
    train, test, split = time_split_dataset(dataset, test_days=1.5)
    assert len(train.events) == 8 and len(test.events) == 2
    assert (train.events.timestamp < split).all() and (test.events.timestamp >= split).all()
    assert len(train.items) == len(test.items) == 3
