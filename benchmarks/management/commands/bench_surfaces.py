"""`python manage.py bench_surfaces [--requests N] [--warmup N] [--users N] [--seed N] [--out FILE]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.surfaces import bench_surfaces_run, report_lines
from marketplace.errors import ApplicationError
from recommender.management.progress import progress_bars


class Command(BaseCommand):
    help = (
        "Measure, in one in-process run, what each surface costs per request relative to the DRF API root: SQL "
        "queries (median / max, in the response and after it, where the impressions are written) and CPU (this "
        "process + its Postgres backend, from /proc), for the API root, home, item, interest units and unit items, "
        "as signed-in and anonymous visitors, interleaved round-robin. Checks DESIGN.md section 8: <= 5 queries and "
        "<= 3x the root's CPU. Needs demo data; deletes the events and sessions it creates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=50, metavar="N",
                            help="measured requests per surface and viewer kind (default 50)")
        parser.add_argument("--warmup", type=int, default=3, metavar="N",
                            help="unmeasured rounds over every surface first (default 3)")
        parser.add_argument("--users", type=int, default=20, metavar="N",
                            help="signed-in users (and as many anonymous visitors) drawn with --seed (default 20)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", default=None, metavar="FILE", help="also write the JSON report here")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = bench_surfaces_run(requests=options["requests"], warmup=options["warmup"],
                                        users=options["users"], seed=options["seed"],
                                        progress=progress_bars(not options["no_progress"]))
        except ApplicationError as error:
            raise CommandError(error.message) from None
        for line in report_lines(report):
            self.stdout.write(line)
        machine, data = report["machine"], report["data"]
        self.stdout.write(f"{machine['cpus']} CPUs, load average before {machine['load_average']}, after "
                          f"{machine['loadavg_after']}; {data['active_listings']:,} active of {data['listings']:,} "
                          f"listings, {data['events']:,} events, {data['users']:,} users, "
                          f"{data['live_interest_units']:,} live units")
        if report["config"]["backend_cpu_unavailable"]:
            self.stdout.write(f"Postgres backend CPU not counted: {report['config']['backend_cpu_unavailable']}")
        self.stdout.write(f"targets met: {json.dumps(report['targets_met'])}")
        if options["out"]:
            path = Path(options["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, default=str) + "\n")
            self.stdout.write(f"wrote {path}")
