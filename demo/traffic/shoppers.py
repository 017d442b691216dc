"""Simulated shoppers' latent tastes, drawn over the catalogue in the database, and how they judge a listing.

The model of a user is the demo simulator's (`demo.simulator.UserSpec`: a few interests, leaf or mid-level
categories, strongest first; favourite brands; a price level), and so is the liking of a listing
(`_Simulation._affinities` there): 2.5 x the weight of its leaf + 1.5 x the weight of its mid-level category
+ 0.8 for a favourite brand + the listing's own appeal - 0.7 x |log price - log typical leaf price - log price
level|. A click on a row is a softmax over likings less 0.18 per position, against not clicking (as `_choose_click`).
Every shopper weighs not clicking alike, as the simulator's users do, unless a run spreads it (`reluctance_draw`).
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from statistics import median

from demo.simulator_codes import FOR_YOU, NO_CLICK_BIAS, POSITION_PENALTY, liking
from demo.simulator_population import UserSpec
from marketplace.models import Category, Listing

NO_CLICK = NO_CLICK_BIAS[FOR_YOU] + 1.5  # the "no click" option's score in a row's softmax (demo.simulator)
APPEAL_SD = 0.3  # spread of a listing's own appeal (its photo, its title), the same for every shopper


@dataclass(frozen=True)
class ListingTraits:
    leaf_id: int
    mid_id: int  # c1
    brand_id: int | None
    log_price: float
    appeal: float


@dataclass
class Shopper:
    """One simulated user: the simulator's spec, and the weights behind its order of interests."""

    spec: UserSpec
    user_id: int
    leaf_weights: dict[int, float]
    mid_weights: dict[int, float]
    brands: set[int]
    log_price_level: float
    activity: float  # relative number of sessions
    sell_leaves: list[int] = field(default_factory=list)
    reluctance: float = 0.0  # added to the "no click" score: > 0 clicks less often than the simulator's users


class Catalogue:
    """What shoppers know of the listings: category, brand, price and appeal; read once, new ones on demand."""

    def __init__(self, *, seed: int) -> None:
        self.seed = seed
        self.traits: dict[int, ListingTraits] = {}
        self.leaf_log_price: dict[int, float] = {}
        self.leaf_mid: dict[int, int] = {}
        self.leaf_c0: dict[int, int] = {}
        self.leaf_share: dict[int, float] = {}
        self.leaf_brands: dict[int, list[int]] = defaultdict(list)
        self.leaf_names: dict[int, str] = {}

    def load(self) -> Catalogue:
        prices: dict[int, list[float]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        rows = Listing.objects.filter(c2__isnull=False, c1__isnull=False).values_list(
            "pk", "c0_id", "c1_id", "c2_id", "brand_id", "price")
        for pk, c0, c1, c2, brand, price in rows.iterator(chunk_size=2000):
            log_price = math.log(max(float(price), 1.0))
            prices[c2].append(log_price)
            counts[c2] += 1
            self.leaf_mid[c2], self.leaf_c0[c2] = c1, c0
            if brand is not None and brand not in self.leaf_brands[c2]:
                self.leaf_brands[c2].append(brand)
            self.traits[pk] = ListingTraits(c2, c1, brand, log_price, self._appeal(pk))
        self.leaf_log_price = {leaf: median(values) for leaf, values in prices.items()}
        total = sum(counts.values()) or 1
        self.leaf_share = {leaf: n / total for leaf, n in counts.items()}
        self.leaf_names = dict(Category.objects.filter(pk__in=list(counts)).values_list("pk", "name"))
        return self

    def _appeal(self, listing_id: int) -> float:
        digest = hashlib.sha256(f"{self.seed}:{listing_id}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big")).gauss(0.0, APPEAL_SD)

    def of(self, listing_id: int) -> ListingTraits | None:
        """A listing's traits (read from the database the first time a new listing is seen)."""
        if listing_id not in self.traits:
            row = Listing.objects.filter(pk=listing_id).values_list("c1_id", "c2_id", "brand_id", "price").first()
            if row is None or row[1] is None:
                return None
            c1, c2, brand, price = row
            self.traits[listing_id] = ListingTraits(c2, c1 or 0, brand, math.log(max(float(price), 1.0)),
                                                    self._appeal(listing_id))
        return self.traits[listing_id]

    def liking(self, shopper: Shopper, listing_id: int) -> float:
        traits = self.of(listing_id)
        if traits is None:
            return 0.0
        typical = self.leaf_log_price.get(traits.leaf_id, traits.log_price)
        return liking(shopper.leaf_weights.get(traits.leaf_id, 0.0), shopper.mid_weights.get(traits.mid_id, 0.0),
                      traits.appeal, traits.brand_id is not None and traits.brand_id in shopper.brands,
                      traits.log_price - typical - shopper.log_price_level)


def shopper_tastes_draw(catalogue: Catalogue, rng: random.Random, *, index: int, username: str,
                        user_id: int) -> Shopper:
    """Tastes as the demo simulator draws them: 1-5 interests, two in three within one top-level category, each a
    leaf (60%) or its mid-level category, some with a favourite brand; a log-normal price level and activity."""
    leaves = sorted(catalogue.leaf_share)
    cum = list(accumulate(catalogue.leaf_share[leaf] for leaf in leaves))

    def random_leaf() -> int:
        return leaves[bisect(cum, rng.random() * cum[-1])]

    home_c0 = catalogue.leaf_c0[random_leaf()]
    home_leaves = [leaf for leaf in leaves if catalogue.leaf_c0[leaf] == home_c0]
    leaf_weights: dict[int, float] = {}
    mid_weights: dict[int, float] = {}
    brands: list[int] = []
    interests: list[tuple[int, float]] = []
    sell_leaves: list[int] = []
    for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))):
        leaf = rng.choice(home_leaves) if rng.random() < 0.65 else random_leaf()
        mid = catalogue.leaf_mid[leaf]
        weight = math.exp(rng.gauss(0.0, 0.6))
        if catalogue.leaf_brands[leaf] and rng.random() < 0.45:
            brand = rng.choice(catalogue.leaf_brands[leaf])
            if brand not in brands:
                brands.append(brand)
        if rng.random() < 0.6:
            leaf_weights[leaf] = max(leaf_weights.get(leaf, 0.0), weight)
            mid_weights[mid] = max(mid_weights.get(mid, 0.0), 0.4 * weight)
            interests.append((leaf, weight))
        else:
            mid_weights[mid] = max(mid_weights.get(mid, 0.0), weight)
            interests.append((mid, weight))
        sell_leaves.append(leaf)
    top = max(weight for _, weight in interests)
    price_level = math.exp(rng.gauss(0.0, 0.35))
    spec = UserSpec(index=index, username=username,
                    interests=list(dict.fromkeys(i for i, _ in sorted(interests, key=lambda iw: -iw[1]))),
                    favourite_brands=brands, price_level=round(price_level, 3))
    return Shopper(spec=spec, user_id=user_id, leaf_weights={k: v / top for k, v in leaf_weights.items()},
                   mid_weights={k: v / top for k, v in mid_weights.items()}, brands=set(brands),
                   log_price_level=math.log(price_level), activity=math.exp(rng.gauss(0.0, 0.8)),
                   sell_leaves=sell_leaves)


def reluctance_draw(*, seed: int, index: int, spread: float) -> float:
    """A shopper's own weight on not clicking, normal with sd `spread` around the simulator's (0: everyone alike).
    Real shoppers differ in how readily they click; the spread is an assumption of a run, not the simulator's.
    Drawn from its own stream, so the same seed gives the same tastes and choices whatever the spread."""
    return random.Random(f"{seed}:{index}:reluctance").gauss(0.0, spread) if spread > 0 else 0.0


def click_choice(catalogue: Catalogue, shopper: Shopper, listing_ids: list[int], rng: random.Random) -> int | None:
    """The position clicked in a row, or None: softmax over liking less the position's penalty, and not clicking."""
    if not listing_ids:
        return None
    weights = [math.exp(min(catalogue.liking(shopper, lid) - POSITION_PENALTY * position, 30.0))
               for position, lid in enumerate(listing_ids)]
    draw = rng.random() * (sum(weights) + math.exp(NO_CLICK + shopper.reluctance))
    for position, weight in enumerate(weights):
        draw -= weight
        if draw < 0:
            return position
    return None
