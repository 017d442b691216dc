"""`python manage.py train MODEL|all [--force] [--epochs N] [--lr X] [--out-dir DIR] [--test-days N] [--no-resume]`.

A run stopped by Ctrl-C goes on from its last finished epoch the next time the same model is trained on the same
data; `manage.py status` and the admin's /admin/status/ show its epoch, metric so far and ETA meanwhile."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.errors import ApplicationError
from recommender.management.commands.evaluate import (
    add_training_arguments,
    positive_int,
    positive_number,
    training_options,
)
from recommender.management.progress import progress_bars
from recommender.services import TrainResult, evaluation_data_from_db, model_train, recommender_names_resolve
from recommender.tasks import item_vectors_backfill_request


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def comparison_lines(result: TrainResult) -> list[str]:
    """What was measured against what, and what happened to the version."""
    lines = [f"{result.name}: {result.protocol} {result.metric} = {_value(result.value)} "
             f"(trained in {result.fit_seconds:.1f} s)"]
    others = ", ".join(f"{n} {_value(v)}" for n, v in sorted(result.baselines.items()))
    if result.best_baseline is None:
        lines.append(f"  baselines: none measured{f' ({others})' if others else ''}")
    else:
        best = result.best_baseline_value or 0.0
        delta = (result.value or 0.0) - best
        verdict = "beats" if result.beats_baselines else "does not beat"
        lines.append(f"  {verdict} the best baseline {result.best_baseline} {_value(best)} by {delta:+.4f}"
                     f" (baselines: {others})")
    lines += [f"  {note}" if note.startswith("WARNING") else f"  note: {note}" for note in result.notes]
    lines += slot_lines(result)
    lines.append(f"  checkpoint: {result.checkpoint}")
    if result.activated:
        how = " (forced)" if result.forced and not _wins_on_merit(result) else ""
        serves = f", serving {', '.join(result.won_slots)}" if result.won_slots else ""
        lines.append(f"  model version #{result.version.pk} is now active{how}{serves}")
    else:
        why = ": a baseline wins every serving slot" if result.slots else ""
        lines.append(f"  model version #{result.version.pk} registered, not active{why} "
                     "(use --force to serve it anyway)")
    return lines


def _wins_on_merit(result: TrainResult) -> bool:
    if result.slots:
        return any(decision.measured_winner == result.name for decision in result.slots)
    return result.beats_baselines


def slot_lines(result: TrainResult) -> list[str]:
    """The serving slots the model contended for: each contender's value on the slot's protocol, the winner
    marked with *."""
    if not result.slots:
        return []
    lines = ["  serving slots (* serves it):"]
    for decision in result.slots:
        cells = ", ".join(f"{'*' if name == decision.winner else ''}{name} {_value(value)}"
                          for name, value in decision.values.items())
        forced = " (forced)" if decision.forced else ""
        lines.append(f"    {decision.slot:<13} {decision.protocol} {decision.metric}: {cells}{forced}")
    return lines


class Command(BaseCommand):
    help = (
        "Train a recommender (a registry name, or 'all') on the database's events before a time split, evaluate "
        "it on its primary protocol (vip / home recall@20, ctr AUC), save its checkpoint under "
        "RECOMMENDER_ARTIFACTS_DIR and register a ModelVersion. A model that serves a slot of a page (PWPRec: home "
        "'for you' and item page 'picked for you', Mercatran: 'next up') is compared with that slot's baselines on "
        "the slot's protocol; the winner serves the slot, and the version is made active when it wins one. Any other "
        "model is made active when it beats the best baseline on its metric. --force: active, winning every slot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", metavar="MODEL", help="registry name (popularity, pwprec, ...) or 'all'")
        parser.add_argument("--force", action="store_true", help="activate the new version even if it loses")
        parser.add_argument("--out-dir", default=None, metavar="DIR",
                            help="where checkpoints and reports go (default: RECOMMENDER_ARTIFACTS_DIR)")
        parser.add_argument("--test-days", type=positive_number, default=None, metavar="N",
                            help="the last N days are held out for evaluation (default: the last 20%% of the span)")
        parser.add_argument("--max-sessions", type=positive_int, default=None, metavar="N",
                            help="evaluate on the first N test sessions only (request groups for ctr); "
                                 "the baselines are measured on the same ones")
        parser.add_argument("--no-progress", action="store_true", help="do not draw progress bars on stderr")
        parser.add_argument("--no-resume", action="store_true",
                            help="start over even when an interrupted run of this model left a resume state "
                                 "(by default it goes on from its last finished epoch)")
        add_training_arguments(parser)

    def handle(self, *args: object, **options: Any) -> None:
        progress = progress_bars(not options["no_progress"])
        try:
            names = recommender_names_resolve(names=[options["model"]])
            data = evaluation_data_from_db(test_days=options["test_days"], action="train")
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{data.name}: {'; '.join(data.notes)}; " + "; ".join(
            f"{part} {sizes['events']:,} events" for part, sizes in data.sizes().items()
        ))
        failures: list[str] = []
        baseline_cache: dict = {}
        for name in names:
            try:
                result = model_train(
                    name=name, force=options["force"], training=training_options(options), out_dir=options["out_dir"],
                    max_sessions=options["max_sessions"], data=data, baseline_cache=baseline_cache, progress=progress,
                    test_days=options["test_days"], resume=not options["no_resume"],
                    vectors_backfill=item_vectors_backfill_request,
                )
            except ApplicationError as error:
                if len(names) == 1:
                    raise CommandError(error.message) from None
                failures.append(f"{name}: {error.message}")
                self.stderr.write(f"{name}: failed: {error.message}")
                continue
            except Exception as error:  # `all` goes on past one broken model, then reports it
                if len(names) == 1:
                    raise
                failures.append(f"{name}: {error.__class__.__name__}: {error}")
                self.stderr.write(f"{name}: failed: {error.__class__.__name__}: {error}")
                continue
            for line in comparison_lines(result):
                self.stdout.write(line)
        if failures:
            raise CommandError(f"{len(failures)} of {len(names)} models failed:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS(f"trained {len(names)} model(s)"))
