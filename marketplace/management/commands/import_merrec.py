"""`python manage.py import_merrec DIR`: users, listings and events from MerRec parquet shards."""

from __future__ import annotations

from django.core.management.base import CommandParser

from marketplace.importers.command import ImportCommand
from marketplace.importers.merrec import merrec_import


class Command(ImportCommand):
    help = (
        "Import MerRec event shards: every .parquet file under DIR (searched recursively). Each row becomes an "
        "event of user 'merrec-<user_id>' on the listing with source=merrec, external_id=item_id (created from "
        "the first row that mentions it, with its category path, MerRec ids and brand). Bad rows are reported "
        "with their shard and row number and skipped; importing the same shards again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="directory holding MerRec .parquet shards")
        super().add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        self.run_import(merrec_import, options, directory=options["directory"])
