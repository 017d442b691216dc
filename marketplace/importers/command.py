"""The shared shape of the import_* management commands: flags, error handling, the printed summary."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.errors import ApplicationError
from marketplace.importers.base import BATCH_SIZE, MAX_BAD_ROWS, ImportReport
from marketplace.services.search import search_vocabulary_refresh


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class ImportCommand(BaseCommand):
    """Subclasses add their positional argument and call `run_import`."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=positive_int, default=None, metavar="N",
            help="stop after N data rows (bad rows count); default: the whole input",
        )
        parser.add_argument(
            "--batch-size", type=positive_int, default=BATCH_SIZE, metavar="N",
            help=f"rows written per transaction (default {BATCH_SIZE}); a batch commits whole or not at all",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not draw the progress bar on stderr",
        )

    def run_import(self, importer: Callable[..., ImportReport], options: dict, **kwargs: object) -> ImportReport:
        """Run `importer` with the common flags in `options`, print its summary (with the first bad rows), and
        turn expected failures into a CommandError: a clear message, exit status 1, no traceback."""
        try:
            report = importer(
                limit=options["limit"], batch_size=options["batch_size"], progress=not options["no_progress"],
                **kwargs,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename or 'the input'}: {error.strerror or error}") from None
        if report.loaded:  # new listings' words are searchable at once; "did you mean" learns them now too
            search_vocabulary_refresh()
        self.stdout.write(report.summary())
        if report.skipped > len(report.bad_rows):
            self.stdout.write(f"  ... and {report.skipped - len(report.bad_rows)} more (only the first "
                              f"{MAX_BAD_ROWS} are listed)")
        return report
