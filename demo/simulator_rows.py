"""Which listings the simulated pages show: the active listings per leaf / brand as pools, and rows ranked by how much a
user likes each listing."""

from __future__ import annotations

import random
from bisect import bisect
from heapq import nlargest

from demo.simulator_codes import liking


class ListingPool:
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


EMPTY_POOL = ListingPool()


class RowPicker:
    """What a user is shown: rows for an interest, trending, new and similar listings, and search results, ranked
    by affinity."""

    def _refresh_trending(self) -> None:
        scores = {lid: s * 0.5 for lid, s in self.view_score.items() if s > 0.2 and not self.l_sold[lid]}
        self.view_score = scores
        self.trending = [lid for lid, _ in nlargest(300, scores.items(), key=lambda kv: kv[1])]

    def _affinities(self, user: int, lids: list[int]) -> list[float]:
        """How much the user likes each listing: interest in its leaf / c1, favourite brand, price fit, appeal."""
        leaf_w, c1_w = self.u_leaf_w[user], self.u_c1_w[user]
        brands, plevel = self.u_brands[user], self.u_plevel[user]
        l_leaf, l_c1, l_brand, l_logp, l_quality = self.l_leaf, self.l_c1, self.l_brand, self.l_logp, self.l_quality
        logbase = self.leaf_logbase
        out = []
        for lid in lids:
            leaf = l_leaf[lid]
            out.append(liking(leaf_w.get(leaf, 0.0), c1_w.get(l_c1[lid], 0.0), l_quality[lid], l_brand[lid] in brands,
                              l_logp[lid] - logbase[leaf] - plevel))
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

    def _row_for_interest(self, user: int, interest: tuple[int, int, int], k: int, shown: set[int]) -> list[int]:
        rng = self.rng
        leaf, c1, brand = interest
        candidates: list[int] = []
        if brand >= 0:
            if leaf >= 0:
                candidates += self.product_pools.get((brand, leaf), EMPTY_POOL).sample(rng, k)
            else:
                for other in self.leaves_in_c1[c1][0][:6]:
                    candidates += self.product_pools.get((brand, other), EMPTY_POOL).sample(rng, 2)
        if leaf >= 0:
            candidates += self.leaf_pools.get(leaf, EMPTY_POOL).sample(rng, 2 * k)
        candidates += self.c1_pools.get(c1, EMPTY_POOL).sample(rng, k if leaf >= 0 else 3 * k)
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
        candidates = self.product_pools.get((brand, leaf), EMPTY_POOL).sample(rng, 4) if brand >= 0 else []
        candidates += self.leaf_pools.get(leaf, EMPTY_POOL).sample(rng, 3 * k)
        candidates += self.c1_pools.get(self.l_c1[anchor], EMPTY_POOL).sample(rng, 2)
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
        candidates = self.product_pools.get((brand, leaf), EMPTY_POOL).sample(rng, 2 * k) if brand >= 0 else []
        candidates += self.leaf_pools.get(leaf, EMPTY_POOL).sample(rng, 3 * k)
        available = self._available(user, candidates, set(shown))
        scored = []
        for lid in available:
            relevance = 2.0 * (brand >= 0 and self.l_brand[lid] == brand)
            relevance += 1.0 * (bool(colour) and self.l_colour[lid].lower() == colour)
            scored.append((relevance + 0.3 * self.l_quality[lid] + rng.gauss(0.0, 0.4), lid))
        scored.sort(reverse=True)
        return [lid for _, lid in scored[:k]]
