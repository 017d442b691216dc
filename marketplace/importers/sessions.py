"""Public session logs: the session-rec YooChoose TSV and the REES46 event CSV.

YooChoose (`SessionId ItemId Time`, unix seconds): clicks only, so every row is an `item_view`; a listing per
item ("Item <id>", price 0: the clicks file has no prices), a user per session (the data has no user ids).

REES46 (`event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session`, CRLF):
view / cart / purchase become item_view / item_add_to_cart_tap / buy_comp; a listing per product with the
category path from `category_code` ("a.b.c", at most three levels), brand and price of the first row that
mentions it; a user per `user_id`. The published head of the log is cut off mid-row, so a last line without a
line end is reported as a bad row even when it happens to parse.

Purchases are history and do not go through `listing_buy`: REES46 is a B2C store where one product id sells
many times, so marking a listing sold on its first purchase would hide a product that was still on sale.
Listings keep their status; the buy_comp events are what the recommenders learn from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from marketplace.errors import ApplicationError
from marketplace.importers.base import (
    BATCH_SIZE,
    FILE_NO_ROWS,
    CatalogCache,
    EventRow,
    ImportReport,
    RowError,
    catalog_fields,
    delimited_rows,
    event_rows_write,
    file_check,
    header_check,
    price_parse,
    rows_import,
    text_clean,
    text_id,
    timestamp_parse,
)
from marketplace.models import EventAction, ListingSource

FORMATS = ("yoochoose", "rees46")
FORMAT_UNKNOWN = "Unknown session format {format!r}; expected one of: " + ", ".join(FORMATS) + "."

YOOCHOOSE_COLUMNS = ("SessionId", "ItemId", "Time")
REES46_COLUMNS = (
    "event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id",
    "user_session",
)
REES46_ACTIONS = {
    "view": EventAction.ITEM_VIEW, "cart": EventAction.ITEM_ADD_TO_CART_TAP, "purchase": EventAction.BUY_COMP,
}
LINE_CUT_OFF = "the line is cut off (the file ends without a line end)"


def sessions_import(
    *, path: str | Path, format: str, limit: int | None = None, batch_size: int = BATCH_SIZE,
    progress: bool = False,
) -> ImportReport:
    """Import a session file as users, listings (source="sessions", external_id "<format>:<item>") and events."""
    if format not in FORMATS:
        raise ApplicationError(FORMAT_UNKNOWN.format(format=format))
    kind = "YooChoose (session-rec) TSV" if format == "yoochoose" else "REES46 CSV"
    file = file_check(path, kind=kind)
    delimiter, columns = ("\t", YOOCHOOSE_COLUMNS) if format == "yoochoose" else (",", REES46_COLUMNS)
    header_check(file, delimiter=delimiter, expected=columns, kind=kind)
    report = ImportReport(path=str(file))
    catalog = CatalogCache()

    def rows() -> Iterator[tuple[int, EventRow | RowError]]:
        for line, values, complete in delimited_rows(
            file, delimiter=delimiter, expected=columns, kind=kind, progress=progress
        ):
            if format == "rees46" and not complete:
                yield line, RowError(LINE_CUT_OFF)
            elif isinstance(values, RowError):
                yield line, values
            else:
                try:
                    if format == "yoochoose":
                        yield line, _yoochoose_row(values)
                    else:
                        yield line, _rees46_row(values, catalog=catalog)
                except RowError as error:
                    yield line, error

    rows_import(
        report=report, rows=rows(), limit=limit, batch_size=batch_size,
        write=lambda batch: event_rows_write(batch, source=ListingSource.SESSIONS,
                                            seller_username=f"{format}-import"),
    )
    if report.rows_read == 0:
        raise ApplicationError(FILE_NO_ROWS.format(path=file))
    return report


def _yoochoose_row(values: dict[str, str]) -> EventRow:
    session = text_id(values["SessionId"], column="SessionId", max_length=40)
    item = text_id(values["ItemId"], column="ItemId", max_length=40)
    clicked_at = timestamp_parse(values["Time"], column="Time")
    return EventRow(
        username=f"yoochoose-{session}",
        session_id=f"yoochoose:{session}",
        external_id=f"yoochoose:{item}",
        listing={"title": f"Item {item}", "price": 0, "created_at": clicked_at},
        action=EventAction.ITEM_VIEW,
        created_at=clicked_at,
    )


def _rees46_row(values: dict[str, str], *, catalog: CatalogCache) -> EventRow:
    action = REES46_ACTIONS.get(values["event_type"].strip())
    if action is None:
        raise RowError(f"unknown event_type {values['event_type']!r}")
    happened_at = timestamp_parse(values["event_time"], column="event_time")
    product = text_id(values["product_id"], column="product_id", max_length=40)
    user = text_id(values["user_id"], column="user_id", max_length=100)
    session = text_id(values["user_session"], column="user_session", max_length=56)
    price = price_parse(values["price"])
    code = text_clean(values["category_code"])
    names = [text_clean(part).replace("_", " ") for part in code.split(".", 2)] if code else []
    if any(not name for name in names):
        raise RowError(f"category_code {code!r} has an empty level")
    path = catalog.path(names)
    brand = catalog.brand(text_clean(values["brand"]))
    leaf = names[-1] if names else ""
    title = " ".join(part for part in (brand.name if brand else "", leaf) if part) or f"Item {product}"
    return EventRow(
        username=f"rees46-{user}",
        session_id=f"rees46:{session}",
        external_id=f"rees46:{product}",
        listing={
            "title": title[:1].upper() + title[1:200],
            "price": price,
            "created_at": happened_at,
            **catalog_fields(path, brand),
        },
        action=action,
        created_at=happened_at,
    )
