"""Mercari Price Suggestion Challenge listings (`train.tsv`): one listing per row, no events.

Columns: train_id, name, item_condition_id, category_name, brand_name, price, shipping, item_description.
Pitfalls handled here: `category_name` is "c0/c1/c2" but a name may itself contain "/" (split with maxsplit=2);
the category or the brand may be empty; descriptions hold "[rm]" where prices were removed and the literal
"No description yet"; fields holding quotes are CSV-quoted, their quotes doubled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.utils import timezone

from marketplace.errors import ApplicationError
from marketplace.importers.base import (
    BATCH_SIZE,
    FILE_NO_ROWS,
    BatchResult,
    CatalogCache,
    ImportReport,
    RowError,
    catalog_fields,
    delimited_rows,
    file_check,
    header_check,
    listings_get_or_create,
    price_parse,
    rows_import,
    system_user,
    text_clean,
    text_id,
)
from marketplace.models import Condition, ListingSource, Shipper

COLUMNS = (
    "train_id", "name", "item_condition_id", "category_name", "brand_name", "price", "shipping", "item_description",
)
SELLER_USERNAME = "mercari-import"
SHIPPER_BY_CODE = {"1": Shipper.SELLER, "0": Shipper.BUYER}  # Mercari's `shipping`: 1 = seller pays
NO_DESCRIPTION = "No description yet"
_REMOVED_PRICE = re.compile(r"[ \t]*\[rm\]")


def description_clean(text: str) -> str:
    """Drop the "[rm]" placeholders (removed prices) and the "No description yet" filler."""
    text = _REMOVED_PRICE.sub("", text_clean(text)).strip()
    return "" if text == NO_DESCRIPTION else text


def mercari_import(
    *, path: str | Path, limit: int | None = None, batch_size: int = BATCH_SIZE, progress: bool = False
) -> ImportReport:
    """Import listings (source="mercari", external_id=train_id, seller "mercari-import", created now).

    Embeddings are not computed here; the backfill does that.
    """
    file = file_check(path, kind="Mercari TSV")
    header_check(file, delimiter="\t", expected=COLUMNS, kind="Mercari TSV")
    report = ImportReport(path=str(file))
    catalog = CatalogCache()

    def rows():
        for line, values, _complete in delimited_rows(
            file, delimiter="\t", expected=COLUMNS, kind="Mercari TSV", progress=progress
        ):
            if isinstance(values, RowError):
                yield line, values
                continue
            try:
                yield line, _listing_fields(values, catalog=catalog)
            except RowError as error:
                yield line, error

    def write(records: list[dict[str, Any]]) -> BatchResult:
        seller_id = system_user(SELLER_USERNAME).pk  # made with the first batch: a rejected file creates nothing
        new: dict[str, dict[str, Any]] = {}
        for fields in records:
            new.setdefault(fields["external_id"], {k: v for k, v in fields.items() if k != "external_id"}
                           | {"seller_id": seller_id})
        _, created = listings_get_or_create(source=ListingSource.MERCARI, new=new)
        result = BatchResult(loaded=created, duplicates=len(records) - created)
        result.created["listings"] = created
        return result

    rows_import(report=report, rows=rows(), write=write, limit=limit, batch_size=batch_size)
    if report.rows_read == 0:
        raise ApplicationError(FILE_NO_ROWS.format(path=file))
    return report


def _listing_fields(values: dict[str, str], *, catalog: CatalogCache) -> dict[str, Any]:
    external_id = text_id(values["train_id"], column="train_id")
    title = text_clean(values["name"], max_length=200)
    if not title:
        raise RowError("name is empty")
    condition_text = values["item_condition_id"].strip()
    if not condition_text.isdigit() or int(condition_text) not in Condition.values:
        raise RowError(f"item_condition_id {condition_text!r} is not one of 1..6")
    shipper = SHIPPER_BY_CODE.get(values["shipping"].strip())
    if shipper is None:
        raise RowError(f"shipping {values['shipping']!r} is not 1 (seller pays) or 0 (buyer pays)")
    price = price_parse(values["price"])
    category = text_clean(values["category_name"])
    names = [text_clean(name) for name in category.split("/", 2)] if category else []
    if any(not name for name in names):
        raise RowError(f"category_name {category!r} has an empty level")
    path = catalog.path(names)
    brand = catalog.brand(text_clean(values["brand_name"]))
    return {
        "external_id": external_id,
        "title": title,
        "description": description_clean(values["item_description"]),
        "price": price,
        "condition": int(condition_text),
        "shipper": shipper,
        "created_at": timezone.now(),
        **catalog_fields(path, brand),
    }
