"""Candidate retrieval in Postgres: filtered pgvector search and the availability gate every response passes.

Invariants 1 and 3 are enforced here, in SQL, at query time: only active listings that the viewer does not own
ever come back. Caches and slates hold ids only; `listing_ids_available` re-reads their status right before a response.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from django.db import connection, transaction

from marketplace.models import Listing, ListingStatus

# pgvector >= 0.8: keep scanning the HNSW graph until enough rows pass the filter (sold / own listings).
HNSW_EF_SEARCH = 100
HNSW_MAX_SCAN_TUPLES = 20000


# The HNSW parameters of a search, for the rest of its transaction, in one round trip.
HNSW_SETTINGS_SQL = (
    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', %s, true), "
    "set_config('hnsw.max_scan_tuples', %s, true)"
)
# The ef_search set in the current `vector_searches` transaction (0: none yet), None outside one.
_ef_search_set: ContextVar[int | None] = ContextVar("hnsw_ef_search_set", default=None)



def listing_ids_available(ids: Sequence[int], *, viewer_id: int | None) -> set[int]:
    """The ids among `ids` of listings that may be shown to `viewer_id` now (`Listing.objects.available_to`). One
    query on the primary key, run for every request right before it answers (caches and slates hold ids only)."""
    unique_ids = list(dict.fromkeys(int(i) for i in ids))
    if not unique_ids:
        return set()
    return set(Listing.objects.available_to(viewer_id).filter(pk__in=unique_ids).values_list("pk", flat=True))


def vector_array(value: object) -> np.ndarray:
    """A pgvector column value (a HalfVector / Vector object, or a plain list in some versions) as float32."""
    if hasattr(value, "to_list"):
        value = value.to_list()
    return np.asarray(value, dtype=np.float32)


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form of a vector, e.g. '[0.1,0.2]'."""
    return "[" + ",".join(f"{float(x):.6g}" for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"


@contextmanager
def vector_searches() -> Iterator[None]:
    """One transaction for the searches run inside it, which set the HNSW parameters once: a page's searches cost
    BEGIN, the settings and COMMIT once, then one round trip each (alone, a search costs four). Nested: the outer
    one serves. Meant for reads only: a write inside waits for the block's commit."""
    if _ef_search_set.get() is not None:
        yield
        return
    with transaction.atomic():
        token = _ef_search_set.set(0)
        try:
            yield
        finally:
            _ef_search_set.reset(token)


def nearest_listing_ids(
    vector: np.ndarray,
    *,
    k: int,
    viewer_id: int | None,
    column: str = "text_embedding",
    cast: str = "halfvec",
    exclude_ids: Sequence[int] = (),
    extra_where: str = "",
    extra_params: Sequence[object] = (),
    exact: bool = False,
) -> list[tuple[int, float]]:
    """(listing id, cosine distance) of the k nearest active listings not owned by the viewer.

    Uses the HNSW index with iterative scans so a filter that rejects many rows (sold, own) still yields k
    results; `exact=True` disables index scans (the ground truth for the recall benchmark).
    """
    if column not in {"text_embedding"} and not column.endswith("_vector"):
        raise ValueError(f"not a vector column: {column}")
    where = ["status = %s", f"{column} IS NOT NULL"]
    params: list[object] = [ListingStatus.ACTIVE]
    if viewer_id is not None:
        where.append("seller_id <> %s")
        params.append(viewer_id)
    if exclude_ids:
        where.append("NOT (id = ANY(%s))")
        params.append(list(exclude_ids))
    if extra_where:
        where.append(extra_where)
        params.extend(extra_params)
    literal = vector_literal(vector)
    sql = (
        f"SELECT id, {column} <=> %s::{cast} AS distance FROM marketplace_listing "
        f"WHERE {' AND '.join(where)} ORDER BY {column} <=> %s::{cast} LIMIT %s"
    )
    if exact:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
            cursor.execute(sql, [literal, *params, literal, k])
            rows = cursor.fetchall()
    else:
        with vector_searches(), connection.cursor() as cursor:
            ef_search = max(HNSW_EF_SEARCH, k)
            if _ef_search_set.get() != ef_search:  # once per transaction (a page's searches share one)
                cursor.execute(HNSW_SETTINGS_SQL, [str(ef_search), str(HNSW_MAX_SCAN_TUPLES)])
                _ef_search_set.set(ef_search)
            cursor.execute(sql, [literal, *params, literal, k])
            rows = cursor.fetchall()
    # relaxed_order may return rows slightly out of order; the distances are exact, so sort by them.
    return sorted(((int(i), float(d)) for i, d in rows), key=lambda row: row[1])
