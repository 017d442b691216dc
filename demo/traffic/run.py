"""Simulated shopping sessions against the storefront, paced and bounded, and the removal of what they wrote.

Shoppers are returning users: before its first session, a shopper without history browses the category pages of
its interests and views a few listings it likes there (`WARM_UP_VIEWS`), through the same pages and logging as
anyone, as a real shopper has done before a personalised homepage has anything to go on.

A session: the homepage rows; the shopper looks down the rows (less often the lower ones) and clicks what it likes
(`shoppers.click_choice`); on a listing's page it may like, cart, make an offer or buy, as often as the demo
simulator's users do (scaled by how much it likes the listing), and may follow the page's own rows one step
further. Now and then a shopper lists something of its own for sale. Every request waits its turn under `rate`
and nothing starts after the deadline.

Simulated accounts are named `sim_...` (`SIM_PREFIX`): `traffic_delete` removes them with all they wrote, and puts
back on sale the listings they bought.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings

from demo.simulator_codes import P_BUY_COMPLETE, P_BUY_START, P_CART, P_LIKE, P_OFFER
from demo.traffic.clients import HttpClient, InProcessClient, StorefrontClient, base_url_check
from demo.traffic.shoppers import Catalogue, Shopper, click_choice, reluctance_draw, shopper_tastes_draw
from marketplace.models import Condition, Event, Listing, ListingStatus, Order, Shipper
from recommender.models import SurfaceSlate

SIM_PREFIX = "sim_"
ROW_K = 12  # listings per row asked for
ROWS_SEEN = 6  # a shopper judges the first 6 of a row (the simulator's home row size)
ROW_ATTENTION = 0.75  # chance of looking at the next row down
CLICKS_PER_PAGE = 2  # at most, then the session moves on
FOLLOW_ITEM_ROWS = 0.4  # chance of looking at a listing page's own rows after viewing it
SELL_RATE = 0.02  # sessions that end by listing something for sale
OFFER_DISCOUNT = Decimal("0.85")
WARM_UP_VIEWS = 4  # listings a returning shopper has viewed before its first homepage (0: arrive brand new)
WARM_UP_PAGES = 3  # category pages it looks through, at most, to find them


class _TimeUp(Exception):
    """The deadline passed: no new request starts."""


@dataclass
class TrafficReport:
    users: int
    seconds: float = 0.0
    sessions: int = 0
    requests: int = 0
    counts: Counter = field(default_factory=Counter)  # "impressions", "clicks", "likes", "carts", ...

    def line(self) -> str:
        shown = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        return (f"{self.users} shoppers, {self.sessions} sessions, {self.requests} requests in {self.seconds:.0f} s "
                f"({self.requests / max(self.seconds, 1e-9):.1f}/s): {shown or 'nothing shown'}")


def sim_username(*, seed: int, index: int) -> str:
    return f"{SIM_PREFIX}s{seed}_{index:05d}"


def shoppers_create(*, users: int, seed: int, catalogue: Catalogue, password: str,
                    click_spread: float = 0.0) -> list[Shopper]:
    """`users` simulated accounts (reused when a run with the same seed made them before), each with tastes drawn
    from the seed, so the same seed gives the same shoppers; `click_spread`: see `reluctance_draw`."""
    user_model = get_user_model()
    rng = random.Random(seed)
    shoppers = []
    for index in range(users):
        username = sim_username(seed=seed, index=index)
        user, created = user_model.objects.get_or_create(username=username,
                                                         defaults={"email": f"{username}@sim.example"})
        user.set_password(password)
        user.save(update_fields=["password"])
        shopper = shopper_tastes_draw(catalogue, rng, index=index, username=username, user_id=user.pk)
        shopper.reluctance = reluctance_draw(seed=seed, index=index, spread=click_spread)
        shoppers.append(shopper)
    return shoppers


class TrafficRun:
    def __init__(self, *, shoppers: list[Shopper], catalogue: Catalogue, clients: dict[int, StorefrontClient],
                 seed: int, rate: float, deadline: float, max_sessions: int | None,
                 tick: Callable[[TrafficReport], None] | None = None, sell_rate: float = SELL_RATE,
                 warm_up: Sequence[Shopper] = (), warm_up_views: int = WARM_UP_VIEWS) -> None:
        self.shoppers, self.catalogue, self.clients = shoppers, catalogue, clients
        self.warm_up, self.warm_up_views = list(warm_up), warm_up_views
        self.rng = random.Random(seed + 1)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.deadline, self.max_sessions, self.tick, self.sell_rate = deadline, max_sessions, tick, sell_rate
        self.report = TrafficReport(users=len(shoppers))
        self.next_request_at = time.monotonic()
        self.cum_activity = []
        total = 0.0
        for shopper in shoppers:
            total += shopper.activity
            self.cum_activity.append(total)

    def run(self) -> TrafficReport:
        started = time.monotonic()
        try:
            for shopper in self.warm_up if self.warm_up_views > 0 else []:
                self._warm_up(shopper)
            while self.max_sessions is None or self.report.sessions < self.max_sessions:
                self._pace()
                self._session(self._pick())
                self.report.sessions += 1
                if self.tick is not None:
                    self.tick(self.report)
        except _TimeUp:
            pass
        self.report.seconds = time.monotonic() - started
        return self.report

    def _pick(self) -> Shopper:
        from bisect import bisect

        return self.shoppers[min(bisect(self.cum_activity, self.rng.random() * self.cum_activity[-1]),
                                 len(self.shoppers) - 1)]

    def _pace(self) -> None:
        """Wait for this request's slot under the rate; _TimeUp once the deadline has passed."""
        now = time.monotonic()
        if now >= self.deadline:
            raise _TimeUp
        if self.next_request_at > now:
            time.sleep(min(self.next_request_at - now, self.deadline - now))
            if time.monotonic() >= self.deadline:
                raise _TimeUp
        self.next_request_at = max(self.next_request_at, now) + self.interval
        self.report.requests += 1

    def _warm_up(self, shopper: Shopper) -> None:
        """A returning shopper's earlier visit: a category page of one of its interests (the stronger ones more
        often), looked through a row of `ROWS_SEEN` at a time, viewing what it likes, until `warm_up_views`."""
        client = self.clients[shopper.user_id]
        interests = shopper.spec.interests
        viewed: set[int] = set()
        for _ in range(WARM_UP_PAGES):
            interest = self.rng.choices(interests, weights=[1 / (rank + 1) for rank in range(len(interests))])[0]
            self._pace()
            shown = client.category_page(category_id=self.catalogue.leaf_mid.get(interest, interest))
            ids = [i for i in (shown.rows[0].listing_ids if shown.rows else []) if i not in viewed]
            for start in range(0, len(ids), ROWS_SEEN):
                row = ids[start:start + ROWS_SEEN]
                position = click_choice(self.catalogue, shopper, row, self.rng)
                if position is None:
                    continue
                self._pace()
                if client.item_view(listing_id=row[position], request_id=shown.request_id):
                    viewed.add(row[position])
                    self.report.counts["warm_up_views"] += 1
                if len(viewed) >= self.warm_up_views:
                    return

    def _session(self, shopper: Shopper) -> None:
        client = self.clients[shopper.user_id]
        shown = client.home_rows(k=ROW_K)
        clicks = 0
        for depth, row in enumerate(shown.rows):
            if depth and self.rng.random() > ROW_ATTENTION:
                break
            seen = row.listing_ids[:ROWS_SEEN]
            self.report.counts["impressions"] += len(seen)
            position = click_choice(self.catalogue, shopper, seen, self.rng)
            if position is None:
                continue
            self._visit(shopper, client, seen[position], shown.request_id, follow=True)
            clicks += 1
            if clicks == CLICKS_PER_PAGE:
                break
        if self.rng.random() < self.sell_rate:
            self._sell(shopper, client)

    def _visit(self, shopper: Shopper, client: StorefrontClient, listing_id: int, request_id: str,
               follow: bool) -> None:
        """A click: the listing's page, then what the shopper does there (the simulator's rates)."""
        self._pace()
        if not client.item_view(listing_id=listing_id, request_id=request_id):
            return
        self.report.counts["clicks"] += 1
        rng = self.rng
        appetite = min(3.0, max(0.3, math.exp(0.35 * (self.catalogue.liking(shopper, listing_id) - 1.5))))
        for what, chance, path, data in (
            ("likes", P_LIKE, "like", {"liked": "1"}),
            ("carts", P_CART, "cart", {"in_cart": "1"}),
            ("offers", P_OFFER, "offer", {"amount": str(self._offer_amount(listing_id))}),
            ("purchases", P_BUY_START * P_BUY_COMPLETE, "buy", {}),
        ):
            if rng.random() < chance * appetite:
                self._pace()
                if client.post(f"/item/{listing_id}/{path}/", data):
                    self.report.counts[what] += 1
        if follow and rng.random() < FOLLOW_ITEM_ROWS:
            self._pace()
            shown = client.item_rows(listing_id=listing_id, k=ROW_K)
            if shown.rows:
                seen = shown.rows[0].listing_ids[:ROWS_SEEN]
                position = click_choice(self.catalogue, shopper, seen, rng)
                if position is not None:
                    self._visit(shopper, client, seen[position], shown.request_id, follow=False)

    def _offer_amount(self, listing_id: int) -> Decimal:
        traits = self.catalogue.of(listing_id)
        price = Decimal(str(round(math.exp(traits.log_price), 2))) if traits is not None else Decimal("10")
        return max(Decimal("0.01"), (price * OFFER_DISCOUNT).quantize(Decimal("0.01")))

    def _sell(self, shopper: Shopper, client: StorefrontClient) -> None:
        """List something from one of the shopper's interests, priced at its price level."""
        leaf = self.rng.choice(shopper.sell_leaves)
        typical = math.exp(self.catalogue.leaf_log_price.get(leaf, math.log(20.0)) + shopper.log_price_level)
        self._pace()
        name = self.catalogue.leaf_names.get(leaf, "item")
        if client.post("/sell/", {"title": f"{name} (simulated)", "description": "Listed by a simulated shopper.",
                                  "price": f"{typical:.2f}", "category": leaf, "brand": "",
                                  "condition": Condition.GOOD, "shipper": Shipper.SELLER, "size": "",
                                  "color": ""}):
            self.report.counts["listings"] += 1


@contextmanager
def _tasks_inline() -> Iterator[None]:
    """In-process traffic runs its background work (slate refreshes after each click, a new listing's indexing)
    in the request, at commit, as the tests do: no worker needs to run beside it."""
    from celery import current_app

    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
            yield
    finally:
        current_app.conf.task_always_eager = eager


def shoppers_without_history(shoppers: list[Shopper]) -> list[Shopper]:
    """The shoppers whose accounts have logged nothing yet (the ones to warm up), in order."""
    active = set(Event.objects.filter(user_id__in=[s.user_id for s in shoppers]).values_list("user_id", flat=True)
                 .distinct())
    return [s for s in shoppers if s.user_id not in active]


def traffic_simulate(*, users: int, minutes: float, seed: int = 0, rate: float = 20.0, base_url: str | None = None,
                     max_sessions: int | None = None, sell_rate: float = SELL_RATE,
                     warm_up_views: int = WARM_UP_VIEWS, click_spread: float = 0.0,
                     tick: Callable[[TrafficReport], None] | None = None) -> TrafficReport:
    """Run `users` simulated shoppers for `minutes` (or `max_sessions` sessions) at most `rate` requests a second,
    in this process, or against the server at `base_url` (loopback only: ApplicationError otherwise). Shoppers
    without history first view `warm_up_views` listings from category pages (the deadline counts that time).
    `click_spread` > 0: shoppers differ in how readily they click (`shoppers.reluctance_draw`)."""
    base = base_url_check(base_url) if base_url else None
    catalogue = Catalogue(seed=seed).load()
    password = f"sim-{random.Random(seed).getrandbits(64):x}"
    shoppers = shoppers_create(users=users, seed=seed, catalogue=catalogue, password=password,
                               click_spread=click_spread)
    deadline = time.monotonic() + minutes * 60.0
    warm_up = shoppers_without_history(shoppers)

    def traffic(clients: dict[int, StorefrontClient]) -> TrafficReport:
        return TrafficRun(shoppers=shoppers, catalogue=catalogue, clients=clients, seed=seed, rate=rate,
                          deadline=deadline, max_sessions=max_sessions, tick=tick, sell_rate=sell_rate,
                          warm_up=warm_up, warm_up_views=warm_up_views).run()

    if base is not None:
        clients: dict[int, StorefrontClient] = {
            s.user_id: HttpClient(base, username=s.spec.username, password=password) for s in shoppers}
        return traffic(clients)
    accounts = get_user_model().objects.in_bulk([s.user_id for s in shoppers])
    clients = {s.user_id: InProcessClient(accounts[s.user_id]) for s in shoppers}
    with _tasks_inline():
        return traffic(clients)


def traffic_delete() -> dict[str, int]:
    """Remove the simulated accounts and all they wrote: their events, likes, carts, offers and slates, the
    listings they put up (with those listings' events and orders), and their orders, whose listings go back on
    sale (a simulated purchase must not take a real listing off the market)."""
    user_model = get_user_model()
    sim_users = user_model.objects.filter(username__startswith=SIM_PREFIX)
    user_ids = list(sim_users.values_list("pk", flat=True))
    with transaction.atomic():
        own_listings = Listing.objects.filter(seller_id__in=user_ids)
        Order.objects.filter(listing__in=own_listings).delete()
        bought = Order.objects.filter(buyer_id__in=user_ids)
        relisted = Listing.objects.filter(order__in=bought).values_list("pk", flat=True)
        relisted_ids = list(relisted)
        bought.delete()
        Listing.objects.filter(pk__in=relisted_ids).update(status=ListingStatus.ACTIVE, sold_at=None)
        events = Event.objects.filter(Q(user_id__in=user_ids) | Q(listing__in=own_listings)).delete()[0]
        listings = own_listings.delete()[0]
        slates = SurfaceSlate.objects.filter(
            Q(key__in=[f"home:{pk}" for pk in user_ids])
            | Q(key__regex=r"^(item|unit)-for:(" + "|".join(map(str, user_ids)) + "):") if user_ids else Q(pk=None)
        ).delete()[0]
        sim_users.delete()
    return {"users": len(user_ids), "events": events, "listings": listings, "relisted": len(relisted_ids),
            "slates": slates}
