"""`python manage.py refresh_unit_stats`: the periodic full refresh of unit counters and features, by hand."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from interest_units.services import listings_place_unplaced, unit_stats_refresh
from interest_units.services.stats import REFRESH_DAYS


class Command(BaseCommand):
    help = "Recount unit counters and user x unit features from events; place listings missing from units."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=REFRESH_DAYS, help="recount this many recent days")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        placed = listings_place_unplaced()
        result = unit_stats_refresh(days=max(1, int(options["days"])))
        self.stdout.write(self.style.SUCCESS(
            f"looked at {placed} unplaced listing(s); refreshed {result['units']} units, {result['daily_rows']} "
            f"daily rows, {result['user_unit_rows']} user x unit rows in {time.perf_counter() - started:.1f} s"
        ))
