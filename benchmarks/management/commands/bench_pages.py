"""`python manage.py bench_pages [--requests N] [--pages home,item,unit] [--out FILE]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.pages import PAGES, page_logging_bench
from marketplace.errors import ApplicationError
from recommender.management.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Measure what event logging adds to the storefront's pages: each page is requested through Django's WSGI "
        "handler with the page-events middleware (events written after the response is sent) and without it "
        "(written inside the request), interleaved; prints p50 / p95 per page and writes JSON with --out. "
        "Needs demo data (seed_demo); deletes the events and sessions it creates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, metavar="N", help="requests per page and mode")
        parser.add_argument("--pages", default=",".join(PAGES), metavar="A,B", help="home, item and/or unit")
        parser.add_argument("--users", type=int, default=30, metavar="N", help="distinct logged-in users")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=None, metavar="FILE", help="also write the JSON report here")

    def handle(self, *args: Any, **options: Any) -> None:
        pages = [p.strip() for p in options["pages"].split(",") if p.strip()]
        unknown = sorted(set(pages) - set(PAGES))
        if unknown or not pages:
            raise CommandError(f"Unknown page(s): {', '.join(unknown) or '(none)'}; choose from {', '.join(PAGES)}.")
        if options["requests"] < 1 or options["users"] < 1:
            raise CommandError("--requests and --users must be at least 1.")
        try:
            report = page_logging_bench(requests=options["requests"], pages=pages, users=options["users"],
                                        seed=options["seed"], progress=progress_bars())
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{report['events_per_page']} events per page, {options['requests']} requests per page "
                          f"and mode (ms, p50 / p95)")
        self.stdout.write(f"{'page':6} {'response, deferred':>20} {'insert after it':>17} {'response, inline':>18}")
        for page, result in report["pages"].items():
            cells = [result[key] for key in ("deferred_response_ms", "deferred_insert_after_response_ms",
                                             "inline_response_ms")]
            self.stdout.write(f"{page:6} " + " ".join(
                f"{c['p50']:>8.1f} / {c['p95']:<8.1f}".rjust(w) for c, w in zip(cells, (20, 17, 18), strict=True)))
        cost = report["in_request_logging_ms"]
        self.stdout.write(f"left inside the request with the middleware: building and buffering {cost['events']} "
                          f"impressions, p50 {cost['p50']} ms, p95 {cost['p95']} ms")
        if options["out"]:
            path = Path(options["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2))
            self.stdout.write(f"wrote {path}")
