"""`python manage.py bench_nrt [--users N] [--rate R] [--duration S] [--out FILE]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.nrt import nrt_latency_run
from marketplace.errors import ApplicationError
from recommender.management.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Near-real-time user vectors: drive page visits (a view, sometimes a like / cart / offer, plus the page's "
        "impressions) for many users at an open-loop rate through events_record, with Celery workers on the "
        "default and nrt queues (as make demo runs them), and report the latency from each interest event's "
        "commit to the user's new UserVectors row (Postgres) and its Redis copy (p50 / p95 / p99). Needs an "
        "active version of the model. The run's events are deleted afterwards and the users' vectors recomputed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=200, metavar="N", help="distinct users (default 200)")
        parser.add_argument("--rate", type=float, default=5.0, metavar="R",
                            help="page visits per second over all users (default 5)")
        parser.add_argument("--duration", type=float, default=60.0, metavar="S", help="seconds of load (default 60)")
        parser.add_argument("--impressions", type=int, default=24, metavar="N",
                            help="impressions logged per page visit (default 24)")
        parser.add_argument("--space", default="pwprec", help="the served model whose vectors are timed")
        parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                            help="how long to wait for the last refreshes after the load (default 30)")
        parser.add_argument("--no-worker", action="store_true",
                            help="use the Celery workers already running instead of starting one")
        parser.add_argument("--keep-events", action="store_true", help="keep the events the run recorded")
        parser.add_argument("--out", default=None, metavar="FILE", help="also write the summary as JSON")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar on stderr")

    def handle(self, *args: object, **options: Any) -> None:
        import torch

        torch.set_num_threads(1)  # the refreshes this process runs while cleaning up, like the workers' own
        try:
            summary = nrt_latency_run(
                users=options["users"], rate=options["rate"], duration=options["duration"],
                impressions=options["impressions"], space=options["space"], start_worker=not options["no_worker"],
                timeout=options["timeout"], keep_events=options["keep_events"], seed=options["seed"],
                progress=progress_bars(not options["no_progress"]), log=self.stdout.write,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        if options["out"]:
            path = Path(options["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(summary, indent=2) + "\n")
        s = summary
        self.stdout.write(
            f"{s['page_visits']} page visits by {s['users']} users in {s['load_seconds']} s "
            f"({s['interest_events']} interest commits, {s['events_written']} events incl. impressions); "
            f"{s['refreshes_seen']} vector refreshes seen; schedule lag p95 {s['schedule_lag_p95_ms']} ms"
        )
        for stage, label in (("stored", "event -> UserVectors row"), ("cached", "event -> Redis copy"),
                             ("slate", "event -> new home slate")):
            p = s[stage]
            self.stdout.write(f"{label:<26} n={p['n']}  p50 {p['p50_ms']} ms  p95 {p['p95_ms']} ms  "
                              f"p99 {p['p99_ms']} ms  max {p['max_ms']} ms")
        self.stdout.write(f"missed (no new vector within the timeout): {s['missed']}; warm-up {s['warmup_ms']} ms")
        verdict = self.style.SUCCESS if s["meets_target"] else self.style.WARNING
        outcome = "met" if s["meets_target"] else "missed"
        self.stdout.write(verdict(f"p95 target {s['target_p95_ms']:.0f} ms: {outcome}"))
