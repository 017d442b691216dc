"""Behaviour simulator for the demo marketplace: users, listings arriving over time, sessions, purchases.

What it imitates:
- MerRec (000, section 3): one row per action with the six `event_id`s, a session id, a timestamp; users who both
  buy and sell; one-of-a-kind listings that disappear once sold; new listings every day; users whose sessions
  sometimes stay on one interest and sometimes pivot.
- PWPRec (004, section 3.1): two kinds of browsing. Focused view-item sessions follow the VIP "similar items" row
  from item to similar item (same leaf / brand / product line), so the category of the next click overlaps the last
  few views; homepage sessions click across the user's several interests from the home rows, so overlap with the
  last hour is low and with the last days is high.
- Impressions: every row shown is logged item by item with its surface, position, recommender and request id; a
  click is the `item_view` that follows from the same request (CTR training data for IU4Rec / DIN).

Invariants (tests check them): no event on a listing before its `created_at` or after its sale; a listing sells at
most once; nobody sees or buys their own listings; the same arguments give identical output.

Sessions are processed in start-time order while a listing's last event time is tracked, so a purchase is only
allowed when no event already generated (by a session that started earlier but runs longer) comes after it.
"""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from heapq import nlargest
from itertools import accumulate

import numpy as np
from tqdm import tqdm

from demo.catalog import (
    BrandSpec,
    CatalogIndex,
    CategorySpec,
    ListingSpec,
    build_catalog,
    catalog_index,
    make_listing,
)

# MerRec's six actions (in funnel order), then the storefront's own two.
SIX_ACTIONS: tuple[str, ...] = ("item_view", "item_like", "item_add_to_cart_tap", "offer_make", "buy_start", "buy_comp")
ACTIONS: tuple[str, ...] = SIX_ACTIONS + ("impression", "search")
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

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
INITIAL_SHARE = 0.7  # listings that already exist when the simulation starts; the rest arrive day by day
PRIOR_DAYS = 45  # the initial listings were posted over this many days before the start

# Tuning (per view on an item page; scaled by how much the user likes the item). Chosen so the six actions land near
# MerRec-like shares: views ~75%, likes ~10%, cart ~5%, offers ~3%, buy_start ~2%, buy_comp ~1%.
P_LIKE, P_CART, P_OFFER, P_BUY_START, P_BUY_COMPLETE = 0.1, 0.045, 0.027, 0.0085, 0.55
SESSIONS_PER_USER_DAY = 0.23  # mean over users; activity is lognormal, so a few users are very active
ROW_SIZE = {FOR_YOU: 6, TRENDING: 6, NEW: 6, SIMILAR: 5, RESULTS: 8}
NO_CLICK_BIAS = {FOR_YOU: 0.0, TRENDING: 0.8, NEW: 0.8, SIMILAR: -0.6, RESULTS: -0.2}  # higher: fewer clicks
_HOUR_WEIGHTS = [2, 1.2, 0.8, 0.5, 0.4, 0.4, 0.7, 1.2, 1.8, 2.2, 2.4, 2.6, 3, 3, 2.8, 2.8, 3, 3.3, 3.8, 4.4, 5, 5,
                 4.4, 3.2]
_HOUR_CUM = list(accumulate(_HOUR_WEIGHTS))


@dataclass(slots=True)
class UserSpec:
    index: int
    username: str
    interests: list[int]  # leaf (c2) or c1 category ids, strongest first
    favourite_brands: list[int]
    price_level: float  # multiplier on category base prices the user is comfortable with (1.0 = typical)


@dataclass(slots=True)
class EventSpec:
    user: int  # user index
    session_id: int  # unique across users
    listing_id: int | None  # None for search
    action: str  # one of ACTIONS
    page: str  # home / vip / search / cart: where the action happened (a click: the page of the row)
    timestamp: datetime  # tz-aware UTC
    surface: str  # the row (home_for_you, vip_similar, ...) for impressions and clicks; "vip" / "cart" otherwise
    position: int | None  # 0-based position in the row, impressions and clicks only
    recommender: str  # which logic filled the row (interest / popularity / recent / similar / search), "" otherwise
    request_id: str | None  # groups the impressions of one row and its clicks (and a search with its results)
    query: str  # search text, "" otherwise


@dataclass(slots=True)
class PurchaseSpec:
    listing_id: int
    buyer: int  # user index
    timestamp: datetime
    price: Decimal


@dataclass
class SimulationResult:
    users: list[UserSpec]
    listings: list[ListingSpec]  # ordered by id (= by created_at)
    events: list[EventSpec]  # ordered by timestamp
    purchases: list[PurchaseSpec]  # ordered by timestamp
    categories: list[CategorySpec]
    brands: list[BrandSpec]
    start: datetime
    end: datetime

    def action_counts(self) -> dict[str, int]:
        counts = Counter(event.action for event in self.events)
        return {action: counts.get(action, 0) for action in ACTIONS}


def simulate(
    n_users: int = 2000,
    n_listings: int = 20000,
    days: int = 30,
    seed: int = 0,
    start: datetime | None = None,
    progress: bool = False,
) -> SimulationResult:
    """Users, listings and `days` days of behaviour starting at `start` (default DEFAULT_START, UTC).

    Identical arguments give identical output. Pass `start` (tz-aware) to place the activity, e.g. ending today.
    """
    if n_users < 2:
        raise ValueError("n_users must be at least 2 (a buyer and a seller)")
    if n_listings < 1:
        raise ValueError("n_listings must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return _Simulation(n_users, n_listings, days, seed, start.astimezone(UTC), progress).run()


class _Pool:
    """Active listing ids of one group, with O(1) removal (swap with the last) and sampling."""

    __slots__ = ("items", "where")

    def __init__(self) -> None:
        self.items: list[int] = []
        self.where: dict[int, int] = {}

    def add(self, lid: int) -> None:
        self.where[lid] = len(self.items)
        self.items.append(lid)

    def remove(self, lid: int) -> None:
        i = self.where.pop(lid)
        last = self.items.pop()
        if last != lid:
            self.items[i] = last
            self.where[last] = i

    def sample(self, rng: random.Random, k: int) -> list[int]:
        items = self.items
        return list(items) if len(items) <= k else rng.sample(items, k)


_EMPTY_POOL = _Pool()

_FIRST_NAMES = (
    "emma olivia ava sophia mia amelia harper ella chloe lily grace zoe nora riley layla hannah madison ashley "
    "jess sarah megan kayla brooke taylor morgan alex jordan casey sam jamie liam noah ethan mason logan lucas "
    "jack owen caleb ryan tyler josh kevin brian chris matt nick jake eric david mike sean luis carlos diego "
    "marco jose maria sofia camila valeria lucia priya anika ravi arjun mei lin yuki kenji hana min ji"
).split()
_HANDLE_WORDS = (
    "closet thrift finds deals vintage style shop boutique resale picks treasures kicks cards toys gear home "
    "glam beauty books vinyl retro cozy sparkle sunny happy lucky mama dad plant collector reseller market"
).split()


class _Simulation:
    def __init__(self, n_users: int, n_listings: int, days: int, seed: int, start: datetime, progress: bool) -> None:
        self.n_users, self.n_listings, self.days, self.seed = n_users, n_listings, days, seed
        self.start, self.progress = start, progress
        self.t_start = start.timestamp()
        self.t_end = self.t_start + days * 86400.0
        # No session starts in the last two hours and none takes a new step after `deadline`, so every event falls
        # inside [start, end] (a step takes at most a few minutes).
        self.last_start = self.t_end - 2 * 3600.0
        self.deadline = self.t_end - 15 * 60.0
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.categories, self.brands = build_catalog(seed)
        self.index: CatalogIndex = catalog_index(self.categories, self.brands)
        # (timestamp, user, session, listing or 0, action, surface, position or -1, request or -1, query or -1)
        self.rows: list[tuple[float, int, int, int, int, int, int, int, int]] = []
        self.queries: list[str] = []
        self.n_requests = 0
        self.n_sessions = 0
        self.purchases: list[tuple[int, int, float]] = []

    # ---------------------------------------------------------------------------------------------- setup

    def run(self) -> SimulationResult:
        self._build_leaf_tables()
        users = self._make_users()
        listings = self._make_listings()
        self._simulate_sessions()
        return self._result(users, listings)

    def _build_leaf_tables(self) -> None:
        index = self.index
        self.leaf_logbase = {leaf_id: math.log(info.base_price) for leaf_id, info in index.leaves.items()}
        by_c0: dict[int, tuple[list[int], list[float]]] = {}
        by_c1: dict[int, tuple[list[int], list[float]]] = {}
        c0_share: dict[int, float] = {}
        for leaf_id in index.leaf_ids:
            info = index.leaves[leaf_id]
            share = index.leaf_share[leaf_id]
            for table, key in ((by_c0, info.c0_id), (by_c1, info.c1_id)):
                ids, weights = table.setdefault(key, ([], []))
                ids.append(leaf_id)
                weights.append(share)
            c0_share[info.c0_id] = c0_share.get(info.c0_id, 0.0) + share
        self.leaves_in_c0 = {k: (ids, list(accumulate(w))) for k, (ids, w) in by_c0.items()}
        self.leaves_in_c1 = {k: (ids, list(accumulate(w))) for k, (ids, w) in by_c1.items()}
        self.c0_ids = list(c0_share)
        self.c0_cum = list(accumulate(c0_share.values()))

    def _leaf_within(self, table: dict[int, tuple[list[int], list[float]]], key: int) -> int:
        ids, cum = table[key]
        return ids[bisect(cum, self.rng.random() * cum[-1])]

    def _make_users(self) -> list[UserSpec]:
        rng, index = self.rng, self.index
        users: list[UserSpec] = []
        taken: set[str] = set()
        self.u_leaf_w: list[dict[int, float]] = []
        self.u_c1_w: list[dict[int, float]] = []
        self.u_brands: list[set[int]] = []
        self.u_plevel: list[float] = []  # log of price_level
        self.u_interests: list[list[tuple[int, int, int]]] = []  # (leaf or -1, c1, brand or -1)
        self.u_interest_cum: list[list[float]] = []
        self.u_sell_leaves: list[list[int]] = []
        for u in range(self.n_users):
            home_c0 = self.c0_ids[bisect(self.c0_cum, rng.random() * self.c0_cum[-1])]
            n_interests = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
            leaf_w: dict[int, float] = {}
            c1_w: dict[int, float] = {}
            brands: list[int] = []
            interests: list[tuple[int, int, int]] = []
            weights: list[float] = []
            interest_ids: list[int] = []
            for _ in range(n_interests):
                leaf = self._leaf_within(self.leaves_in_c0, home_c0) if rng.random() < 0.65 else index.random_leaf(rng)
                info = index.leaves[leaf]
                weight = math.exp(rng.gauss(0.0, 0.6))
                brand = -1
                if info.brand_ids and rng.random() < 0.45:
                    cum = info.brand_cum_weights
                    brand = info.brand_ids[bisect(cum, rng.random() * cum[-1])]
                    if brand not in brands:
                        brands.append(brand)
                if rng.random() < 0.6:
                    interests.append((leaf, info.c1_id, brand))
                    leaf_w[leaf] = max(leaf_w.get(leaf, 0.0), weight)
                    c1_w[info.c1_id] = max(c1_w.get(info.c1_id, 0.0), 0.4 * weight)
                    interest_ids.append(leaf)
                else:
                    interests.append((-1, info.c1_id, brand))
                    c1_w[info.c1_id] = max(c1_w.get(info.c1_id, 0.0), weight)
                    interest_ids.append(info.c1_id)
                weights.append(weight)
            top = max(weights)
            leaf_w = {k: v / top for k, v in leaf_w.items()}
            c1_w = {k: v / top for k, v in c1_w.items()}
            order = sorted(range(len(weights)), key=lambda i: -weights[i])
            price_level = math.exp(rng.gauss(0.0, 0.35))
            self.u_leaf_w.append(leaf_w)
            self.u_c1_w.append(c1_w)
            self.u_brands.append(set(brands))
            self.u_plevel.append(math.log(price_level))
            self.u_interests.append(interests)
            self.u_interest_cum.append(list(accumulate(weights)))
            self.u_sell_leaves.append(
                [leaf if leaf >= 0 else self._leaf_within(self.leaves_in_c1, c1) for leaf, c1, _ in interests]
            )
            username = self._username(u, taken)
            users.append(
                UserSpec(
                    index=u,
                    username=username,
                    interests=list(dict.fromkeys(interest_ids[i] for i in order)),
                    favourite_brands=brands,
                    price_level=round(price_level, 3),
                )
            )
        return users

    def _username(self, u: int, taken: set[str]) -> str:
        rng = self.rng
        first, word = rng.choice(_FIRST_NAMES), rng.choice(_HANDLE_WORDS)
        pattern = rng.random()
        if pattern < 0.3:
            name = f"{first}{rng.randint(1, 99)}"
        elif pattern < 0.55:
            name = f"{first}_{word}"
        elif pattern < 0.75:
            name = f"{word}by{first}"
        else:
            name = f"{first}.{word}{rng.randint(1, 999)}"
        if name in taken:
            name = f"{name}_{u}"
        taken.add(name)
        return name

    def _make_listings(self) -> list[ListingSpec]:
        rng, n = self.rng, self.n_listings
        n_initial = round(n * INITIAL_SHARE)
        times = sorted(
            [self.t_start - rng.random() * PRIOR_DAYS * 86400.0 for _ in range(n_initial)]
            + [self.t_start + rng.random() * self.days * 86400.0 for _ in range(n - n_initial)]
        )
        seller_cum = list(accumulate(rng.paretovariate(1.3) for _ in range(self.n_users)))
        listings: list[ListingSpec] = []
        # Per-listing state, indexed by listing id (ids start at 1; slot 0 unused).
        self.l_leaf = [0] * (n + 1)
        self.l_c1 = [0] * (n + 1)
        self.l_brand = [-1] * (n + 1)
        self.l_logp = [0.0] * (n + 1)
        self.l_seller = [0] * (n + 1)
        self.l_created = [0.0] * (n + 1)
        self.l_quality = [0.0] * (n + 1)  # how appealing the photo / price is, beyond the user's taste
        self.l_colour = [""] * (n + 1)
        self.l_sold = [False] * (n + 1)
        self.l_last_touch = [0.0] * (n + 1)
        self.l_price = [Decimal(0)] * (n + 1)
        iterator = tqdm(times, desc="listings", unit="listing", disable=not self.progress)
        for listing_id, created in enumerate(iterator, start=1):
            seller = bisect(seller_cum, rng.random() * seller_cum[-1])
            leaf = rng.choice(self.u_sell_leaves[seller]) if rng.random() < 0.5 else None
            created_at = datetime.fromtimestamp(round(created, 3), UTC)
            listing = make_listing(rng, listing_id, seller, created_at, self.categories, self.brands, leaf=leaf)
            listings.append(listing)
            info = self.index.leaves[listing.category_id]
            self.l_leaf[listing_id] = listing.category_id
            self.l_c1[listing_id] = info.c1_id
            self.l_brand[listing_id] = listing.brand_id if listing.brand_id is not None else -1
            self.l_logp[listing_id] = math.log(float(listing.price))
            self.l_seller[listing_id] = seller
            self.l_created[listing_id] = created_at.timestamp()
            self.l_quality[listing_id] = rng.gauss(0.0, 0.5)
            self.l_colour[listing_id] = listing.color
            self.l_price[listing_id] = listing.price
        return listings

    # ---------------------------------------------------------------------------------------------- sessions

    def _session_starts(self) -> list[tuple[float, int]]:
        rng = self.rng
        activity = self.np_rng.lognormal(mean=-0.5, sigma=1.0, size=self.n_users)
        activity *= SESSIONS_PER_USER_DAY / activity.mean()
        counts = self.np_rng.poisson(activity * self.days)
        starts: list[tuple[float, int]] = []
        for u, count in enumerate(counts.tolist()):
            for _ in range(max(count, 1 if rng.random() < 0.5 else 0)):
                day = int(rng.random() * self.days)
                hour = bisect(_HOUR_CUM, rng.random() * _HOUR_CUM[-1])
                t = self.t_start + day * 86400.0 + hour * 3600.0 + rng.random() * 3600.0
                if t > self.last_start:  # sessions end by the end of the period (see `deadline`)
                    t = self.last_start - rng.random() * 3600.0
                starts.append((round(t, 3), u))
        starts.sort()
        return starts

    def _simulate_sessions(self) -> None:
        rng = self.rng
        self.leaf_pools: dict[int, _Pool] = {}
        self.c1_pools: dict[int, _Pool] = {}
        self.product_pools: dict[tuple[int, int], _Pool] = {}
        self.arrivals: list[int] = []  # listing ids in creation order (the "new" row reads the tail)
        self.view_score: dict[int, float] = {}  # decayed recent views, for the trending row
        self.trending: list[int] = []
        self.carts: dict[int, list[int]] = {}
        self.likes: set[tuple[int, int]] = set()
        next_listing = 1
        day_boundary = self.t_start
        starts = self._session_starts()
        for t0, user in tqdm(starts, desc="sessions", unit="session", disable=not self.progress):
            while next_listing <= self.n_listings and self.l_created[next_listing] < t0:
                self._list(next_listing)
                next_listing += 1
            while t0 >= day_boundary:
                self._refresh_trending()
                day_boundary += 86400.0
            self.n_sessions += 1
            session = self.n_sessions
            t = t0 + rng.uniform(1.0, 5.0)
            if self.carts.get(user) and rng.random() < 0.1:
                t = self._visit_cart(user, session, t)
            kind = rng.random()
            if kind < 0.45:
                self._home_session(user, session, t)
            elif kind < 0.8:
                self._focused_session(user, session, t)
            else:
                self._search_session(user, session, t)

    def _list(self, lid: int) -> None:
        for pools, key in (
            (self.leaf_pools, self.l_leaf[lid]),
            (self.c1_pools, self.l_c1[lid]),
            (self.product_pools, (self.l_brand[lid], self.l_leaf[lid])),
        ):
            pool = pools.get(key)  # type: ignore[call-overload]
            if pool is None:
                pool = pools[key] = _Pool()  # type: ignore[index]
            pool.add(lid)
        self.arrivals.append(lid)

    def _sell(self, lid: int, buyer: int, t: float) -> None:
        self.l_sold[lid] = True
        self.leaf_pools[self.l_leaf[lid]].remove(lid)
        self.c1_pools[self.l_c1[lid]].remove(lid)
        self.product_pools[(self.l_brand[lid], self.l_leaf[lid])].remove(lid)
        self.purchases.append((lid, buyer, t))

    def _refresh_trending(self) -> None:
        scores = {lid: s * 0.5 for lid, s in self.view_score.items() if s > 0.2 and not self.l_sold[lid]}
        self.view_score = scores
        self.trending = [lid for lid, _ in nlargest(300, scores.items(), key=lambda kv: kv[1])]

    # ---------------------------------------------------------------------------------------------- scoring

    def _affinities(self, user: int, lids: list[int]) -> list[float]:
        """How much the user likes each listing: interest in its leaf / c1, favourite brand, price fit, appeal."""
        leaf_w, c1_w = self.u_leaf_w[user], self.u_c1_w[user]
        brands, plevel = self.u_brands[user], self.u_plevel[user]
        l_leaf, l_c1, l_brand, l_logp, l_quality = self.l_leaf, self.l_c1, self.l_brand, self.l_logp, self.l_quality
        logbase = self.leaf_logbase
        out = []
        for lid in lids:
            leaf = l_leaf[lid]
            score = 2.5 * leaf_w.get(leaf, 0.0) + 1.5 * c1_w.get(l_c1[lid], 0.0) + l_quality[lid]
            if l_brand[lid] in brands:
                score += 0.8
            out.append(score - 0.7 * abs(l_logp[lid] - logbase[leaf] - plevel))
        return out

    def _available(self, user: int, candidates: list[int], exclude: set[int]) -> list[int]:
        seller, sold = self.l_seller, self.l_sold
        out = []
        for lid in candidates:
            if lid not in exclude and seller[lid] != user and not sold[lid]:
                out.append(lid)
                exclude.add(lid)
        return out

    def _pick_interest(self, user: int) -> tuple[int, int, int]:
        """(leaf or -1, c1, brand or -1); one session in ten explores a random popular leaf instead."""
        rng = self.rng
        if rng.random() < 0.1:
            leaf = self.index.random_leaf(rng)
            return leaf, self.index.leaves[leaf].c1_id, -1
        cum = self.u_interest_cum[user]
        return self.u_interests[user][bisect(cum, rng.random() * cum[-1])]

    # ---------------------------------------------------------------------------------------------- rows

    def _row_for_interest(self, user: int, interest: tuple[int, int, int], k: int, shown: set[int]) -> list[int]:
        rng = self.rng
        leaf, c1, brand = interest
        candidates: list[int] = []
        if brand >= 0:
            if leaf >= 0:
                candidates += self.product_pools.get((brand, leaf), _EMPTY_POOL).sample(rng, k)
            else:
                for other in self.leaves_in_c1[c1][0][:6]:
                    candidates += self.product_pools.get((brand, other), _EMPTY_POOL).sample(rng, 2)
        if leaf >= 0:
            candidates += self.leaf_pools.get(leaf, _EMPTY_POOL).sample(rng, 2 * k)
        candidates += self.c1_pools.get(c1, _EMPTY_POOL).sample(rng, k if leaf >= 0 else 3 * k)
        return self._rank(user, self._available(user, candidates, shown), k, noise=0.8)

    def _rank(self, user: int, candidates: list[int], k: int, noise: float) -> list[int]:
        """The logging policy's order: relevance for the user, blurred (it is not the user's own judgement)."""
        gauss = self.rng.gauss
        affinities = self._affinities(user, candidates)
        scored = [(a + gauss(0.0, noise), lid) for a, lid in zip(affinities, candidates, strict=True)]
        scored.sort(reverse=True)
        return [lid for _, lid in scored[:k]]

    def _row_trending(self, user: int, k: int, shown: set[int]) -> list[int]:
        pool = self.trending if len(self.trending) >= 2 * k else self.arrivals[-300:]
        candidates = self.rng.sample(pool, min(len(pool), 3 * k)) if pool else []
        return self._available(user, candidates, shown)[:k]

    def _row_new(self, user: int, k: int, shown: set[int]) -> list[int]:
        recent = self.arrivals[-400:]
        candidates = self.rng.sample(recent, min(len(recent), 3 * k))
        return self._available(user, candidates, shown)[:k]

    def _row_similar(self, user: int, anchor: int, k: int, shown: set[int]) -> list[int]:
        rng = self.rng
        leaf, brand = self.l_leaf[anchor], self.l_brand[anchor]
        candidates = self.product_pools.get((brand, leaf), _EMPTY_POOL).sample(rng, 4) if brand >= 0 else []
        candidates += self.leaf_pools.get(leaf, _EMPTY_POOL).sample(rng, 3 * k)
        candidates += self.c1_pools.get(self.l_c1[anchor], _EMPTY_POOL).sample(rng, 2)
        available = self._available(user, candidates, shown)
        scored = [(self._similarity(anchor, lid) + rng.gauss(0.0, 0.5), lid) for lid in available]
        scored.sort(reverse=True)
        return [lid for _, lid in scored[:k]]

    def _similarity(self, anchor: int, lid: int) -> float:
        score = 2.0 * (self.l_leaf[lid] == self.l_leaf[anchor]) + 0.6 * (self.l_c1[lid] == self.l_c1[anchor])
        if self.l_brand[anchor] >= 0 and self.l_brand[lid] == self.l_brand[anchor]:
            score += 1.5
        if self.l_colour[lid] == self.l_colour[anchor]:
            score += 0.4
        return score - 0.8 * abs(self.l_logp[lid] - self.l_logp[anchor])

    # ---------------------------------------------------------------------------------------------- events

    def _emit(self, t: float, user: int, session: int, lid: int, action: int, surface: int, position: int = -1,
              request: int = -1, query: int = -1) -> None:
        self.rows.append((t, user, session, lid, action, surface, position, request, query))
        if lid:
            if t > self.l_last_touch[lid]:
                self.l_last_touch[lid] = t

    def _show(self, user: int, session: int, t: float, surface: int, items: list[int], request: int = -1) -> int:
        """Log one row's impressions; returns its request number."""
        if request < 0:
            self.n_requests += 1
            request = self.n_requests
        emit = self._emit
        for position, lid in enumerate(items):
            emit(t, user, session, lid, IMPRESSION, surface, position, request)
        return request

    def _choose_click(self, user: int, items: list[int], surface: int, anchor: int = 0) -> int:
        """Index of the clicked item in `items`, or -1: softmax over affinity, position bias and not clicking."""
        if not items:
            return -1
        weights = []
        exp = math.exp
        for position, (score, lid) in enumerate(zip(self._affinities(user, items), items, strict=True)):
            score -= 0.18 * position
            if anchor:
                score += 0.6 * self._similarity(anchor, lid)
            weights.append(exp(min(score, 30.0)))
        total = sum(weights) + math.exp(NO_CLICK_BIAS[surface] + 1.5)
        draw = self.rng.random() * total
        for i, w in enumerate(weights):
            draw -= w
            if draw < 0:
                return i
        return -1

    def _view(self, user: int, session: int, t: float, lid: int, surface: int, position: int, request: int,
              focused: bool = False) -> tuple[float, bool]:
        """A click from a row, then what the user does on the item page. Returns (time after, bought)."""
        rng, emit = self.rng, self._emit
        t += rng.uniform(2.0, 20.0)
        emit(t, user, session, lid, VIEW, surface, position, request)
        self.view_score[lid] = self.view_score.get(lid, 0.0) + 1.0
        appetite = math.exp(0.35 * (self._affinities(user, [lid])[0] - 1.5))
        appetite = min(3.0, max(0.3, appetite)) * (1.25 if focused else 1.0)
        t += rng.uniform(8.0, 60.0)
        if rng.random() < P_LIKE * appetite and (user, lid) not in self.likes:
            self.likes.add((user, lid))
            emit(t, user, session, lid, LIKE, VIP_BUTTONS)
            t += rng.uniform(2.0, 15.0)
        if rng.random() < P_CART * appetite:
            emit(t, user, session, lid, CART, VIP_BUTTONS)
            self.carts.setdefault(user, []).append(lid)
            t += rng.uniform(2.0, 15.0)
        cheapness = 1.0 / (1.0 + 0.15 * max(0.0, self.l_logp[lid] - 3.0))  # pricier items sell slower
        if rng.random() < P_OFFER * appetite * (2.0 - cheapness):
            emit(t, user, session, lid, OFFER, VIP_BUTTONS)
            t += rng.uniform(5.0, 30.0)
        bought = False
        if rng.random() < P_BUY_START * appetite * cheapness:
            emit(t, user, session, lid, BUY_START, VIP_BUTTONS)
            t += rng.uniform(15.0, 90.0)
            if rng.random() < P_BUY_COMPLETE and self._can_buy(lid, t):
                emit(t, user, session, lid, BUY_COMP, VIP_BUTTONS)
                self._sell(lid, user, t)
                bought = True
        return t + rng.uniform(3.0, 40.0), bought

    def _can_buy(self, lid: int, t: float) -> bool:
        return not self.l_sold[lid] and self.l_last_touch[lid] <= t and self.l_created[lid] < t

    def _visit_cart(self, user: int, session: int, t: float) -> float:
        """Open the cart and check out the newest item still for sale (or drop it)."""
        rng, cart = self.rng, self.carts[user]
        while cart:
            lid = cart.pop()
            if self.l_sold[lid]:
                continue
            self._emit(t, user, session, lid, BUY_START, CART_SURFACE)
            t += rng.uniform(15.0, 90.0)
            if rng.random() < P_BUY_COMPLETE and self._can_buy(lid, t):
                self._emit(t, user, session, lid, BUY_COMP, CART_SURFACE)
                self._sell(lid, user, t)
            return t + rng.uniform(5.0, 30.0)
        return t

    # ---------------------------------------------------------------------------------------------- session kinds

    def _home_session(self, user: int, session: int, t: float) -> None:
        """Diverse browsing: several home rows, each on one of the user's interests (or trending / new)."""
        rng = self.rng
        shown: set[int] = set()
        n_rows = 1 + min(10, int(rng.expovariate(1 / 2.2)))
        last_interest = None
        for _ in range(n_rows):
            if t > self.deadline:
                break
            kind = rng.random()
            if kind < 0.62:
                surface = FOR_YOU
                interest = self._pick_interest(user)
                if interest == last_interest:
                    interest = self._pick_interest(user)
                last_interest = interest
                items = self._row_for_interest(user, interest, ROW_SIZE[FOR_YOU], shown)
            elif kind < 0.81:
                surface = TRENDING
                items = self._row_trending(user, ROW_SIZE[TRENDING], shown)
            else:
                surface = NEW
                items = self._row_new(user, ROW_SIZE[NEW], shown)
            if not items:
                continue
            request = self._show(user, session, t, surface, items)
            clicked = self._choose_click(user, items, surface)
            if clicked >= 0:
                t, _ = self._view(user, session, t, items[clicked], surface, clicked, request)
                if rng.random() < 0.2:  # a short detour through the item's similar row, then back home
                    t = self._similar_chain(user, session, t, items[clicked], 1 + int(rng.random() * 2), shown)
            t += rng.uniform(4.0, 40.0)

    def _focused_session(self, user: int, session: int, t: float) -> None:
        """A shopping mission: one entry click, then item to similar item through the VIP row (PWPRec VIP)."""
        rng = self.rng
        shown: set[int] = set()
        interest = self._pick_interest(user)
        for _ in range(2):  # the entry: a home row on the mission's interest
            items = self._row_for_interest(user, interest, ROW_SIZE[FOR_YOU], shown)
            if not items:
                return
            request = self._show(user, session, t, FOR_YOU, items)
            clicked = self._choose_click(user, items, SIMILAR)
            if clicked >= 0:
                t, bought = self._view(user, session, t, items[clicked], FOR_YOU, clicked, request, focused=True)
                if not bought:
                    self._similar_chain(user, session, t, items[clicked], 2 + int(rng.expovariate(1 / 4.0)), shown)
                return
            t += rng.uniform(4.0, 30.0)

    def _similar_chain(self, user: int, session: int, t: float, anchor: int, steps: int, shown: set[int]) -> float:
        rng = self.rng
        shown.add(anchor)
        misses = 0
        for _ in range(min(steps, 30)):
            if t > self.deadline:
                break
            items = self._row_similar(user, anchor, ROW_SIZE[SIMILAR], shown)
            if not items:
                break
            request = self._show(user, session, t, SIMILAR, items)
            clicked = self._choose_click(user, items, SIMILAR, anchor=anchor)
            if clicked < 0:
                misses += 1
                if misses >= 2 or rng.random() < 0.5:
                    break
                t += rng.uniform(3.0, 15.0)
                continue
            t, bought = self._view(user, session, t, items[clicked], SIMILAR, clicked, request, focused=True)
            anchor = items[clicked]
            if bought and rng.random() < 0.6:
                break
        return t

    def _search_session(self, user: int, session: int, t: float) -> None:
        """A typed query, its results, a few clicks; sometimes a refined query or a VIP chain after."""
        rng = self.rng
        shown: set[int] = set()
        interest = self._pick_interest(user)
        leaf, c1, brand = interest
        if leaf < 0:
            leaf = self._leaf_within(self.leaves_in_c1, c1)
        colour = ""
        for attempt in range(2):
            query_text, colour = self._query(leaf, brand, colour if attempt else "")
            self.queries.append(query_text)
            query = len(self.queries) - 1
            items = self._search_results(user, leaf, brand, colour, ROW_SIZE[RESULTS], shown)
            self.n_requests += 1
            request = self.n_requests
            self._emit(t, user, session, 0, SEARCH, RESULTS, request=request, query=query)
            t += rng.uniform(1.0, 3.0)
            self._show(user, session, t, RESULTS, items, request)
            last = 0
            remaining = list(enumerate(items))
            for _ in range(4):
                if t > self.deadline:
                    break
                candidates = [lid for _, lid in remaining if not self.l_sold[lid]]
                clicked = self._choose_click(user, candidates, RESULTS)
                if clicked < 0:
                    break
                lid = candidates[clicked]
                position = next(p for p, item in remaining if item == lid)
                remaining = [(p, item) for p, item in remaining if item != lid]
                t, bought = self._view(user, session, t, lid, RESULTS, position, request, focused=True)
                last = lid
                if bought or rng.random() < 0.45:
                    break
            if last and rng.random() < 0.3:
                self._similar_chain(user, session, t, last, 1 + int(rng.expovariate(1 / 3.0)), shown)
                return
            if rng.random() >= 0.25 or t > self.deadline:
                return
            t += rng.uniform(5.0, 30.0)
            colour = colour or self.rng.choice(("black", "white", "pink", "blue", "gray", "red"))

    def _query(self, leaf: int, brand: int, colour: str) -> tuple[str, str]:
        rng, info = self.rng, self.index.leaves[leaf]
        noun = info.noun
        words: list[str] = []
        if colour:
            words.append(colour)
        if brand >= 0:
            words.append(self.index.brand_by_id[brand].name)
            if rng.random() < 0.25:
                noun = ""
        elif not colour and rng.random() < 0.12:
            colour = rng.choice(("black", "white", "pink", "blue", "red", "green"))
            words.append(colour)
        if noun:
            words.append(noun)
        if info.sizes and rng.random() < 0.12:
            words.append(f"size {rng.choice(info.sizes)}")
        text = " ".join(words)
        return (text.lower() if rng.random() < 0.7 else text), colour

    def _search_results(self, user: int, leaf: int, brand: int, colour: str, k: int, shown: set[int]) -> list[int]:
        rng = self.rng
        candidates = self.product_pools.get((brand, leaf), _EMPTY_POOL).sample(rng, 2 * k) if brand >= 0 else []
        candidates += self.leaf_pools.get(leaf, _EMPTY_POOL).sample(rng, 3 * k)
        available = self._available(user, candidates, set(shown))
        scored = []
        for lid in available:
            relevance = 2.0 * (brand >= 0 and self.l_brand[lid] == brand)
            relevance += 1.0 * (bool(colour) and self.l_colour[lid].lower() == colour)
            scored.append((relevance + 0.3 * self.l_quality[lid] + rng.gauss(0.0, 0.4), lid))
        scored.sort(reverse=True)
        return [lid for _, lid in scored[:k]]

    # ---------------------------------------------------------------------------------------------- output

    def _result(self, users: list[UserSpec], listings: list[ListingSpec]) -> SimulationResult:
        rows = self.rows
        # Sort newest first, then pop from the end: rows are freed as events are made (half the peak memory).
        # Stable on ties, so impressions stay before their click.
        rows.reverse()
        rows.sort(key=lambda row: row[0], reverse=True)
        request_ids = self._request_ids()
        surfaces = [(name, PAGES[page], recommender) for name, page, recommender in SURFACES]
        utc = UTC
        events: list[EventSpec] = []
        last_t, last_dt = -1.0, DEFAULT_START
        pop = rows.pop
        for _ in tqdm(range(len(rows)), desc="events", unit="event", disable=not self.progress):
            t, user, session, lid, action, surface, position, request, query = pop()
            if t != last_t:  # a row's impressions share one timestamp: share the datetime object too
                last_t, last_dt = t, datetime.fromtimestamp(t, utc)
            name, page, recommender = surfaces[surface]
            if action == SEARCH:
                events.append(EventSpec(user, session, None, "search", "search", last_dt, "", None, "",
                                        request_ids[request], self.queries[query]))
                continue
            has_row = action == IMPRESSION or action == VIEW
            events.append(
                EventSpec(
                    user,
                    session,
                    lid,
                    ACTIONS[action],
                    page,
                    last_dt,
                    name,
                    position if position >= 0 else None,
                    recommender if has_row else "",
                    request_ids[request] if request >= 0 else None,
                    "",
                )
            )
        purchases = [
            PurchaseSpec(lid, buyer, datetime.fromtimestamp(t, utc), self.l_price[lid])
            for lid, buyer, t in sorted(self.purchases, key=lambda p: p[2])
        ]
        end = datetime.fromtimestamp(self.t_end, utc)
        return SimulationResult(users, listings, events, purchases, self.categories, self.brands, self.start, end)

    def _request_ids(self) -> list[str | None]:
        """Deterministic UUID4-shaped ids (index = request number)."""
        rng = random.Random(f"requests-{self.seed}")
        return [None] + [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(self.n_requests)]


__all__ = [
    "ACTIONS",
    "DEFAULT_START",
    "SIX_ACTIONS",
    "EventSpec",
    "PurchaseSpec",
    "SimulationResult",
    "UserSpec",
    "simulate",
]
