"""Build a `Dataset` from the database: events, listings and interest-unit features as plain numpy arrays.

The Django glue between the marketplace tables and the Django-free recommenders. Everything is read with raw
SQL over whole columns and mapped with numpy (no model instances), so 300k events and 20k listings load in a
few seconds. String keys (session ids, request ids, product ids) become dense ints here; the maps are not kept,
since models only need equality.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import DatabaseError, connection

from marketplace.models import Event, Listing, ListingStatus
from recommender.data import ACTION_CODE, PAGE_CODE, Dataset, EventLog, ItemTable

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
ITEM_VIEW = ACTION_CODE["item_view"]
IMPRESSION = ACTION_CODE["impression"]

# Interest-unit features: counters summed over day windows, then the click-through rate of each window.
UNIT_COUNTERS: tuple[str, ...] = ("impressions", "clicks", "likes", "cart_adds", "offers", "purchases")
UNIT_WINDOWS: tuple[int, ...] = (1, 7, 30)
UNIT_FEATURES: tuple[str, ...] = tuple(f"{c}_{w}d" for w in UNIT_WINDOWS for c in UNIT_COUNTERS) + tuple(
    f"ctr_{w}d" for w in UNIT_WINDOWS
)
# A listing's interest unit for models: its semantic unit, else its SPU unit (later entries win below).
UNIT_TYPE_PRIORITY: tuple[str, ...] = ("spu", "semantic")


def _dense_ids(values: np.ndarray, missing: str | None = "") -> np.ndarray:
    """(n,) int64: equal strings share an id 0..k-1 (in sorted order); `missing` (unless None) maps to -1."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    uniques, inverse = np.unique(values, return_inverse=True)
    ids = inverse.astype(np.int64).ravel()
    hole = np.flatnonzero(uniques == missing) if missing is not None else []
    if len(hole):
        ids = np.where(ids == hole[0], -1, ids - (ids > hole[0]))
    return ids


def _surface_codes(pages: np.ndarray, surfaces: np.ndarray) -> np.ndarray:
    codes = np.zeros(len(pages), dtype=np.int8)
    for name, code in PAGE_CODE.items():  # from the event's page, else its surface prefix
        by_surface = np.char.startswith(surfaces.astype(str), name) if len(surfaces) else np.zeros(0, dtype=bool)
        codes[(pages == name) | ((pages == "other") & by_surface)] = code
    return codes


def click_labels(user: np.ndarray, item: np.ndarray, action: np.ndarray, request: np.ndarray) -> np.ndarray:
    """(n,) bool: an impression is clicked when the same user viewed the same item under the same request."""
    n = len(item)
    clicked = np.zeros(n, dtype=bool)
    views = np.flatnonzero((action == ITEM_VIEW) & (request >= 0))
    impressions = np.flatnonzero((action == IMPRESSION) & (request >= 0))
    if len(views) == 0 or len(impressions) == 0:
        return clicked
    dtype = np.dtype([("u", np.int64), ("r", np.int64), ("i", np.int64)])

    def keys(rows: np.ndarray) -> np.ndarray:
        stacked = np.stack([user[rows], request[rows], item[rows]], axis=1).astype(np.int64)
        return np.ascontiguousarray(stacked).view(dtype).ravel()

    clicked[impressions] = np.isin(keys(impressions), keys(views))
    return clicked


def event_log_from_db(*, since: datetime | None = None, until: datetime | None = None) -> EventLog:
    """Every event (or those in [since, until)) as an `EventLog` sorted by time.

    Anonymous events get a negative user id per session (-1 - session), so each visitor stays one sequence.
    Events with an empty session id get a session of their own per user.
    """
    where, params = [], []
    if since is not None:
        where.append("created_at >= %s")
        params.append(since)
    if until is not None:
        where.append("created_at < %s")
        params.append(until)
    sql = f"""
        SELECT COALESCE(user_id, -1), session_id, COALESCE(listing_id, -1), action,
               EXTRACT(EPOCH FROM created_at)::float8, page, surface, COALESCE(position, -1), request_id
        FROM {Event._meta.db_table}
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY created_at, id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    n = len(rows)
    if n == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return EventLog(
            user=empty_i, session=empty_i.copy(), item=empty_i.copy(), action=np.zeros(0, dtype=np.int8),
            timestamp=np.zeros(0), surface=np.zeros(0, dtype=np.int8), position=np.zeros(0, dtype=np.int16),
            request=empty_i.copy(), clicked=np.zeros(0, dtype=bool),
        )
    users, sessions, items, actions, times, pages, surfaces, positions, requests = zip(*rows, strict=True)
    user = np.fromiter(users, dtype=np.int64, count=n)
    session_keys = np.array(sessions, dtype=object)
    no_session = session_keys == ""
    if no_session.any():
        session_keys[no_session] = np.char.add("user:", user[no_session].astype(str)).astype(object)
    session = _dense_ids(session_keys.astype(str), missing=None)
    user = np.where(user >= 0, user, -1 - session)
    action_names, action_index = np.unique(np.array(actions, dtype=str), return_inverse=True)
    action_code = np.array([ACTION_CODE[a] for a in action_names], dtype=np.int8)[action_index.ravel()]
    item = np.fromiter(items, dtype=np.int64, count=n)
    request = _dense_ids(np.array(requests, dtype=str))
    return EventLog(
        user=user,
        session=session,
        item=item,
        action=action_code,
        timestamp=np.fromiter(times, dtype=np.float64, count=n),
        surface=_surface_codes(np.array(pages, dtype=str), np.array(surfaces, dtype=str)),
        position=np.fromiter(positions, dtype=np.int16, count=n),
        request=request,
        clicked=click_labels(user, item, action_code, request),
    )


def _parse_halfvecs(blobs: list[bytes | memoryview | None]) -> np.ndarray | None:
    """(m, 384) float32 from `halfvec_send` blobs (int16 dim, int16 unused, dim big-endian float16); None rows are
    zeros; None when no row has a vector."""
    present = [i for i, blob in enumerate(blobs) if blob is not None]
    if not present:
        return None
    first = bytes(blobs[present[0]])
    dim = int(np.frombuffer(first[:2], dtype=">i2")[0])
    vectors = np.zeros((len(blobs), dim), dtype=np.float32)
    joined = b"".join(bytes(blobs[i])[4:] for i in present)
    vectors[present] = np.frombuffer(joined, dtype=">f2").reshape(len(present), dim).astype(np.float32)
    return vectors


def _units_of_listings(item_ids: np.ndarray, *, only_these: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two (m,) int64 arrays: each listing's primary unit (its semantic unit, else its SPU unit) and its SPU unit;
    0 = none, live units before retired ones. `only_these` reads just these listings' memberships (a few new
    listings at serving time) instead of all."""
    primary, spu = np.zeros(len(item_ids), dtype=np.int64), np.zeros(len(item_ids), dtype=np.int64)
    try:
        from interest_units.models import InterestUnit, InterestUnitMember

        sql = f"""
            SELECT m.listing_id, m.type, m.unit_id, u.retired_at IS NULL
            FROM {InterestUnitMember._meta.db_table} m JOIN {InterestUnit._meta.db_table} u ON u.id = m.unit_id
            WHERE m.type = ANY(%s) {"AND m.listing_id = ANY(%s)" if only_these else ""}
        """
        params = [list(UNIT_TYPE_PRIORITY)] + ([[int(i) for i in item_ids]] if only_these else [])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    except (ImportError, DatabaseError) as error:  # the interest_units app or its tables are not there
        log.warning("interest units unavailable, items get unit 0: %s", error)
        rows = []
    if rows and len(item_ids):
        listing, kind, unit, live = (np.array(column) for column in zip(*rows, strict=True))
        pos = np.minimum(np.searchsorted(item_ids, listing), len(item_ids) - 1)
        known = item_ids[pos] == listing
        # Assign lowest priority first so later assignments win: retired before live, spu before semantic.
        for is_live in (False, True):
            for unit_type in UNIT_TYPE_PRIORITY:
                pick = known & (kind == unit_type) & (live == is_live)
                primary[pos[pick]] = unit[pick].astype(np.int64)
                if unit_type == "spu":
                    spu[pos[pick]] = unit[pick].astype(np.int64)
    return primary, spu


def item_table_from_db(*, listing_ids: list[int] | None = None) -> ItemTable:
    """Listings as `ItemTable` rows, ordered by id: all of them, or just `listing_ids` (e.g. new listings)."""
    where = "" if listing_ids is None else "WHERE id = ANY(%s)"
    sql = f"""
        SELECT id, COALESCE(c0_id, 0), COALESCE(c1_id, 0), COALESCE(c2_id, 0), COALESCE(brand_id, 0),
               condition, price::float8, EXTRACT(EPOCH FROM created_at)::float8, title, status,
               halfvec_send(text_embedding)
        FROM {Listing._meta.db_table} {where}
        ORDER BY id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [] if listing_ids is None else [list(listing_ids)])
        rows = cursor.fetchall()
    m = len(rows)
    if m == 0:
        table = ItemTable.ids_only(np.zeros(0, dtype=np.int64))
        table.active = np.zeros(0, dtype=bool)
        table.interest_unit = np.zeros(0, dtype=np.int64)
        table.spu_unit = np.zeros(0, dtype=np.int64)
        return table
    ids, c0, c1, c2, brand, condition, price, created, titles, status, blobs = zip(*rows, strict=True)
    item_id = np.fromiter(ids, dtype=np.int64, count=m)
    brands = np.fromiter(brand, dtype=np.int64, count=m)
    leaves = np.fromiter(c2, dtype=np.int64, count=m)
    primary_unit, spu_unit = _units_of_listings(item_id, only_these=listing_ids is not None)
    return ItemTable(
        item_id=item_id,
        category=np.stack([np.fromiter(c, dtype=np.int64, count=m) for c in (c0, c1, leaves)], axis=1),
        brand=brands,
        product=product_raw_ids(brands, leaves),
        condition=np.fromiter(condition, dtype=np.int64, count=m),
        price=np.fromiter(price, dtype=np.float32, count=m),
        created_at=np.fromiter(created, dtype=np.float64, count=m),
        titles=list(titles),
        text_vector=_parse_halfvecs(list(blobs)),
        active=np.array(status, dtype=str) == ListingStatus.ACTIVE,
        interest_unit=primary_unit,
        spu_unit=spu_unit,
    )


def product_raw_ids(brands: np.ndarray, leaves: np.ndarray) -> np.ndarray:
    """MerRec's product_id (brand + leaf category) as a stable integer, 0 when either is missing.

    Stable across calls, so a model trained on all listings maps a new listing's product the same way.
    """
    return np.where((brands > 0) & (leaves > 0), brands * 1_000_003 + leaves, 0).astype(np.int64)


def unit_features_from_db(*, as_of: datetime | None = None) -> dict[int, np.ndarray]:
    """Interest-unit id -> float32 vector of `UNIT_FEATURES`: counters summed over the 1 / 7 / 30 days before
    `as_of` (default: now; days on or after it are left out, so a training set sees no future), then each
    window's clicks / impressions. Empty when the interest_units tables are not there."""
    try:
        from interest_units.models import UnitDailyStats
    except ImportError as error:
        log.warning("interest units unavailable, no unit features: %s", error)
        return {}
    end = (as_of or datetime.now(tz=UTC)).astimezone(UTC).date()
    sums = ", ".join(
        f"SUM({counter}) FILTER (WHERE day >= %s)" for days in UNIT_WINDOWS for counter in UNIT_COUNTERS
    )
    params: list[object] = [end - timedelta(days=days) for days in UNIT_WINDOWS for _ in UNIT_COUNTERS]
    sql = f"""
        SELECT unit_id, {sums} FROM {UnitDailyStats._meta.db_table}
        WHERE day >= %s AND day < %s GROUP BY unit_id ORDER BY unit_id
    """
    params += [end - timedelta(days=max(UNIT_WINDOWS)), end]
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    except DatabaseError as error:
        log.warning("interest unit stats unavailable, no unit features: %s", error)
        return {}
    if not rows:
        return {}
    unit_ids = [int(row[0]) for row in rows]
    counts = np.array([row[1:] for row in rows], dtype=np.float64)  # (u, windows * counters); NULL -> nan
    counts = np.nan_to_num(counts).reshape(len(rows), len(UNIT_WINDOWS), len(UNIT_COUNTERS))
    impressions = counts[:, :, UNIT_COUNTERS.index("impressions")]
    clicks = counts[:, :, UNIT_COUNTERS.index("clicks")]
    ctr = np.where(impressions > 0, clicks / np.maximum(impressions, 1.0), 0.0)
    features = np.concatenate([counts.reshape(len(rows), -1), ctr], axis=1).astype(np.float32)
    return dict(zip(unit_ids, features, strict=True))


def dataset_from_db(
    *, since: datetime | None = None, until: datetime | None = None, name: str = "db"
) -> Dataset:
    """The database's events (optionally within [since, until)), every listing, and unit features as of the
    last event (or `until`)."""
    events = event_log_from_db(since=since, until=until)
    items = item_table_from_db()
    as_of = until
    if as_of is None and len(events):
        as_of = datetime.fromtimestamp(float(events.timestamp.max()), tz=UTC) + timedelta(days=1)
    return Dataset(events=events, items=items, name=name, unit_features=unit_features_from_db(as_of=as_of))
