"""`python manage.py bench_embeddings`: listings/s of the fp32 reference encoder (the path before issue 17) vs the
encoder `texts_embed` uses now (int8 ONNX Runtime on a CPU), on the same texts in one run, and the cosine between
their vectors (min / 1st percentile / mean)."""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interest_units import embeddings
from marketplace.models import Listing

DEFAULT_TSV = settings.BASE_DIR.parent / "shared" / "data" / "mercari_listings_10k.tsv"
PREVIOUS_BATCH = 32  # texts_embed's CPU batch before issue 17
REFERENCE_BATCH = 64  # what texts_embed used before issue 17, on one thread


def mercari_texts(path: Path, limit: int) -> list[str]:
    """The encoder's text of the first `limit` rows of a Mercari price-suggestion TSV (title, brand, category
    path, condition: the fields a Mercari row has)."""
    csv.field_size_limit(1 << 24)
    texts: list[str] = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            category = row.get("category_name") or ""
            texts.append(embeddings.text_compose(
                title=row["name"], brand=row.get("brand_name") or "",
                categories=category.split("/", 2) if category else [], condition=int(row["item_condition_id"]),
            ))
            if len(texts) >= limit:
                break
    return texts


def database_texts(limit: int) -> list[str]:
    listings = Listing.objects.select_related("brand", "c0", "c1", "c2").order_by("pk")[:limit]
    return [embeddings.listing_text(listing) for listing in listings]


class Command(BaseCommand):
    help = ("Encode the same listing texts with the fp32 reference path (batches of 64, one thread) and with the "
            "encoder in use, interleaved over several rounds; print listings/s of each, their ratio and the "
            "min / p1 / mean cosine between the two sets of vectors.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tsv", type=Path, default=None,
                            help=f"Mercari TSV to read texts from (default {DEFAULT_TSV} when present, else the "
                                 "database's listings)")
        parser.add_argument("--listings", type=int, default=2000, help="texts to encode per round (default 2,000)")
        parser.add_argument("--rounds", type=int, default=3, help="rounds; each path's median is reported")
        parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")

    def handle(self, *args: object, **options: object) -> None:
        limit, rounds = int(options["listings"]), max(1, int(options["rounds"]))
        tsv = options["tsv"] or (DEFAULT_TSV if DEFAULT_TSV.exists() else None)
        if options["tsv"] and not tsv.exists():
            raise CommandError(f"No such file: {tsv}")
        texts = mercari_texts(tsv, limit) if tsv else database_texts(limit)
        if not texts:
            raise CommandError("No texts to encode: pass --tsv or seed the database first.")
        source = str(tsv) if tsv else "database listings"
        self.stdout.write(f"{len(texts):,} texts from {source}; loading both encoders…")

        reference, current = embeddings.reference_encoder(), embeddings.text_encoder()
        cpu = str(current.device) == "cpu"
        chosen_threads: list[int] = []

        def as_texts_embed() -> np.ndarray:
            threads = embeddings.encoder_threads(len(texts)) if cpu else None
            chosen_threads.append(threads or 0)
            return embeddings.encode(current, texts, batch_size=embeddings.default_batch_size(), threads=threads)

        precision = embeddings.encoder_precision()
        paths = {
            "reference fp32, 1 thread": lambda: embeddings.encode(reference, texts, batch_size=REFERENCE_BATCH,
                                                                  threads=1 if cpu else None),
            f"{precision}, 1 thread": lambda: embeddings.encode(
                current, texts, batch_size=embeddings.default_batch_size(), threads=1 if cpu else None),
            f"{precision}, as texts_embed (idle cores)": as_texts_embed,
            # texts_embed before issue 17, like for like with the line above: fp32, batches of 32, idle cores
            "fp32 as texts_embed was (idle cores)": lambda: embeddings.encode(
                reference, texts, batch_size=PREVIOUS_BATCH, threads=embeddings.encoder_threads(len(texts)) if cpu
                else None),
        }
        # warm up: the first calls allocate and pack
        embeddings.encode(reference, texts[:64], batch_size=REFERENCE_BATCH, threads=1 if cpu else None)
        embeddings.encode(current, texts[:64], batch_size=embeddings.default_batch_size(), threads=1 if cpu else None)

        load_before = os.getloadavg()
        rates: dict[str, list[float]] = {name: [] for name in paths}
        vectors: dict[str, np.ndarray] = {}
        names = list(paths)
        for round_index in range(rounds):
            order = names if round_index % 2 == 0 else names[::-1]  # alternate, so load drift favours neither
            for name in order:
                started = time.perf_counter()
                vectors[name] = paths[name]()
                rates[name].append(len(texts) / (time.perf_counter() - started))
            self.stdout.write(f"round {round_index + 1}: " + ", ".join(
                f"{name} {rates[name][-1]:.0f}/s" for name in names))
        load_after = os.getloadavg()

        reference_name = names[0]
        medians = {name: statistics.median(values) for name, values in rates.items()}
        results: dict[str, object] = {
            "texts": len(texts), "source": source, "rounds": rounds, "cores": os.cpu_count(),
            "machine": platform.processor() or platform.machine(), "device": str(current.device),
            "encoder": type(current).__name__,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "threads_chosen_by_texts_embed": chosen_threads,
            "paths": {},
        }
        for name in names:
            cosine = (vectors[name] * vectors[reference_name]).sum(axis=1)
            results["paths"][name] = {
                "listings_per_s_median": round(medians[name], 1),
                "listings_per_s": [round(r, 1) for r in rates[name]],
                "ratio_to_reference": round(medians[name] / medians[reference_name], 2),
                "cosine_min": round(float(cosine.min()), 4), "cosine_p1": round(float(np.percentile(cosine, 1)), 4),
                "cosine_mean": round(float(cosine.mean()), 4),
            }
            ratio = medians[name] / medians[reference_name]
            self.stdout.write(f"{name:40s} {medians[name]:7.1f} listings/s  x{ratio:.2f}  cosine to reference "
                              f"min {cosine.min():.4f} p1 {np.percentile(cosine, 1):.4f} mean {cosine.mean():.4f}")
        self.stdout.write(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
                          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
                          f"{os.cpu_count()} cores; threads texts_embed chose per round: {chosen_threads}")
        if options["out"]:
            Path(options["out"]).write_text(json.dumps(results, indent=2))
            self.stdout.write(f"results written to {options['out']}")
