"""`python manage.py embed_listings`: backfill text embeddings (batched, resumable, idempotent, with progress)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from interest_units.embeddings import encoder_device
from interest_units.services import listing_embeddings_backfill


class Command(BaseCommand):
    help = "Embed listings that have no text embedding (or all of them with --all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--all", action="store_true", help="re-embed every listing")
        parser.add_argument("--start-after", type=int, default=0, help="with --all: resume after this listing id")
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"encoder on {encoder_device()}")
        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, desc="embedding", unit="listing")
            bar.update(done - bar.n)

        started = time.perf_counter()
        done = listing_embeddings_backfill(batch_size=max(1, int(options["batch_size"])), limit=options["limit"],
                                           everything=bool(options["all"]), start_after=int(options["start_after"]),
                                           progress=progress)
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - started
        if done:
            self.stdout.write(self.style.SUCCESS(f"embedded {done} listing(s) in {seconds:.1f} s "
                                                 f"({done / seconds:.1f} listings/s)"))
        else:
            self.stdout.write("every listing already has an embedding: nothing to do")
