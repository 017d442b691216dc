"""MerRec (Mercari US, 2023) event shards: a directory of parquet files, one event per row.

Each row is a user action on an item plus a snapshot of the item. An import creates the user ("merrec-<user_id>"),
the listing (source="merrec", external_id=item_id, described by the first row that mentions it; later snapshots
do not update it), the category path with MerRec's c0..c2 ids, the brand with its MerRec id, and the event.
Shards are read in record batches with pyarrow, so memory does not grow with the shard size. A bad row's
"line" is its 1-based row number within its shard, and its reason names the shard.

`shipper_id` follows Mercari's shipping-payer ids: 1 = the buyer pays, 2 = the seller pays (see SHIPPER_BY_ID;
a missing value keeps the Listing default, seller). MerRec has no seller column: listings belong to the system
user "merrec-import". `buy_comp` events are history: they do not mark listings as sold (see the report).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from marketplace.errors import ApplicationError
from marketplace.importers.base import (
    BATCH_SIZE,
    CatalogCache,
    EventRow,
    ImportReport,
    RowError,
    catalog_fields,
    event_rows_write,
    price_parse,
    rows_import,
    text_clean,
    text_id,
    timestamp_parse,
)
from marketplace.models import MERREC_ACTIONS, Condition, ListingSource, Shipper

COLUMNS = (
    "user_id", "sequence_id", "session_id", "item_id", "event_id", "stime", "sequence_length", "price", "product_id",
    "name", "brand_id", "brand_name", "c0_id", "c1_id", "c2_id", "c0_name", "c1_name", "c2_name",
    "item_condition_id", "size_id", "shipper_id", "color",
)
# Without these a row cannot become a user, a listing and an event; the others may be absent from a shard.
REQUIRED_COLUMNS = ("user_id", "session_id", "item_id", "event_id", "stime", "price", "name")
SHIPPER_BY_ID = {1: Shipper.BUYER, 2: Shipper.SELLER}
SELLER_USERNAME = "merrec-import"
USERNAME = "merrec-{}"
SESSION = "merrec:{}"

DIRECTORY_MISSING = "{path} does not exist."
NOT_A_DIRECTORY = "{path} is not a directory; import_merrec takes the directory that holds the parquet shards."
NO_SHARDS = "{path} holds no .parquet files (searched recursively)."
NO_ROWS = "{path}: its {count} parquet shard(s) hold no rows."
SHARD_UNREADABLE = "{path} is not a readable parquet file: {error}"
SHARD_COLUMNS_MISSING = "{path} is not a MerRec shard: it lacks the column(s) {columns}."


def merrec_shards(directory: str | Path) -> list[Path]:
    """The directory's parquet files (recursively, in path order), each checked to open and to be MerRec's."""
    root = Path(directory)
    if not root.exists():
        raise ApplicationError(DIRECTORY_MISSING.format(path=root))
    if not root.is_dir():
        raise ApplicationError(NOT_A_DIRECTORY.format(path=root))
    shards = sorted(p for p in root.rglob("*.parquet") if p.is_file())
    if not shards:
        raise ApplicationError(NO_SHARDS.format(path=root))
    for shard in shards:
        names = set(_schema(shard).names)
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise ApplicationError(SHARD_COLUMNS_MISSING.format(path=shard, columns=", ".join(missing)))
    return shards


def _schema(shard: Path) -> pa.Schema:
    try:
        return pq.read_schema(shard)
    except (pa.ArrowException, OSError) as error:
        raise ApplicationError(SHARD_UNREADABLE.format(path=shard, error=error)) from None


def merrec_import(
    *, directory: str | Path, limit: int | None = None, batch_size: int = BATCH_SIZE, progress: bool = False
) -> ImportReport:
    """Import every shard under `directory` (users, listings, categories, brands, events)."""
    root = Path(directory)
    shards = merrec_shards(root)
    report = ImportReport(path=str(root))
    catalog = CatalogCache()
    total = sum(pq.ParquetFile(shard).metadata.num_rows for shard in shards)
    if total == 0:
        raise ApplicationError(NO_ROWS.format(path=root, count=len(shards)))

    def rows() -> Iterator[tuple[int, EventRow | RowError]]:
        with tqdm(total=total, unit="rows", desc=root.name, disable=not progress, leave=False) as bar:
            for shard in shards:
                name = shard.relative_to(root).as_posix()
                for line, record in _shard_records(shard, batch_size):
                    bar.update(1)
                    try:
                        yield line, _event_row(record, catalog=catalog)
                    except RowError as error:
                        yield line, RowError(f"{name}: {error}")

    rows_import(
        report=report, rows=rows(), limit=limit, batch_size=batch_size,
        write=lambda batch: event_rows_write(batch, source=ListingSource.MERREC, seller_username=SELLER_USERNAME),
    )
    return report


def _shard_records(shard: Path, batch_size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based row number, {column: value}) for one shard, one record batch in memory at a time."""
    parquet = pq.ParquetFile(shard)
    columns = [c for c in COLUMNS if c in parquet.schema_arrow.names]
    row_no = 0
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        for record in batch.to_pylist():
            row_no += 1
            yield row_no, record


def _event_row(record: dict[str, Any], *, catalog: CatalogCache) -> EventRow:
    action = text_clean(record.get("event_id"))
    if action not in MERREC_ACTIONS:
        raise RowError(f"unknown event_id {record.get('event_id')!r}")
    item_id = text_id(record.get("item_id"), column="item_id")
    user_id = text_id(record.get("user_id"), column="user_id", max_length=100)
    session_id = text_id(record.get("session_id"), column="session_id", max_length=64 - len(SESSION.format("")))
    created_at = timestamp_parse(record.get("stime"), column="stime")
    price = price_parse(record.get("price"))
    title = text_clean(record.get("name"), max_length=200)
    if not title:
        raise RowError("name is missing")
    condition = _choice(record.get("item_condition_id"), set(Condition.values), "item_condition_id", Condition.GOOD)
    shipper_id = _choice(record.get("shipper_id"), set(SHIPPER_BY_ID), "shipper_id", None)
    shipper = SHIPPER_BY_ID[shipper_id] if shipper_id is not None else Shipper.SELLER

    names: list[str] = []
    merrec_ids: list[int | None] = []
    for level in range(3):  # the path stops at the first missing level
        name = text_clean(record.get(f"c{level}_name"))
        if not name:
            break
        names.append(name)
        merrec_ids.append(_optional_int(record.get(f"c{level}_id")))
    path = catalog.path(names, merrec_ids)
    brand = catalog.brand(text_clean(record.get("brand_name")), _optional_int(record.get("brand_id")))
    size = record.get("size_id")
    listing = {
        "title": title,
        "price": price,
        "condition": condition,
        "shipper": shipper,
        "size": "" if size is None else text_clean(text_id(size, column="size_id", max_length=200), max_length=40),
        "color": text_clean(record.get("color"), max_length=40),
        "created_at": created_at,  # first seen: the item existed when this event happened
        **catalog_fields(path, brand),
    }
    return EventRow(
        username=USERNAME.format(user_id),
        session_id=SESSION.format(session_id),
        external_id=item_id,
        listing=listing,
        action=action,
        created_at=created_at,
    )


def _optional_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _choice(value: object, allowed: set[int], column: str, default: int | None) -> Any:
    """An id column whose values are a small fixed set; a missing value takes `default`."""
    if value is None or value == "":
        return default
    number = _optional_int(value)
    if number is None or number not in allowed or (isinstance(value, float) and not value.is_integer()):
        raise RowError(f"{column} {value!r} is not one of {', '.join(str(v) for v in sorted(allowed))}")
    return number
