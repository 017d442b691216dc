"""`python manage.py seed_demo`: a made-up MerRec-like marketplace with simulated behaviour, loaded into Postgres."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from demo.seeding import demo_data_delete, demo_data_load, demo_photos_dir
from demo.simulator import simulate
from marketplace.errors import ApplicationError


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate the demo marketplace: a Mercari-like category tree and brands, listings with realistic titles and "
        "prices, users with latent interests, and DAYS of sessions (views, likes, cart adds, offers, purchases that "
        "sell items, impressions with clicks, searches). Deterministic under --seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=_positive, default=2000, help="number of users (default 2,000)")
        parser.add_argument("--listings", type=_positive, default=20000, help="number of listings (default 20,000)")
        parser.add_argument("--days", type=_positive, default=30, help="days of simulated behaviour (default 30)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same marketplace)")
        parser.add_argument("--reset", action="store_true", help="delete existing demo data first")
        parser.add_argument("--no-photos", action="store_true", help="skip the generated listing thumbnails")

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        if options["reset"]:
            demo_data_delete()
        # The simulation ends now, so "recent popularity" and 30-day windows see the demo's activity.
        end = datetime.now(tz=UTC).replace(microsecond=0)
        start = end - timedelta(days=int(options["days"]))
        self.stderr.write(f"Simulating {options['users']:,} users, {options['listings']:,} listings, "
                          f"{options['days']} days (seed {options['seed']})…")
        result = simulate(n_users=options["users"], n_listings=options["listings"], days=options["days"],
                          seed=options["seed"], start=start, progress=True)
        photos_dir = None
        if not options["no_photos"]:
            photos_dir = demo_photos_dir(seed=options["seed"], users=options["users"], listings=options["listings"],
                                         days=options["days"])
            self._render_photos(result, photos_dir)
        try:
            report = demo_data_load(
                result=result, categories=result.categories, brands=result.brands, photos_dir=photos_dir,
                progress=lambda items, label, total: tqdm(items, desc=f"loading {label}", total=total, unit=" rows"),
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Seeded in {seconds:.0f}s: {report.users:,} users, {report.listings:,} listings ({report.sold:,} sold), "
            f"{report.events:,} events, {report.likes:,} likes, {report.cart_items:,} cart items, "
            f"{report.offers:,} offers, {report.photos:,} photos, {report.categories} categories, "
            f"{report.brands} brands."
        ))

    def _render_photos(self, result, photos_dir) -> None:
        from demo.photos import photos_render

        photos_render(result=result, directory=photos_dir,
                      progress=lambda items, total: tqdm(items, desc="rendering photos", total=total, unit=" img"))
