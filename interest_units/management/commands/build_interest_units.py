"""`python manage.py build_interest_units`: rebuild SPU, image and semantic units and print the quality report;
with `--holdout`, measure placement on held-back listings instead (and leave the database as it was)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from interest_units.models import UnitType
from interest_units.services import BuildConfig, interest_units_build, listing_embeddings_backfill
from interest_units.services.holdout import placement_holdout_evaluate, placement_report_lines
from jobs.models import JobKind
from jobs.services import job_tracked

TYPES_INVALID = "Unknown unit type(s): {bad}. Choose from: " + ", ".join(UnitType.values) + "."


class Command(BaseCommand):
    help = "Rebuild interest units (ids stay stable where membership persists) and print a quality report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--types", default=",".join(UnitType.values), help="comma-separated: spu,image,semantic")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-embed", action="store_true", help="do not embed listings that lack an embedding")
        parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
        parser.add_argument("--holdout", type=float, metavar="SHARE",
                            help="measure placement instead: hold back this share of the active listings (e.g. 0.1), "
                                 "build on the rest, post the held-back ones again through listing_create and report "
                                 "per type how many land in a unit of their own leaf (SPU: and brand); everything "
                                 "is rolled back")

    def handle(self, *args: object, **options: object) -> None:
        types = [t.strip() for t in str(options["types"]).split(",") if t.strip()]
        bad = [t for t in types if t not in UnitType.values]
        if bad or not types:
            raise CommandError(TYPES_INVALID.format(bad=", ".join(bad) or "(none)"))
        started = time.perf_counter()
        if not options["no_embed"]:
            bar: tqdm | None = None

            def progress(done: int, total: int) -> None:
                nonlocal bar
                if bar is None:
                    bar = tqdm(total=total, desc="embedding", unit="listing")
                bar.update(done - bar.n)

            embedded = listing_embeddings_backfill(progress=progress)
            if bar is not None:
                bar.close()
            if embedded:
                rate = embedded / max(time.perf_counter() - started, 1e-9)
                self.stdout.write(f"embedded {embedded} listing(s), {rate:.0f} listings/s")
        if options["holdout"] is not None:
            self._holdout(float(options["holdout"]), types, int(options["seed"]), options["report"], started)
            return
        with job_tracked(kind=JobKind.UNIT_BUILD, name=",".join(types)):  # on the admin status page
            build = interest_units_build(types=types, config=BuildConfig(seed=int(options["seed"])),
                                         embed_missing=False, report=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(
            f"build {build.pk} done in {time.perf_counter() - started:.1f} s (report stored on the build)"
        ))
        if options["report"]:
            path = Path(options["report"])
            path.write_text(json.dumps({"build": build.pk, "report": build.report, "messages": build.messages},
                                       indent=2))
            self.stdout.write(f"report written to {path}")

    def _holdout(self, fraction: float, types: list[str], seed: int, path: Path | None, started: float) -> None:
        try:
            result = placement_holdout_evaluate(fraction=fraction, seed=seed, types=types,
                                                config=BuildConfig(seed=seed), report=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for line in placement_report_lines(result):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(
            f"placement measured in {time.perf_counter() - started:.1f} s; the database is as it was"
        ))
        if path:
            path.write_text(json.dumps({"held_back": result.held_back, "build": result.build_report,
                                        "placement": result.placement}, indent=2))
            self.stdout.write(f"report written to {path}")
