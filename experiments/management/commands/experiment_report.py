"""`manage.py experiment_report NAME`: an experiment's results as a table (or JSON)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from experiments.models import PrimaryMetric
from experiments.results import METRICS, REQUEST_CTR_NOTE, experiment_results, interval_text
from experiments.selectors import experiment_get
from experiments.stats import RESAMPLES, SEED
from marketplace.errors import ApplicationError

LABELS = dict(PrimaryMetric.choices)


class Command(BaseCommand):
    help = ("Per-arm request CTR (page views with a click), and CTR, add-to-carts, offers and purchases per viewer "
            "and per impression, with 95%% bootstrap intervals over viewers, differences from the control (first "
            "arm), and the interleaving preference.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the experiment's name")
        parser.add_argument("--resamples", type=int, default=RESAMPLES, help="bootstrap resamples")
        parser.add_argument("--seed", type=int, default=SEED, help="bootstrap seed")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args: object, **options: object) -> None:
        try:
            experiment = experiment_get(name=str(options["name"]))
        except ApplicationError as error:
            raise CommandError(error.message) from None
        results = experiment_results(experiment=experiment, resamples=int(options["resamples"]),
                                     seed=int(options["seed"]))
        if options["json"]:
            self.stdout.write(json.dumps(results.as_dict(), indent=2, default=str))
            return
        out = self.stdout
        out.write(f"{experiment}")
        if results.window_start is None:
            out.write("Not started: no results yet.")
            return
        out.write(f"window: {results.window_start:%Y-%m-%d %H:%M} - {results.window_end:%Y-%m-%d %H:%M}; "
                  f"primary metric: {LABELS.get(experiment.primary_metric, experiment.primary_metric)}; "
                  f"95% intervals: bootstrap over viewers ({results.resamples} resamples, seed {results.seed})")
        if results.sample_ratio_p is not None:
            shares = ", ".join(f"{share:.0%}" for share in experiment.shares)
            out.write(f"viewers per arm vs the split ({shares}): chi-square p = {results.sample_ratio_p:.4g}"
                      + ("  <- SAMPLE RATIO MISMATCH: check assignment and logging" if results.sample_ratio_p < 0.001
                         else ""))
        control = results.arms[0]
        for arm in results.arms:
            out.write("")
            out.write(f"arm {arm.name} ({arm.recommender}): {arm.viewers} viewers, {arm.requests} responses "
                      f"({arm.clicked_requests} clicked), {arm.impressions} impressions, "
                      + ", ".join(f"{n} {event}" for event, n in arm.counts.items()))
            for metric in METRICS:
                marker = "*" if metric == experiment.primary_metric else " "
                line = f" {marker} {LABELS[metric]:<32} {interval_text(arm.metrics[metric])}"
                if metric in arm.lift:
                    line += f"   vs {control.name}: {interval_text(arm.lift[metric])}"
                out.write(line)
        out.write("")
        out.write(REQUEST_CTR_NOTE)
        if results.preference is not None:
            p = results.preference
            a, b = results.arms[0].name, results.arms[1].name
            p_value = "-" if p.p_value is None else f"{p.p_value:.4g}"
            out.write("")
            out.write(f"interleaving: {p.requests} responses, {p.clicked} with clicks: {a} won {p.wins_a}, "
                      f"{b} won {p.wins_b}, {p.ties} ties; sign test p = {p_value}")
            out.write(f"preference for {b} over {a} (wins - losses per clicked response): "
                      f"{interval_text(p.preference)}")
