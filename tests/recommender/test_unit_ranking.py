"""IU4Rec two-stage serving with an active IU-Boosted version: homepage unit cards (stage 1), unit pages (stage 2)."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
import torch
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interest_units.models import InterestUnit, InterestUnitMember
from marketplace.models import Event, EventAction, ListingStatus
from marketplace.services.listings import listing_buy
from recommender.ranking.units import unit_cards_ranked, unit_items_ranked, viewer_query
from recommender.serving.loading import served_model, served_models_forget
from recommender.surfaces.refresh import viewer_slates_refresh
from recommender.surfaces.serve import unit_cards_serve, unit_page_serve
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path
from tests.recommender.served import trained_and_activated

pytestmark = pytest.mark.django_db(transaction=True)

TINY = {"embed_dim": 4, "attention_dim": 8, "heads": 2, "mlp": (16, 8), "batch_size": 64, "epochs": 3,
        "patience": 10, "min_count": 1, "item_min_count": 1, "lr": 1e-2, "unit_stats": True, "content_sim": True}
N_UNITS, PER_UNIT = 4, 6



@pytest.fixture
def market():
    """4 semantic units of 6 listings (distinct brand / category each) and users who click one favourite unit."""
    rng = np.random.default_rng(0)
    seller = UserFactory()
    start = timezone.now() - timedelta(days=3)
    units, listings = [], []
    for u in range(N_UNITS):
        c0, c1, c2 = category_path("Women", f"Group {u}", f"Leaf {u}")
        brand = BrandFactory(name=f"Maker {u}")
        centroid = np.zeros(384, dtype=np.float32)
        centroid[u] = 1.0
        unit = InterestUnit.objects.create(type="semantic", key=f"{u}", title=f"Unit {u} things",
                                           centroid=centroid, active_count=PER_UNIT, member_count=PER_UNIT)
        members = []
        for i in range(PER_UNIT):
            vector = centroid + rng.normal(scale=0.05, size=384).astype(np.float32)
            listing = ListingFactory(seller=seller, title=f"Thing {u}-{i}", brand=brand, c0=c0, c1=c1, c2=c2,
                                     price=Decimal(10 + 5 * i), created_at=start - timedelta(days=1),
                                     text_embedding=vector / np.linalg.norm(vector))
            InterestUnitMember.objects.create(unit=unit, listing=listing, type="semantic")
            members.append(listing)
        units.append(unit)
        listings.append(members)
    users = [UserFactory() for _ in range(16)]
    rows = []
    for r in range(160):
        user_index = int(rng.integers(len(users)))
        favourite = user_index % N_UNITS
        at = start + timedelta(minutes=r)
        shown = [listings[int(u)][int(i)] for u, i in zip(rng.integers(0, N_UNITS, 4), rng.integers(0, PER_UNIT, 4),
                                                          strict=True)]
        for position, listing in enumerate(shown):
            rows.append(Event(user=users[user_index], session_id=f"s{r}", listing=listing, created_at=at,
                              action=EventAction.IMPRESSION, page="home", surface="home_for_you", position=position,
                              request_id=f"r{r}"))
            liked = rng.random() < (0.85 if listing in listings[favourite] else 0.03)
            if liked:
                rows.append(Event(user=users[user_index], session_id=f"s{r}", listing=listing,
                                  created_at=at + timedelta(seconds=5 + position), action=EventAction.ITEM_VIEW,
                                  page="home", surface="home_for_you", position=position, request_id=f"r{r}"))
    Event.objects.bulk_create(rows)
    return units, listings, users


@pytest.fixture
def served(market, tmp_path, settings):
    """A tiny IU-Boosted trained on the test database and activated like `train` does."""
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    torch.manual_seed(0)
    trained_and_activated(tmp_path, "iu_boosted", TINY)
    yield market
    served_models_forget()


def test_without_a_version_the_baselines_serve(market):
    units, listings, users = market
    served_models_forget()
    assert unit_items_ranked(unit_id=units[0].pk, viewer_id=users[0].pk) is None
    assert unit_cards_ranked(viewer_id=users[0].pk, k=4) is None
    page = unit_page_serve(unit_id=units[0].pk, viewer_id=users[0].pk)
    assert page.recommender == "iu_popularity"
    cards = unit_cards_serve(viewer_id=users[0].pk, k=4).cards
    assert all(card.recommender == "iu_popularity" for card in cards)


def test_unit_page_is_ranked_by_the_model_without_sold_or_own_listings(served, client):
    units, listings, users = served
    viewer = users[1]  # favourite unit: 1
    unit = units[1]
    sold = listings[1][0]
    listing_buy(listing_id=sold.pk, buyer=users[2])
    own = ListingFactory(seller=viewer, title="My own thing", created_at=timezone.now())
    InterestUnitMember.objects.create(unit=unit, listing=own, type="semantic")
    new = ListingFactory(title="Thing posted after training", brand=listings[1][1].brand, c0=listings[1][1].c0,
                         c1=listings[1][1].c1, c2=listings[1][1].c2, created_at=timezone.now())
    InterestUnitMember.objects.create(unit=unit, listing=new, type="semantic")
    # when
    page = unit_page_serve(unit_id=unit.pk, viewer_id=viewer.pk)
    # then: the page is the model's ranking of exactly the unit's available items
    shown = [x.pk for x in page.listings]
    assert page.recommender == "iu_boosted"
    assert sold.pk not in shown and own.pk not in shown
    assert set(shown) == {x.pk for x in listings[1][1:]} | {new.pk}
    model = served_model("iu_boosted")[1]  # the page added the new listing to its catalog
    scores = model.score(viewer_query(viewer.pk), np.array(shown))
    assert (np.diff(scores) <= 1e-9).all()  # best first
    assert len(set(np.round(scores, 6))) > 1  # the items really get different scores
    # and the page itself says who ranked it
    response = client.get(reverse("unit-detail", args=[unit.pk]))
    assert response.status_code == 200
    assert Event.objects.filter(action=EventAction.IMPRESSION, surface="iu_items", recommender="iu_boosted").exists()


def test_home_cards_rank_units_and_never_show_a_unit_without_an_active_item(served):
    units, listings, users = served
    viewer = users[2]  # favourite unit: 2
    # unit 3 sells out; the viewer owns everything left in unit 0
    for listing in listings[3]:
        listing_buy(listing_id=listing.pk, buyer=users[5])
    listings[0][0].seller = viewer
    listings[0][0].save(update_fields=["seller"])
    InterestUnitMember.objects.filter(unit=units[0]).exclude(listing=listings[0][0]).delete()
    # when: the viewer's slates are computed (by the worker, after their events), then the cards served
    viewer_slates_refresh(user_id=viewer.pk)
    with CaptureQueriesContext(connection) as queries:
        cards = unit_cards_serve(viewer_id=viewer.pk, k=8).cards
    # then
    shown_units = [card.unit.pk for card in cards]
    assert cards and all(card.recommender == "iu_boosted" for card in cards)
    assert units[3].pk not in shown_units and units[0].pk not in shown_units
    assert shown_units[0] == units[2].pk  # the unit the viewer clicks
    for card in cards:
        assert card.listing.status == ListingStatus.ACTIVE and card.listing.seller_id != viewer.pk
        assert InterestUnitMember.objects.filter(unit_id=card.unit.pk, listing_id=card.listing.pk).exists()
        assert card.active_count >= 1
    assert len(queries) == 1  # the availability of every card's listings (the slate is read from Redis)


def test_home_card_shows_the_models_best_item_of_the_unit(served):
    units, listings, users = served
    viewer = users[1]
    ranked = unit_cards_ranked(viewer_id=viewer.pk, k=4)
    assert ranked
    model = served_model("iu_boosted")[1]
    query = viewer_query(viewer.pk)
    for unit_id, listing_ids, count in ranked:
        members = list(InterestUnitMember.objects.filter(unit_id=unit_id, listing__status=ListingStatus.ACTIVE)
                       .values_list("listing_id", flat=True))
        scores = model.score(query, np.array(members))
        assert listing_ids[0] == members[int(np.argmax(scores))]
        score_of = dict(zip(members, scores, strict=True))
        assert [score_of[i] for i in listing_ids] == sorted(scores, reverse=True)[: len(listing_ids)]
        assert count == len(members)


def test_anonymous_viewer_gets_popular_units_ranked_by_the_model(served):
    units, listings, users = served
    cards = unit_cards_serve(viewer_id=None, k=8).cards
    assert {card.unit.pk for card in cards} == {u.pk for u in units}
    assert all(card.recommender == "iu_boosted" for card in cards)


def test_a_click_on_a_listing_posted_after_training_is_read_with_its_text_vector(served):
    units, listings, users = served
    viewer = users[3]  # favourite unit: 3
    vector = np.zeros(384, dtype=np.float32)
    vector[3] = 1.0
    new = ListingFactory(title="Thing 3-new", created_at=timezone.now(), text_embedding=vector)
    Event.objects.create(user=viewer, session_id="late", listing=new, action=EventAction.ITEM_VIEW, page="vip",
                         surface="vip", created_at=timezone.now())
    model = served_model("iu_boosted")[1]
    assert new.pk not in model.catalog.item_id
    # when the viewer opens a unit page
    ranked = unit_items_ranked(unit_id=units[0].pk, viewer_id=viewer.pk)
    # then the clicked listing joined the catalog with its vector, so the content features read it
    assert ranked
    row = int(np.flatnonzero(model.catalog.item_id == new.pk)[0])
    np.testing.assert_allclose(model.catalog.text_vector[row].astype(np.float32), vector, atol=1e-3)
