"""Lists every viewer shares (popular listings, popular units): computed off the request path, read from Redis.

A beat task (`recommender.tasks.shared_lists_refresh`) recomputes each list every few seconds and stores its ids for
`RECOMMENDER_SHARED_LISTS_SECONDS`, several refreshes ahead of expiry, so a request only reads them: one Redis GET,
no SQL. A cold list (a fresh or flushed Redis, beat not yet run) is computed by one caller at a time, under a Redis
lock, while the others answer from this process's last copy or else the list's cheap fallback (newest listings,
fullest units): never a stampede of the same slow query. With Redis down, each process keeps its own copy for the
same lifetime and recomputes it in one thread at a time; Postgres stays the truth and a cache error never fails a
request. Lists hold ids only: every response re-checks status (invariant 1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from marketplace.cache import CACHE_ERRORS

LOCK_SECONDS = 30  # a caller that died while computing holds the list no longer than this


@dataclass(frozen=True)
class SharedList:
    name: str
    compute: Callable[[], list]  # the truth, from Postgres (may take tens of milliseconds): ids, or JSON objects
    fallback: Callable[[], list]  # a cheap stand-in while someone else computes
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"recommender:shared:{self.name}:v1"


_copies: dict[str, tuple[float, list[int]]] = {}  # name -> (monotonic time, ids): this process's last copy


def _lifetime() -> int:
    return settings.RECOMMENDER_SHARED_LISTS_SECONDS


def _remember(shared: SharedList, ids: list[int]) -> list[int]:
    _copies[shared.name] = (time.monotonic(), ids)
    return ids


def shared_list_get(shared: SharedList) -> list[int]:
    """The list's ids as last computed; no SQL when it is warm."""
    try:
        ids = cache.get(shared.key)
        if ids is not None:
            return _remember(shared, ids)
        first = cache.add(f"{shared.key}:lock", 1, LOCK_SECONDS)
    except CACHE_ERRORS:  # Redis down: this process's copy, recomputed by one thread at a time
        return _process_copy(shared)
    if not first:  # someone else is computing it
        copy = _copies.get(shared.name)
        return copy[1] if copy is not None else shared.fallback()
    try:
        return shared_list_refresh(shared)
    finally:
        try:
            cache.delete(f"{shared.key}:lock")
        except CACHE_ERRORS:
            pass


def _process_copy(shared: SharedList) -> list[int]:
    copy = _copies.get(shared.name)
    if copy is not None and time.monotonic() - copy[0] < _lifetime():
        return copy[1]
    if not shared._lock.acquire(blocking=False):
        return copy[1] if copy is not None else shared.fallback()
    try:
        return _remember(shared, shared.compute())
    finally:
        shared._lock.release()


def shared_list_refresh(shared: SharedList) -> list[int]:
    """Compute the list and store it (in Redis when it is up); idempotent."""
    ids = list(shared.compute())
    try:
        cache.set(shared.key, ids, _lifetime())
    except CACHE_ERRORS:
        pass
    return _remember(shared, ids)


def shared_lists_forget() -> None:
    """Drop this process's copies (tests: each starts from an empty cache)."""
    _copies.clear()
