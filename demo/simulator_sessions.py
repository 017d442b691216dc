"""The simulated sessions: homepage, focused (view-item) and search sessions, each a chain of rows shown, clicks and
item-page actions, with purchases only when no later event on the listing exists."""

from __future__ import annotations

import math
from bisect import bisect

from tqdm import tqdm

from demo.simulator_codes import (
    BUY_COMP,
    BUY_START,
    CART,
    CART_SURFACE,
    FOR_YOU,
    HOUR_CUM,
    IMPRESSION,
    LIKE,
    NEW,
    NO_CLICK_BIAS,
    OFFER,
    P_BUY_COMPLETE,
    P_BUY_START,
    P_CART,
    P_LIKE,
    P_OFFER,
    POSITION_PENALTY,
    RESULTS,
    ROW_SIZE,
    SEARCH,
    SESSIONS_PER_USER_DAY,
    SIMILAR,
    TRENDING,
    VIEW,
    VIP_BUTTONS,
)
from demo.simulator_rows import ListingPool


class Sessions:
    """Runs the sessions in start-time order: rows shown, clicks, item-page actions, carts and purchases, as event
    rows."""

    def _session_starts(self) -> list[tuple[float, int]]:
        rng = self.rng
        activity = self.np_rng.lognormal(mean=-0.5, sigma=1.0, size=self.n_users)
        activity *= SESSIONS_PER_USER_DAY / activity.mean()
        counts = self.np_rng.poisson(activity * self.days)
        starts: list[tuple[float, int]] = []
        for u, count in enumerate(counts.tolist()):
            for _ in range(max(count, 1 if rng.random() < 0.5 else 0)):
                day = int(rng.random() * self.days)
                hour = bisect(HOUR_CUM, rng.random() * HOUR_CUM[-1])
                t = self.t_start + day * 86400.0 + hour * 3600.0 + rng.random() * 3600.0
                if t > self.last_start:  # sessions end by the end of the period (see `deadline`)
                    t = self.last_start - rng.random() * 3600.0
                starts.append((round(t, 3), u))
        starts.sort()
        return starts

    def _simulate_sessions(self) -> None:
        rng = self.rng
        self.leaf_pools: dict[int, ListingPool] = {}
        self.c1_pools: dict[int, ListingPool] = {}
        self.product_pools: dict[tuple[int, int], ListingPool] = {}
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
                pool = pools[key] = ListingPool()  # type: ignore[index]
            pool.add(lid)
        self.arrivals.append(lid)

    def _sell(self, lid: int, buyer: int, t: float) -> None:
        self.l_sold[lid] = True
        self.leaf_pools[self.l_leaf[lid]].remove(lid)
        self.c1_pools[self.l_c1[lid]].remove(lid)
        self.product_pools[(self.l_brand[lid], self.l_leaf[lid])].remove(lid)
        self.purchases.append((lid, buyer, t))

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
            score -= POSITION_PENALTY * position
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
