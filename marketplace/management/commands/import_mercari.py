"""`python manage.py import_mercari PATH`: listings from the Mercari Price Suggestion Challenge TSV."""

from __future__ import annotations

from django.core.management.base import CommandParser

from marketplace.importers.command import ImportCommand
from marketplace.importers.mercari import mercari_import


class Command(ImportCommand):
    help = (
        "Import listings from a Mercari price-suggestion TSV (train_id, name, item_condition_id, category_name, "
        "brand_name, price, shipping, item_description). Listings get source=mercari, external_id=train_id and "
        "the system seller 'mercari-import'. Bad rows are reported with their line numbers and skipped; "
        "importing the same file again adds nothing. Embeddings are left to the backfill."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the Mercari TSV file (tab-separated, with a header row)")
        super().add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        self.run_import(mercari_import, options, path=options["path"])
