"""`manage.py simulate_traffic`: simulated shoppers with tastes of their own browse, click, like, cart, buy and
sell on the storefront (see `demo.traffic`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from demo.traffic.run import SELL_RATE, SIM_PREFIX, WARM_UP_VIEWS, TrafficReport, traffic_delete, traffic_simulate
from marketplace.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Simulated shoppers use the storefront: each has latent tastes (interests over leaf / mid-level categories, "
        "favourite brands, a price level: the demo simulator's model of users), asks for the homepage rows, clicks "
        "what it likes (by taste and position), likes, adds to cart, makes offers and buys at the demo simulator's "
        "rates, follows a listing page's rows, and now and then lists something for sale. A load generator, and "
        "the ground truth of online experiments: a running experiment on the home rows sees these shoppers like "
        "any other (see `experiment_report`). Accounts are named '" + SIM_PREFIX + "s<seed>_<n>'; --delete removes "
        "them and everything they wrote. Without --base-url it runs in this process (Django's test client, "
        "background work inline: no server or worker needed); with it, over HTTP to a server on this machine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=50, help="simulated shoppers (default 50)")
        parser.add_argument("--minutes", type=float, default=1.0,
                            help="wall-clock limit: no request starts after it (default 1)")
        parser.add_argument("--rate", type=float, default=20.0,
                            help="at most this many requests per second, all shoppers together (default 20; "
                                 "0: as fast as the server answers)")
        parser.add_argument("--seed", type=int, default=0,
                            help="the shoppers' tastes and choices (the same seed gives the same shoppers)")
        parser.add_argument("--base-url", default=None,
                            help="a storefront on this machine, e.g. http://127.0.0.1:8000 (loopback addresses "
                                 "only); default: in-process")
        parser.add_argument("--sessions", type=int, default=None, help="stop after this many sessions as well")
        parser.add_argument("--sell-rate", type=float, default=SELL_RATE,
                            help=f"share of sessions that list an item for sale (default {SELL_RATE})")
        parser.add_argument("--warm-up-views", type=int, default=WARM_UP_VIEWS,
                            help=f"listings a shopper without history views on category pages before its first "
                                 f"session, as a returning user has (default {WARM_UP_VIEWS}; 0: brand-new users)")
        parser.add_argument("--click-spread", type=float, default=0.0,
                            help="how much shoppers differ in how readily they click: the sd of each one's weight "
                                 "on not clicking, in the click softmax's units (default 0: all alike, as the demo "
                                 "simulator's users)")
        parser.add_argument("--delete", action="store_true",
                            help=f"remove every simulated account ('{SIM_PREFIX}...') and what it wrote, then exit")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete"]:
            removed = traffic_delete()
            self.stdout.write(", ".join(f"{n} {what}" for what, n in removed.items()) + " removed.")
            return
        users, minutes = int(options["users"]), float(options["minutes"])
        if users < 1 or minutes <= 0:
            raise CommandError("--users must be at least 1 and --minutes positive.")
        if options["click_spread"] < 0:
            raise CommandError("--click-spread must be 0 or more.")
        bar = None if options["no_progress"] else tqdm(total=int(minutes * 60), unit="s", desc="simulated traffic")
        started = [0.0]

        def tick(report: TrafficReport) -> None:
            if bar is None:
                return
            import time

            now = time.monotonic()
            if not started[0]:
                started[0] = now
            bar.n = min(bar.total, int(now - started[0]))
            bar.set_postfix(sessions=report.sessions, requests=report.requests,
                            clicks=report.counts.get("clicks", 0), refresh=True)

        try:
            report = traffic_simulate(users=users, minutes=minutes, seed=int(options["seed"]),
                                      rate=float(options["rate"]), base_url=options["base_url"] or None,
                                      max_sessions=options["sessions"], sell_rate=float(options["sell_rate"]),
                                      warm_up_views=int(options["warm_up_views"]),
                                      click_spread=float(options["click_spread"]), tick=tick)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(report.line())
