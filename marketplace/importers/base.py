"""What every importer shares: the report, file and header checks, line reading, batching, idempotent writes.

The pipeline of an import is: read one row (a text line or a parquet record) -> parse it into a plain record
(a bad row raises `RowError` and is reported with its line number) -> resolve its catalogue (categories and
brands, created outside the batch transaction: a node made for a row that is later rejected is harmless) ->
collect `batch_size` records -> write them in ONE transaction. If Postgres rejects a batch, it is rolled back
and retried row by row, each row in its own savepoint, so one row the database refuses costs only that row and
a row's listing and its events are never written apart.

Idempotency: listings are found by the unique (source, external_id) constraint (`ON CONFLICT DO NOTHING`);
events carry no id from the source, so an event is identified by its natural key (session, user, listing,
action, timestamp) and a row whose key is already stored is counted as a duplicate, not written again. The
lookup is one query per batch on the indexed `session_id`, and needs no state kept between runs.
"""

from __future__ import annotations

import csv
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, transaction
from tqdm import tqdm

from marketplace.errors import ApplicationError
from marketplace.models import Brand, Category, Event, Listing
from marketplace.services.catalog import brand_get_or_create, category_path_get_or_create, product_id_for

BATCH_SIZE = 1000
MAX_BAD_ROWS = 20  # the report keeps (and the commands print) the first N bad rows
MAX_PRICE = Decimal("100000000")  # Listing.price is DECIMAL(10, 2)

FILE_MISSING = "{path} does not exist."
FILE_IS_DIRECTORY = "{path} is a directory; expected a {kind} file."
FILE_EMPTY = "{path} is empty."
FILE_NO_ROWS = "{path} has a header but no data rows."
HEADER_INVALID = "{path} does not look like a {kind} file: its header must name {expected}; found {found}."


class RowError(ValueError):
    """A row that cannot be imported; the message is the reason shown in the report."""


@dataclass
class BatchResult:
    loaded: int = 0  # rows written
    duplicates: int = 0  # rows already stored (an earlier import, or repeated in this file)
    created: Counter[str] = field(default_factory=Counter)  # new rows per table: listings, users, events


@dataclass
class ImportReport:
    """What an import did. `rows_read` = `loaded` + `duplicates` + `skipped`."""

    path: str
    rows_read: int = 0  # data rows seen, bad ones included (a header or a blank line is not a row)
    loaded: int = 0  # rows this import wrote
    duplicates: int = 0  # rows already in the database, so not written again (this is what makes re-runs safe)
    skipped: int = 0  # bad rows
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # the first `max_bad_rows` (line, reason)
    created: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    max_bad_rows: int = MAX_BAD_ROWS

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.bad_rows) < self.max_bad_rows:
            self.bad_rows.append((line, reason))

    def add(self, result: BatchResult) -> None:
        self.loaded += result.loaded
        self.duplicates += result.duplicates
        self.created.update({name: count for name, count in result.created.items() if count})

    def summary(self) -> str:
        made = ", ".join(f"{count} {name}" for name, count in sorted(self.created.items()) if count) or "nothing"
        lines = [
            f"Imported {self.path} in {self.seconds:.1f} s",
            f"  rows read:          {self.rows_read}",
            f"  loaded:             {self.loaded}",
            f"  already imported:   {self.duplicates}",
            f"  skipped (bad rows): {self.skipped}",
            f"  created:            {made}",
        ]
        if self.bad_rows:
            lines.append(f"First {len(self.bad_rows)} bad rows (line: reason):")
            lines += [f"  line {line}: {reason}" for line, reason in self.bad_rows]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- reading files


def file_check(path: str | Path, *, kind: str) -> Path:
    """The path as a non-empty regular file, or an ApplicationError that says what is wrong with it."""
    file = Path(path)
    if not file.exists():
        raise ApplicationError(FILE_MISSING.format(path=file))
    if file.is_dir():
        raise ApplicationError(FILE_IS_DIRECTORY.format(path=file, kind=kind))
    if file.stat().st_size == 0:
        raise ApplicationError(FILE_EMPTY.format(path=file))
    return file


def text_lines(file: Path, *, progress: bool, desc: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, text without its line end, whether it had one), LF or CRLF, with a progress bar in bytes
    that appears once the first line (the header) has been accepted.

    Lines are split on "\\n" only, so a stray "\\r" inside a field never splits a row. Undecodable bytes become
    U+FFFD instead of stopping the import.
    """
    with open(file, encoding="utf-8", errors="replace", newline="\n") as handle:
        first = handle.readline()
        yield 1, first.rstrip("\r\n"), first.endswith("\n")
        with tqdm(total=file.stat().st_size, initial=len(first), unit="B", unit_scale=True, desc=desc,
                  disable=not progress, file=sys.stderr, leave=False) as bar:
            for line_no, raw in enumerate(handle, start=2):
                bar.update(len(raw))
                yield line_no, raw.rstrip("\r\n"), raw.endswith("\n")


def fields_split(text: str, delimiter: str) -> list[str]:
    """One line's fields, CSV quoting understood (a quoted field may hold the delimiter and doubled quotes).

    Each line is parsed alone, so an unbalanced quote damages only its own row instead of swallowing the rows
    after it.
    """
    return next(csv.reader([text], delimiter=delimiter), [])


def header_columns(text: str, *, delimiter: str, expected: Sequence[str], path: Path, kind: str) -> dict[str, int]:
    """Column name -> index for the `expected` columns (any order, extra columns ignored)."""
    names = [name.strip().lstrip("\ufeff") for name in fields_split(text, delimiter)]
    if any(name not in names for name in expected):
        found = ", ".join(repr(n) for n in names[:12]) or "an empty line"
        raise ApplicationError(HEADER_INVALID.format(path=path, kind=kind, expected=", ".join(expected), found=found))
    return {name: names.index(name) for name in expected}


def header_check(file: Path, *, delimiter: str, expected: Sequence[str], kind: str) -> None:
    """Fail fast (before anything is written) when the file's header is not `kind`'s."""
    with open(file, encoding="utf-8", errors="replace", newline="\n") as handle:
        first = handle.readline().rstrip("\r\n")
    header_columns(first, delimiter=delimiter, expected=expected, path=file, kind=kind)


def delimited_rows(
    file: Path, *, delimiter: str, expected: Sequence[str], kind: str, progress: bool
) -> Iterator[tuple[int, dict[str, str] | RowError, bool]]:
    """(line number, {column: text} or the RowError that makes it bad, whether the line had a line end).

    Raises ApplicationError when the header is not `kind`'s. Blank lines are not rows.
    """
    lines = text_lines(file, progress=progress, desc=file.name)
    columns: dict[str, int] | None = None
    width = 0
    for line_no, text, complete in lines:
        if columns is None:
            columns = header_columns(text, delimiter=delimiter, expected=expected, path=file, kind=kind)
            width = len(fields_split(text, delimiter))
            continue
        if not text.strip():
            continue
        values = fields_split(text, delimiter)
        if len(values) != width:
            yield line_no, RowError(f"expected {width} fields, found {len(values)}"), complete
            continue
        yield line_no, {name: values[index] for name, index in columns.items()}, complete


# ------------------------------------------------------------------------------------------------ parsing


def price_parse(value: object, *, column: str = "price") -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{column} is missing")
    try:
        price = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RowError(f"{column} {value!r} is not a number") from None
    if not price.is_finite():
        raise RowError(f"{column} {value!r} is not a number")
    if price < 0:
        raise RowError(f"{column} {value} is negative")
    if price >= MAX_PRICE:
        raise RowError(f"{column} {value} is too large")
    return price


def timestamp_parse(value: object, *, column: str) -> datetime:
    """An aware UTC datetime from a datetime, unix seconds / ms / us / ns, or ISO text ("... UTC" allowed)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _unix_time(float(value), value, column)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = _unix_time(float(text), value, column)
        except ValueError:
            if text.endswith(" UTC"):
                text = text[:-4] + "+00:00"
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise RowError(f"{column} {value!r} is not a timestamp") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    else:
        raise RowError(f"{column} is missing" if value in (None, "") else f"{column} {value!r} is not a timestamp")
    if not 1990 <= moment.year <= 2100:
        raise RowError(f"{column} {value!r} is out of range")
    return moment.astimezone(UTC)


def _unix_time(number: float, original: object, column: str) -> datetime:
    if not math.isfinite(number):
        raise RowError(f"{column} {original!r} is not a timestamp")
    for scale in (1e9, 1e6, 1e3):  # nanoseconds, microseconds, milliseconds since 1970
        if abs(number) >= scale * 1e8:  # 1e8 s is 1973; 1e11 s would be the year 5138
            number /= scale
            break
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RowError(f"{column} {original!r} is out of range") from None


def text_clean(value: object, *, max_length: int | None = None) -> str:
    """Free text as stored: NUL bytes (which Postgres refuses) dropped, outer whitespace stripped."""
    text = "" if value is None else str(value).replace("\x00", "").strip()
    return text[:max_length] if max_length is not None else text


def text_id(value: object, *, column: str, max_length: int = 64) -> str:
    """An id column as text: 123, 123.0 and "123" are all "123"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if not text:
        raise RowError(f"{column} is missing")
    if len(text) > max_length:
        raise RowError(f"{column} is longer than {max_length} characters")
    return text


# ---------------------------------------------------------------------------------------------- catalogue


class CatalogCache:
    """Categories and brands for an import, loaded once (one query each) and completed through the catalogue
    services as new names appear. Memory grows with the catalogue (thousands of nodes), not with the input."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int | None, str], Category] | None = None  # (parent id, name) -> node
        self._brands: dict[str, Brand] | None = None  # casefolded name -> brand
        self._brands_by_merrec_id: dict[int, Brand] = {}

    def path(self, names: Sequence[str], merrec_ids: Sequence[int | None] | None = None) -> list[Category | None]:
        """[c0, c1, c2] for a path of one to three names (missing levels are None); [None] * 3 for no names."""
        if not names:
            return [None, None, None]
        if self._nodes is None:
            self._nodes = {(node.parent_id, node.name): node for node in Category.objects.all()}
        found: list[Category] = []
        parent_id: int | None = None
        for name in names:
            node = self._nodes.get((parent_id, _catalog_name(name)))
            if node is None:
                break
            found.append(node)
            parent_id = node.pk
        if len(found) < len(names):
            try:
                with transaction.atomic():
                    found = category_path_get_or_create(names=names, merrec_ids=merrec_ids)
            except ApplicationError as error:
                raise RowError(f"category {'/'.join(names)!r}: {error.message}") from None
            except DatabaseError as error:
                raise RowError(f"category {'/'.join(names)!r} rejected by the database: {_first_line(error)}") from None
            for node in found:
                self._nodes[(node.parent_id, node.name)] = node
        return (found + [None, None, None])[:3]

    def brand(self, name: str, merrec_id: int | None = None) -> Brand | None:
        """The brand with this MerRec id, else the one named `name` case-insensitively ("samsung" is "Samsung"),
        created when missing."""
        clean = _catalog_name(name)
        if not clean:
            return None
        if self._brands is None:
            self._brands = {}
            for brand in Brand.objects.order_by("-pk"):  # the oldest spelling of a name wins
                self._brands[brand.name.casefold()] = brand
                if brand.merrec_id is not None:
                    self._brands_by_merrec_id[brand.merrec_id] = brand
        brand = self._brands_by_merrec_id.get(merrec_id) if merrec_id is not None else None
        brand = brand or self._brands.get(clean.casefold())
        if brand is None:
            try:
                with transaction.atomic():
                    brand = brand_get_or_create(name=clean, merrec_id=merrec_id)
            except DatabaseError as error:
                raise RowError(f"brand {clean!r} rejected by the database: {_first_line(error)}") from None
            if brand is None:
                return None
            self._brands[clean.casefold()] = brand
            if brand.merrec_id is not None:
                self._brands_by_merrec_id[brand.merrec_id] = brand
        return brand


def _catalog_name(name: str) -> str:
    """A category or brand name as the catalogue services store it."""
    return " ".join(str(name).split())[:120]


def catalog_fields(path: list[Category | None], brand: Brand | None) -> dict[str, Any]:
    """Listing columns for a category path and brand; product_id uses the most specific known category."""
    leaf = next((node for node in reversed(path) if node is not None), None)
    return {
        "c0": path[0],
        "c1": path[1],
        "c2": path[2],
        "brand": brand,
        "product_id": product_id_for(brand=brand, leaf=leaf),
    }


# ------------------------------------------------------------------------------------------------ writing


def system_user(username: str) -> Any:
    """The seller of imported listings (a data set has no seller column): an account nobody can log into."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username, defaults={"password": make_password(None)})
    return user


def users_get_or_create(usernames: Iterable[str]) -> tuple[dict[str, int], int]:
    """{username: pk} for every name, creating the missing accounts (no usable password); and how many."""
    User = get_user_model()
    names = set(usernames)
    found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    missing = sorted(names - found.keys())
    if missing:
        User.objects.bulk_create([User(username=n, password=make_password(None)) for n in missing],
                                 ignore_conflicts=True)
        found.update(User.objects.filter(username__in=missing).values_list("username", "pk"))
    return found, len(missing)


def listings_get_or_create(*, source: str, new: dict[str, dict[str, Any]]) -> tuple[dict[str, int], int]:
    """{external_id: pk} for every key of `new` ({external_id: Listing fields}), inserting the missing ones.

    The unique (source, external_id) constraint decides: a listing that exists (or is inserted concurrently)
    is kept as it is, never updated.
    """
    found = dict(
        Listing.objects.filter(source=source, external_id__in=list(new)).values_list("external_id", "pk")
    )
    missing = [key for key in new if key not in found]
    if missing:
        Listing.objects.bulk_create(
            [Listing(source=source, external_id=key, **new[key]) for key in missing], ignore_conflicts=True
        )
        found.update(
            Listing.objects.filter(source=source, external_id__in=missing).values_list("external_id", "pk")
        )
    return found, len(missing)


def events_insert_new(events: list[Event]) -> tuple[int, int]:
    """Insert the events whose natural key is not stored yet; returns (inserted, duplicates)."""
    if not events:
        return 0, 0
    stored = set(
        Event.objects.filter(
            session_id__in={e.session_id for e in events}, listing_id__in={e.listing_id for e in events}
        ).values_list("session_id", "user_id", "listing_id", "action", "created_at")
    )
    fresh: list[Event] = []
    for event in events:
        key = (event.session_id, event.user_id, event.listing_id, event.action, event.created_at)
        if key not in stored:
            stored.add(key)
            fresh.append(event)
    # Historical events: no interest-unit counter tasks are enqueued (build_interest_units recomputes them).
    Event.objects.bulk_create(fresh)
    return len(fresh), len(events) - len(fresh)


@dataclass
class EventRow:
    """One imported user action and the listing it is about (created from `listing` when new)."""

    username: str
    session_id: str
    external_id: str
    listing: dict[str, Any]  # Listing fields (title, price, category, ...), used only for a new listing
    action: str
    created_at: datetime


def event_rows_write(rows: list[EventRow], *, source: str, seller_username: str) -> BatchResult:
    """Users, listings (sold by the system user `seller_username`) and events of a batch; call it inside a
    transaction. `loaded` counts events."""
    seller_id = system_user(seller_username).pk
    users, users_created = users_get_or_create(row.username for row in rows)
    new: dict[str, dict[str, Any]] = {}
    for row in rows:
        new.setdefault(row.external_id, row.listing | {"seller_id": seller_id})  # an item's first row describes it
    listings, listings_created = listings_get_or_create(source=source, new=new)
    events = [
        Event(
            user_id=users[row.username],
            session_id=row.session_id[:64],
            listing_id=listings[row.external_id],
            action=row.action,
            created_at=row.created_at,
        )
        for row in rows
    ]
    inserted, duplicates = events_insert_new(events)
    created = Counter(users=users_created, listings=listings_created, events=inserted)
    return BatchResult(loaded=inserted, duplicates=duplicates, created=created)


def rows_import(
    *,
    report: ImportReport,
    rows: Iterable[tuple[int, Any]],
    write: Callable[[list[Any]], BatchResult],
    limit: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Drive an import: `rows` yields (line, record) or (line, RowError); `write` stores a list of records.

    Stops after `limit` rows (bad ones count). Fills in and returns `report`.
    """
    started = time.monotonic()
    batch: list[tuple[int, Any]] = []
    for line, record in rows:
        report.rows_read += 1
        if isinstance(record, RowError):
            report.skip(line, str(record))
        else:
            batch.append((line, record))
            if len(batch) >= batch_size:
                _batch_write(batch, write, report)
                batch = []
        if limit is not None and report.rows_read >= limit:
            break
    if batch:
        _batch_write(batch, write, report)
    close = getattr(rows, "close", None)  # a generator stopped by `limit` closes its file and progress bar now
    if close is not None:
        close()
    report.seconds = time.monotonic() - started
    return report


def _batch_write(batch: list[tuple[int, Any]], write: Callable[[list[Any]], BatchResult],
                 report: ImportReport) -> None:
    try:
        with transaction.atomic():
            result = write([record for _, record in batch])
    except DatabaseError as error:
        if len(batch) == 1:
            report.skip(batch[0][0], f"rejected by the database: {_first_line(error)}")
            return
        for row in batch:  # find the row(s) Postgres refuses; the others still go in
            _batch_write([row], write, report)
        return
    report.add(result)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
