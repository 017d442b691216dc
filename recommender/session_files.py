"""Load public session logs into a `Dataset`: the session-rec YooChoose TSV and the REES46 event CSV.

Files are streamed line by line; a bad row is counted, its line number and reason kept in the `LoadReport`
(the first `max_examples`), and skipped, so a damaged file never stops an import.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable

REES46_ACTIONS: dict[str, str] = {"view": "item_view", "cart": "item_add_to_cart_tap", "purchase": "buy_comp"}
REES46_COLUMNS = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)
YOOCHOOSE_COLUMNS = ("SessionId", "ItemId", "Time")


@dataclass
class LoadReport:
    """What a loader read: counts, and the bad rows it skipped as (line number, reason)."""

    path: str
    rows_read: int = 0  # data rows seen, bad ones included (the header is not a row)
    rows_loaded: int = 0
    bad_rows: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)
    max_examples: int = 100

    def skip(self, line_no: int, reason: str) -> None:
        self.bad_rows += 1
        if len(self.examples) < self.max_examples:
            self.examples.append((line_no, reason))


def _lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, line without its end, whether it had a line end), CRLF or LF alike."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for line_no, raw in enumerate(handle, start=1):
            complete = raw.endswith("\n")
            yield line_no, raw.rstrip("\r\n"), complete


def load_yoochoose(path: str | Path, max_examples: int = 100) -> tuple[Dataset, LoadReport]:
    """A session-rec TSV (`SessionId ItemId Time`, header row): each session is its own user; every event is
    an item_view."""
    path = Path(path)
    report = LoadReport(path=str(path), max_examples=max_examples)
    sessions, items, times = array("q"), array("q"), array("d")
    columns: dict[str, int] | None = None
    for line_no, line, _complete in _lines(path):
        if not line.strip():
            continue
        fields = line.split("\t")
        if columns is None:
            names = [f.strip() for f in fields]
            if all(c in names for c in YOOCHOOSE_COLUMNS):
                columns = {c: names.index(c) for c in YOOCHOOSE_COLUMNS}
                continue
            columns = {c: i for i, c in enumerate(YOOCHOOSE_COLUMNS)}  # no header: the standard order
        report.rows_read += 1
        try:
            session = int(fields[columns["SessionId"]])
            item = int(fields[columns["ItemId"]])
            time = float(fields[columns["Time"]])
        except (IndexError, ValueError) as error:
            report.skip(line_no, f"unreadable row ({error.__class__.__name__}: {error})")
            continue
        if not np.isfinite(time):
            report.skip(line_no, "time is not a finite number")
            continue
        sessions.append(session)
        items.append(item)
        times.append(time)
        report.rows_loaded += 1
    session_column = np.frombuffer(sessions, dtype=np.int64).copy()
    item_column = np.frombuffer(items, dtype=np.int64).copy()
    events = EventLog(
        user=session_column.copy(),
        session=session_column,
        item=item_column,
        action=np.full(len(item_column), ACTION_CODE["item_view"], dtype=np.int8),
        timestamp=np.frombuffer(times, dtype=np.float64).copy(),
    ).sorted()
    dataset = Dataset(events=events, items=ItemTable.ids_only(np.unique(item_column)), name=path.stem)
    return dataset, report


class _Vocabulary:
    """Strings -> ids from 1 (0 stays 'missing')."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id_of(self, value: str) -> int:
        if not value:
            return 0
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.ids) + 1
        return found


def _parse_utc(text: str) -> float:
    """'2019-10-01 00:00:00 UTC' -> unix seconds."""
    text = text.strip()
    if text.endswith(" UTC"):
        text = text[:-4]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def load_rees46(path: str | Path, max_examples: int = 100) -> tuple[Dataset, LoadReport]:
    """A REES46 event CSV: view / cart / purchase become item_view / item_add_to_cart_tap / buy_comp; the
    `category_code` path gives c0 / c1 / c2, brand and price come from the item's latest row. A last line
    without a line end (a cut-off file) is skipped as bad."""
    path = Path(path)
    report = LoadReport(path=str(path), max_examples=max_examples)
    users, sessions, items, actions, times = array("q"), array("q"), array("q"), array("b"), array("d")
    session_ids = _Vocabulary()
    categories = [_Vocabulary(), _Vocabulary(), _Vocabulary()]
    brands = _Vocabulary()
    products = _Vocabulary()
    # item id -> (c0, c1, c2, brand, price, first seen, title), the latest row's attributes
    item_rows: dict[int, tuple[int, int, int, int, float, float, str]] = {}
    columns: dict[str, int] | None = None
    last_time_text, last_time = "", 0.0
    for line_no, line, complete in _lines(path):
        if not line.strip():
            continue
        fields = next(csv.reader([line])) if '"' in line else line.split(",")
        if columns is None:
            names = [f.strip() for f in fields]
            missing = [c for c in REES46_COLUMNS if c not in names]
            if missing:
                raise ValueError(f"{path}: not a REES46 file, header lacks {', '.join(missing)}")
            columns = {c: names.index(c) for c in REES46_COLUMNS}
            continue
        report.rows_read += 1
        if not complete:
            report.skip(line_no, "last line has no line end (file cut off)")
            continue
        if len(fields) != len(names):
            report.skip(line_no, f"expected {len(names)} fields, found {len(fields)}")
            continue
        event_type = fields[columns["event_type"]]
        action = REES46_ACTIONS.get(event_type)
        if action is None:
            report.skip(line_no, f"unknown event_type {event_type!r}")
            continue
        try:
            time_text = fields[columns["event_time"]]
            if time_text != last_time_text:  # rows come in time order: most share the previous row's second
                last_time, last_time_text = _parse_utc(time_text), time_text
            item = int(fields[columns["product_id"]])
            user = int(fields[columns["user_id"]])
            price_text = fields[columns["price"]]
            price = float(price_text) if price_text else 0.0
        except ValueError as error:
            report.skip(line_no, f"unreadable value ({error})")
            continue
        session_text = fields[columns["user_session"]]
        if not session_text:
            report.skip(line_no, "empty user_session")
            continue
        code = fields[columns["category_code"]]
        levels = code.split(".", 2) if code else []
        path_ids = [categories[d].id_of(".".join(levels[: d + 1])) if d < len(levels) else 0 for d in range(3)]
        brand_name = fields[columns["brand"]]
        brand = brands.id_of(brand_name)
        first_seen = item_rows[item][5] if item in item_rows else last_time
        title = " ".join(part for part in (brand_name, levels[-1] if levels else "") if part) or f"product {item}"
        item_rows[item] = (path_ids[0], path_ids[1], path_ids[2], brand, price, first_seen, title)
        users.append(user)
        sessions.append(session_ids.id_of(f"{user}/{session_text}"))
        items.append(item)
        actions.append(ACTION_CODE[action])
        times.append(last_time)
        report.rows_loaded += 1

    item_ids = np.array(sorted(item_rows), dtype=np.int64)
    rows = [item_rows[int(i)] for i in item_ids]
    category = np.array([r[:3] for r in rows], dtype=np.int64).reshape(-1, 3)
    brand_column = np.array([r[3] for r in rows], dtype=np.int64)
    product = np.array([products.id_of(f"{r[3]}/{r[2]}") if r[3] and r[2] else 0 for r in rows], dtype=np.int64)
    items_table = ItemTable(
        item_id=item_ids,
        category=category,
        brand=brand_column,
        product=product,
        condition=np.zeros(len(item_ids), dtype=np.int64),
        price=np.array([r[4] for r in rows], dtype=np.float32),
        created_at=np.array([r[5] for r in rows], dtype=np.float64),
        titles=[r[6] for r in rows],
    )
    events = EventLog(
        user=np.frombuffer(users, dtype=np.int64).copy(),
        session=np.frombuffer(sessions, dtype=np.int64).copy(),
        item=np.frombuffer(items, dtype=np.int64).copy(),
        action=np.frombuffer(actions, dtype=np.int8).copy(),
        timestamp=np.frombuffer(times, dtype=np.float64).copy(),
    ).sorted()
    return Dataset(events=events, items=items_table, name=path.stem), report


def load_session_file(path: str | Path, file_format: str) -> tuple[Dataset, LoadReport]:
    """Dispatch on `file_format`: "yoochoose" (any session-rec TSV) or "rees46"."""
    loaders = {"yoochoose": load_yoochoose, "rees46": load_rees46}
    if file_format not in loaders:
        raise ValueError(f"unknown session file format {file_format!r}; known: {', '.join(sorted(loaders))}")
    return loaders[file_format](path)
