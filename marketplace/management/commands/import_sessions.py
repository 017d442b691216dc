"""`python manage.py import_sessions PATH --format yoochoose|rees46`: users, listings and events from a session log."""

from __future__ import annotations

from django.core.management.base import CommandParser

from marketplace.importers.command import ImportCommand
from marketplace.importers.sessions import FORMATS, sessions_import


class Command(ImportCommand):
    help = (
        "Import a public session log as users, listings (source=sessions) and events. "
        "yoochoose: the session-rec TSV 'SessionId ItemId Time' (every row an item_view, one user per session). "
        "rees46: the REES46 CSV (view / cart / purchase -> item_view / item_add_to_cart_tap / buy_comp; "
        "purchases do not mark listings sold). Bad rows are reported with their line numbers and skipped; "
        "importing the same file again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the session file (with its header row)")
        parser.add_argument(
            "--format", required=True, choices=FORMATS,
            help="yoochoose: tab-separated SessionId, ItemId, Time (unix seconds); "
                 "rees46: the comma-separated REES46 e-commerce event log",
        )
        super().add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        self.run_import(sessions_import, options, path=options["path"], format=options["format"])
