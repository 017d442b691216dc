"""`python manage.py evaluate --models a,b [--protocol P] [--dataset db | --train F --test F --format X] --out DIR`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.errors import ApplicationError
from recommender.evaluation.pages import CANDIDATE_MODES
from recommender.evaluation.protocols import PROTOCOLS
from recommender.management.progress import progress_bars
from recommender.services import (
    evaluation_data_from_db,
    evaluation_data_from_files,
    model_evaluate,
    recommender_names_resolve,
)

FORMATS = ("yoochoose", "rees46")
TABLE_COLUMNS = {
    "ranking": ("recall@20", "mrr@20", "ndcg@20", "n_predictions", "fit_seconds", "score_seconds"),
    "ctr": ("auc", "gauc", "n_impressions", "n_clicks", "fit_seconds", "score_seconds"),
}


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def positive_int(text: str) -> int:
    value = positive_number(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def non_negative_int(text: str) -> int:
    if text.strip() == "0":
        return 0
    return positive_int(text)


def add_training_arguments(parser: CommandParser) -> None:
    """The shared training parameters (`recommender/nets/training.py`), for every model that has them."""
    group = parser.add_argument_group("training (models that train; baselines ignore these)")
    group.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                       help="most training epochs (boosting rounds for the ranker); early stopping may end sooner")
    group.add_argument("--lr", type=positive_number, default=None, metavar="X", help="learning rate")
    group.add_argument("--patience", type=positive_int, default=None, metavar="N",
                       help="epochs without a better validation metric before stopping")
    group.add_argument("--time-cap-seconds", type=positive_number, default=None, metavar="S",
                       help="safety net: stop training after S seconds with a warning (default: hours)")
    group.add_argument("--seed", type=non_negative_int, default=None, metavar="N", help="random seed")


def training_options(options: dict[str, Any]) -> dict[str, Any]:
    """The shared training parameters given on the command line (None = the model's default)."""
    return {name: options[name] for name in ("epochs", "lr", "patience", "time_cap_seconds", "seed")}


def metrics_table(models: dict[str, dict[str, Any]], protocol: str) -> str:
    """A plain-text table of the headline metrics, one row per model."""
    columns = TABLE_COLUMNS["ctr" if protocol == "ctr" else "ranking"]
    width = max([len("model"), *(len(n) for n in models)])
    lines = ["  ".join(["model".ljust(width), *(c.rjust(13) for c in columns)])]
    for name, metrics in models.items():
        cells = []
        for column in columns:
            value = metrics.get(column)
            text = "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
            cells.append(text.rjust(13))
        lines.append("  ".join([name.ljust(width), *cells]))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Fit recommenders on the train part of a data set and evaluate them offline. --dataset db (default) "
        "splits the database's events by time (default protocol: vip); --train/--test read session files "
        "(default protocol: next-item, every next item of every test session from its prefix over all training "
        "items). Writes DIR/metrics.json, DIR/report.md and DIR/recall_at_k.png, and stores each model's "
        "metrics as a ModelVersion (shown in the admin)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models", required=True, metavar="A,B,...",
                            help="comma-separated registry names (popularity, sknn, pwprec, ...) or 'all'")
        parser.add_argument("--protocol", default=None, metavar="|".join(PROTOCOLS),
                            help="next-item (session files' default), vip (the database's default), home or ctr")
        parser.add_argument("--dataset", default=None, metavar="db",
                            help="db: the database's events with a time split (the default without --train)")
        parser.add_argument("--train", default=None, metavar="FILE", help="training session file")
        parser.add_argument("--test", default=None, metavar="FILE", help="test session file")
        parser.add_argument("--format", default="yoochoose", metavar="|".join(FORMATS),
                            help="format of --train / --test (default yoochoose: SessionId, ItemId, Time)")
        parser.add_argument("--out", required=True, metavar="DIR", help="where metrics.json, report.md and plots go")
        parser.add_argument("--max-sessions", type=positive_int, default=None, metavar="N",
                            help="evaluate only the first N test sessions (request groups for ctr)")
        parser.add_argument("--test-days", type=positive_number, default=None, metavar="N",
                            help="db only: the last N days are the test period (default: the last 20%% of the span)")
        parser.add_argument("--candidates", default="active", metavar="|".join(CANDIDATE_MODES),
                            help="vip / home: rank over items available at the time (active, default) or over "
                                 "every training item (training)")
        parser.add_argument("--no-record", action="store_true", help="do not store ModelVersion rows")
        parser.add_argument("--no-progress", action="store_true", help="do not draw progress bars on stderr")
        add_training_arguments(parser)

    def handle(self, *args: object, **options: Any) -> None:
        names = [n.strip() for n in options["models"].split(",") if n.strip()]
        if not names:
            raise CommandError("--models needs at least one recommender name")
        from_files = options["train"] is not None or options["test"] is not None
        if from_files and options["dataset"] is not None:
            raise CommandError("use either --dataset db or --train FILE --test FILE, not both")
        if options["dataset"] not in (None, "db"):
            raise CommandError(f"unknown --dataset {options['dataset']!r}; use --dataset db or --train/--test files")
        if from_files and (options["train"] is None or options["test"] is None):
            raise CommandError("session files need both --train FILE and --test FILE")
        if options["format"] not in FORMATS:
            raise CommandError(f"unknown --format {options['format']!r}; expected one of: {', '.join(FORMATS)}")
        if from_files and options["test_days"] is not None:
            raise CommandError("--test-days applies to --dataset db only")
        protocol = options["protocol"] or ("next-item" if from_files else "vip")
        if protocol not in PROTOCOLS:
            raise CommandError(f"unknown --protocol {protocol!r}; expected one of: {', '.join(PROTOCOLS)}")

        started = time.perf_counter()
        try:
            names = recommender_names_resolve(names=names)  # fail on a typo before loading any data
            if from_files:
                data = evaluation_data_from_files(train_path=options["train"], test_path=options["test"],
                                                  file_format=options["format"])
            else:
                data = evaluation_data_from_db(test_days=options["test_days"])
            self.stdout.write(f"{data.name}: " + "; ".join(
                f"{part} {sizes['events']:,} events, {sizes['sessions']:,} sessions, {sizes['items']:,} items"
                for part, sizes in data.sizes().items()
            ) + f" (loaded in {time.perf_counter() - started:.1f} s)")
            run = model_evaluate(
                names=names, data=data, protocol=protocol, out_dir=options["out"],
                max_sessions=options["max_sessions"], candidates=options["candidates"],
                record=not options["no_record"], training=training_options(options),
                progress=progress_bars(not options["no_progress"]),
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"{error.filename or 'output'}: {error.strerror or error}") from None

        self.stdout.write(f"protocol: {protocol}")
        self.stdout.write(metrics_table(run.result["models"], protocol))
        for note in run.training_notes:
            self.stdout.write(self.style.WARNING(note) if note.startswith("WARNING") else note)
        for name, version in run.versions.items():
            self.stdout.write(f"recorded {name} as model version #{version.pk}")
        self.stdout.write(f"wrote {', '.join(str(p) for p in run.paths.values())}")
        self.stdout.write(self.style.SUCCESS(f"done in {time.perf_counter() - started:.1f} s"))
