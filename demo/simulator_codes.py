"""Codes and tuning of the behaviour simulator: actions, pages and surfaces (an event row stores their index),
the chances of each step on an item page, session rates and row sizes."""

from __future__ import annotations

from itertools import accumulate

from recommender.data import ACTIONS as EVENT_LOG_ACTIONS
from recommender.data import INTERACTION_ACTIONS

# MerRec's six actions (in funnel order), then the storefront's own two: the event log's codes.
ACTIONS: tuple[str, ...] = EVENT_LOG_ACTIONS
SIX_ACTIONS: tuple[str, ...] = INTERACTION_ACTIONS
VIEW, LIKE, CART, OFFER, BUY_START, BUY_COMP, IMPRESSION, SEARCH = range(8)

PAGES: tuple[str, ...] = ("home", "vip", "search", "cart")
HOME_PAGE, VIP_PAGE, SEARCH_PAGE, CART_PAGE = range(4)
# surface -> (page, recommender that filled it); index = surface code
SURFACES: tuple[tuple[str, int, str], ...] = (
    ("home_for_you", HOME_PAGE, "interest"),
    ("home_trending", HOME_PAGE, "popularity"),
    ("home_new", HOME_PAGE, "recent"),
    ("vip_similar", VIP_PAGE, "similar"),
    ("search_results", SEARCH_PAGE, "search"),
    ("vip", VIP_PAGE, ""),  # the buttons on the item page (like / cart / offer / buy)
    ("cart", CART_PAGE, ""),
)
FOR_YOU, TRENDING, NEW, SIMILAR, RESULTS, VIP_BUTTONS, CART_SURFACE = range(7)


INITIAL_SHARE = 0.7  # listings that already exist when the simulation starts; the rest arrive day by day
PRIOR_DAYS = 45  # the initial listings were posted over this many days before the start

# Tuning (per view on an item page; scaled by how much the user likes the item). Chosen so the six actions land near
# MerRec-like shares: views ~75%, likes ~10%, cart ~5%, offers ~3%, buy_start ~2%, buy_comp ~1%.
P_LIKE, P_CART, P_OFFER, P_BUY_START, P_BUY_COMPLETE = 0.1, 0.045, 0.027, 0.0085, 0.55
SESSIONS_PER_USER_DAY = 0.23  # mean over users; activity is lognormal, so a few users are very active
ROW_SIZE = {FOR_YOU: 6, TRENDING: 6, NEW: 6, SIMILAR: 5, RESULTS: 8}
NO_CLICK_BIAS = {FOR_YOU: 0.0, TRENDING: 0.8, NEW: 0.8, SIMILAR: -0.6, RESULTS: -0.2}  # higher: fewer clicks
HOUR_WEIGHTS = [2, 1.2, 0.8, 0.5, 0.4, 0.4, 0.7, 1.2, 1.8, 2.2, 2.4, 2.6, 3, 3, 2.8, 2.8, 3, 3.3, 3.8, 4.4, 5, 5,
                 4.4, 3.2]
HOUR_CUM = list(accumulate(HOUR_WEIGHTS))


# How much a user likes a listing, and how a row's position discounts it: the one formula the demo's history and
# the simulated shoppers of `simulate_traffic` (demo.traffic) both click by.
POSITION_PENALTY = 0.18  # per position down a row


def liking(leaf_weight: float, mid_weight: float, appeal: float, brand_liked: bool, log_price_gap: float) -> float:
    """Interest in the listing's leaf and mid-level category, its appeal, a favourite brand, and how far its price
    sits from what the user pays for that leaf (log scale)."""
    score = 2.5 * leaf_weight + 1.5 * mid_weight + appeal
    if brand_liked:
        score += 0.8
    return score - 0.7 * abs(log_price_gap)
