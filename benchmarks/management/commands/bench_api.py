"""`python manage.py bench_api --rps N --duration S --out FILE [--base-url URL] [--users N]`."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.api import SURFACES, bench_api_run, report_write
from marketplace.errors import ApplicationError


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Drive each recommendation endpoint (home, item, interest units, interest-unit items) in turn at a fixed "
        "open-loop rate and report latency percentiles, throughput and error rate per surface, plus filtered "
        "vector-search recall@20 against exact search, as JSON. Without --base-url it starts gunicorn (2 workers "
        "x 4 threads, DEBUG off) on a free loopback port against the current database and stops it afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rps", type=float, required=True, metavar="N", help="requests per second, per surface")
        parser.add_argument("--duration", type=float, required=True, metavar="S", help="seconds per surface")
        parser.add_argument("--out", required=True, metavar="FILE", help="where the JSON report goes")
        parser.add_argument("--base-url", default=None, metavar="URL",
                            help="a running server on a loopback address (default: start gunicorn)")
        parser.add_argument("--users", type=int, default=50, metavar="N", help="distinct users to send requests as")
        parser.add_argument("--surfaces", default=",".join(s.name for s in SURFACES), metavar="A,B",
                            help="which surfaces to drive (default: all)")
        parser.add_argument("--recall-queries", type=int, default=200, metavar="N",
                            help="query vectors for recall@20 (0 to skip)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--keep-events", action="store_true",
                            help="keep the impressions the API logged for the benchmark's requests")

    def handle(self, *args: Any, **options: Any) -> None:
        surfaces = [name.strip() for name in options["surfaces"].split(",") if name.strip()]
        unknown = set(surfaces) - {s.name for s in SURFACES}
        if unknown or not surfaces:
            raise CommandError(f"Unknown surface(s): {', '.join(sorted(unknown)) or '(none)'}; "
                               f"choose from {', '.join(s.name for s in SURFACES)}.")
        if options["recall_queries"] < 0:
            raise CommandError("--recall-queries must be 0 or more.")
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _interrupt)  # stop gunicorn on `kill` as on Ctrl-C
        try:
            report = bench_api_run(
                rps=options["rps"], duration=options["duration"], base_url=options["base_url"],
                users=options["users"], surfaces=surfaces, recall_queries=options["recall_queries"],
                seed=options["seed"], keep_events=options["keep_events"], log=self.stderr.write,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except KeyboardInterrupt:
            raise CommandError("Interrupted; the server the benchmark started (if any) has been stopped.") from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        path = report_write(report, options["out"])
        self.stdout.write(self.style.SUCCESS(f"report written to {path}"))
