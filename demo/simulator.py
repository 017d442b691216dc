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

The engine `_Simulation` is assembled from three parts: `simulator_population` (users and listings),
`simulator_rows` (what each page shows) and `simulator_sessions` (what users do); the codes and rates all three
share are in `simulator_codes`.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from tqdm import tqdm

from demo.catalog import (
    BrandSpec,
    CatalogIndex,
    CategorySpec,
    ListingSpec,
    build_catalog,
    catalog_index,
)
from demo.simulator_codes import (
    ACTIONS,
    IMPRESSION,
    PAGES,
    SEARCH,
    SURFACES,
    VIEW,
)
from demo.simulator_population import Population, UserSpec
from demo.simulator_rows import RowPicker
from demo.simulator_sessions import Sessions

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)


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


class _Simulation(Population, RowPicker, Sessions):
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

    def run(self) -> SimulationResult:
        self._build_leaf_tables()
        users = self._make_users()
        listings = self._make_listings()
        self._simulate_sessions()
        return self._result(users, listings)

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
