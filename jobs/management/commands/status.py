"""`python manage.py status [--limit N] [--active]`: one line per recent background job, newest first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from jobs.selectors import (
    duration_text,
    job_eta_text,
    job_list_recent,
    job_metric_text,
    job_progress_text,
    job_state_shown,
)


class Command(BaseCommand):
    help = ("Show the background jobs (seeding, embedding, interest-unit builds, training, backfills): state, epoch "
            "or count, metric so far, ETA and last report, newest first. The admin's /admin/status/ shows the same.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20, metavar="N", help="at most N jobs (default 20)")
        parser.add_argument("--active", action="store_true", help="queued and running jobs only")

    def handle(self, *args: object, **options: Any) -> None:
        jobs = list(job_list_recent(limit=max(options["limit"], 1), active_only=options["active"]))
        if not jobs:
            self.stdout.write("no background jobs" + (" running" if options["active"] else " yet"))
            return
        now = timezone.now()
        for job in jobs:
            details = [job_progress_text(job), job_metric_text(job)]
            eta = job_eta_text(job, now=now)
            details.append(f"ETA {eta}" if eta else "")
            details.append(f"last report {duration_text((now - job.updated_at).total_seconds())} ago")
            if job.stage:
                details.insert(0, job.stage)
            if job.message:
                details.append(job.message)
            self.stdout.write(f"#{job.pk:<5} {job.get_kind_display():<20} {job.name:<20} "
                              f"{job_state_shown(job, now=now):<11} " + "; ".join(d for d in details if d))
