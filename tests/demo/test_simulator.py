"""The behaviour simulator: determinism, MerRec-like action mix, and the marketplace invariants in its output."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from demo.simulator import simulate
from demo.simulator_codes import ACTIONS, SIX_ACTIONS

START = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def result():
    return simulate(n_users=300, n_listings=3000, days=10, seed=11, start=START)


@pytest.fixture(scope="module")
def listings(result):
    return {listing.id: listing for listing in result.listings}


def test_same_seed_same_output_and_other_seed_differs():
    first = simulate(n_users=60, n_listings=400, days=3, seed=4, start=START)
    second = simulate(n_users=60, n_listings=400, days=3, seed=4, start=START)
    other = simulate(n_users=60, n_listings=400, days=3, seed=5, start=START)
    assert first.users == second.users
    assert first.listings == second.listings
    assert first.events == second.events
    assert first.purchases == second.purchases
    assert first.events != other.events


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="n_users"):
        simulate(n_users=1, n_listings=10, days=1, seed=0, start=START)
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate(n_users=5, n_listings=10, days=1, seed=0, start=datetime(2025, 1, 1))


def test_action_mix_is_merrec_like(result):
    counts = Counter(event.action for event in result.events)
    assert set(counts) <= set(ACTIONS)
    six = sum(counts[action] for action in SIX_ACTIONS)
    share = {action: counts[action] / six for action in SIX_ACTIONS}
    assert 0.65 <= share["item_view"] <= 0.85
    assert 0.06 <= share["item_like"] <= 0.15
    assert 0.025 <= share["item_add_to_cart_tap"] <= 0.08
    assert 0.01 <= share["offer_make"] <= 0.05
    assert 0.008 <= share["buy_start"] <= 0.04
    assert 0.003 <= share["buy_comp"] <= 0.025
    assert share["buy_comp"] < share["buy_start"] < share["offer_make"] < share["item_like"]
    assert 3 * counts["item_view"] <= counts["impression"] <= 10 * counts["item_view"]
    assert counts["search"] > 0


def test_events_are_ordered_and_well_formed(result):
    timestamps = [event.timestamp for event in result.events]
    assert timestamps == sorted(timestamps)
    assert all(event.timestamp.tzinfo is not None for event in result.events)
    assert result.start <= timestamps[0] and timestamps[-1] <= result.end
    for event in result.events:
        assert (event.listing_id is None) == (event.action == "search")
        if event.action == "search":
            assert event.query and event.request_id and event.page == "search"
        if event.action == "impression":
            assert event.position is not None and event.position >= 0
            assert event.request_id and event.recommender and event.surface


def test_a_click_follows_an_impression_of_the_same_request(result):
    shown = {}
    for event in result.events:
        if event.action == "impression":
            shown.setdefault((event.request_id, event.listing_id), event)
    views = [event for event in result.events if event.action == "item_view"]
    assert views
    for view in views:
        impression = shown[(view.request_id, view.listing_id)]
        assert impression.user == view.user and impression.session_id == view.session_id
        assert impression.position == view.position and impression.surface == view.surface
        assert impression.timestamp < view.timestamp


def test_no_event_before_creation_or_after_sale(result, listings):
    sold_at = {purchase.listing_id: purchase.timestamp for purchase in result.purchases}
    assert sold_at, "the simulation should sell something"
    for event in result.events:
        if event.listing_id is None:
            continue
        listing = listings[event.listing_id]
        assert listing.created_at < event.timestamp
        if event.listing_id in sold_at:
            assert event.timestamp <= sold_at[event.listing_id]


def test_a_listing_sells_once_and_never_to_its_seller(result, listings):
    sold = [purchase.listing_id for purchase in result.purchases]
    assert len(sold) == len(set(sold))
    completions = Counter(event.listing_id for event in result.events if event.action == "buy_comp")
    assert completions == Counter(sold)
    for purchase in result.purchases:
        assert purchase.buyer != listings[purchase.listing_id].seller
        assert purchase.price == listings[purchase.listing_id].price


def test_nobody_sees_or_touches_their_own_listings(result, listings):
    for event in result.events:
        if event.listing_id is not None:
            assert listings[event.listing_id].seller != event.user


def test_listings_arrive_over_time(result):
    before = sum(listing.created_at < result.start for listing in result.listings)
    assert 0.65 <= before / len(result.listings) <= 0.75
    assert all(listing.created_at < result.end for listing in result.listings)
    assert [listing.id for listing in result.listings] == sorted(listing.id for listing in result.listings)
    assert all(a.created_at <= b.created_at for a, b in zip(result.listings, result.listings[1:], strict=False))


def test_users_have_interests_several_sessions_and_sell(result):
    assert len(result.users) == 300
    assert all(user.interests for user in result.users)
    assert len({user.username for user in result.users}) == 300
    sessions = defaultdict(set)
    owners = {}
    for event in result.events:
        sessions[event.user].add(event.session_id)
        assert owners.setdefault(event.session_id, event.user) == event.user  # a session belongs to one user
    active = [len(ids) for ids in sessions.values()]
    assert sum(n >= 2 for n in active) > len(active) / 2
    assert len({listing.seller for listing in result.listings}) > 100


def test_vip_sessions_are_focused_and_home_sessions_diverse(result, listings):
    """PWPRec 3.1: a click from the VIP row mostly stays in the last viewed item's category; home clicks do not."""
    last_leaf = {}
    same = Counter()
    total = Counter()
    for event in result.events:
        if event.action != "item_view":
            continue
        leaf = listings[event.listing_id].category_id
        previous = last_leaf.get(event.session_id)
        if previous is not None:
            total[event.page] += 1
            same[event.page] += previous == leaf
        last_leaf[event.session_id] = leaf
    vip = same["vip"] / total["vip"]
    home = same["home"] / total["home"]
    assert vip > 0.7
    assert home < 0.4
