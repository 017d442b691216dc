"""`python manage.py evaluate_ranker --out DIR`: the ranking stage's ablation on the database's time split."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recommender.management.commands.evaluate import positive_int, positive_number


class Command(BaseCommand):
    help = (
        "Train the ranker's features once (retrieval sources, SCID, the two-tower pre-trained only / fine-tuned / "
        "fine-tuned without context debiasing) and a LightGBM ranker per feature subset; score every variant on "
        "the same test-period queries (MRR, Recall@K, nDCG@10; seen / not seen) and write DIR/report.md, "
        "DIR/metrics.json and DIR/ranker.png. Runs on one thread."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, metavar="DIR")
        parser.add_argument("--test-days", type=positive_number, default=None, metavar="N",
                            help="the last N days are the test period (default: the last 20%% of the span)")
        # every test query by default: the paired differences between variants are small, their s.e. is not
        parser.add_argument("--test-vip", type=positive_int, default=None, metavar="N",
                            help="VIP test queries, a seeded sample (default: all)")
        parser.add_argument("--test-home", type=positive_int, default=None, metavar="N",
                            help="home test queries, a seeded sample (default: all)")
        parser.add_argument("--train-vip", type=positive_int, default=None, metavar="N",
                            help="VIP training queries (default: the ranker's setting)")
        parser.add_argument("--train-home", type=positive_int, default=None, metavar="N",
                            help="home training queries (default: the ranker's setting)")
        parser.add_argument("--seed", type=int, default=0,
                            help="seeds the query samples, the nets and LightGBM (repeat with others to see spread)")
        parser.add_argument("--variants", default=None, metavar="A,B",
                            help="comma-separated ranker variants to train (default: all of rerank.VARIANTS)")
        parser.add_argument("--rank", action=argparse.BooleanOptionalAction, default=None,
                            help="with / without the rank-within-query columns (default: RankerConfig.rank)")
        parser.add_argument("--dump", default=None, metavar="FILE.npz",
                            help="also save the feature matrices (to study LightGBM settings without recomputing)")

    def handle(self, *args: object, **options: Any) -> None:
        import dataclasses

        import torch

        from recommender.evaluation.rerank import ranker_ablation, write_ablation_report
        from recommender.ranking.ranker import RankerConfig
        from recommender.services import evaluation_data_from_db

        torch.set_num_threads(1)
        started = time.perf_counter()
        data = evaluation_data_from_db(test_days=options["test_days"])
        config = RankerConfig(seed=options["seed"])
        if options["rank"] is not None:
            config = dataclasses.replace(config, rank=options["rank"])
        if options["train_vip"]:
            config = dataclasses.replace(config, max_vip_queries=options["train_vip"])
        if options["train_home"]:
            config = dataclasses.replace(config, max_home_queries=options["train_home"])

        def log(line: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:6.0f} s] {line}")

        result = ranker_ablation(data.train, data.test, config=config, max_vip=options["test_vip"],
                                 max_home=options["test_home"], log=log,
                                 dump=Path(options["dump"]) if options["dump"] else None,
                                 variants=options["variants"].split(",") if options["variants"] else None)
        sizes = data.sizes()
        header = [
            *data.notes,
            "train: " + ", ".join(f"{v:,} {k}" for k, v in sizes["train"].items()),
            "test: " + ", ".join(f"{v:,} {k}" for k, v in sizes["test"].items()),
            f"ranker config: {dataclasses.asdict(config)}",
            f"training queries: {result['training']['train_queries']:,} with a labelled candidate "
            f"({result['training']['train_rows']:,} rows); features fitted before "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(result['training']['feature_cut']))} UTC",
            f"command: manage.py evaluate_ranker --out {options['out']} --seed {options['seed']}"
            + "".join(f" --{k.replace('_', '-')} {options[k]}" for k in ("test_vip", "test_home", "test_days")
                      if options[k] is not None)
            + ({True: " --rank", False: " --no-rank", None: ""}[options["rank"]])
            + (f" --variants '{options['variants']}'" if options["variants"] else "") + "; "
            f"wall time {time.perf_counter() - started:.0f} s on one thread (torch and LightGBM)",
        ]
        paths = write_ablation_report(options["out"], result, header)
        self.stdout.write(f"wrote {', '.join(str(p) for p in paths.values())}")
        self.stdout.write(self.style.SUCCESS(f"done in {time.perf_counter() - started:.1f} s"))
