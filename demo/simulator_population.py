"""The simulated users (`UserSpec`: a few interests, favourite brands, a price level) and listings, made before any
session runs."""

from __future__ import annotations

import math
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import accumulate

from tqdm import tqdm

from demo.catalog import (
    ListingSpec,
    make_listing,
)
from demo.simulator_codes import INITIAL_SHARE, PRIOR_DAYS


@dataclass(slots=True)
class UserSpec:
    index: int
    username: str
    interests: list[int]  # leaf (c2) or c1 category ids, strongest first
    favourite_brands: list[int]
    price_level: float  # multiplier on category base prices the user is comfortable with (1.0 = typical)


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


class Population:
    """The simulation's setup: the leaf tables interests are drawn from, the users, and the listings with their
    arrival times."""

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
