"""Serving trained models: loading the active version, item vectors in pgvector, and near-real-time user vectors
(`recommender.tasks.user_vectors_request` asks for their refresh).

A model whose version is active serves its surfaces; otherwise the surfaces fall back to the baselines in
`recommender.surfaces`. Which contender serves a serving slot (`slots.py`) is the stored `SurfaceChoice`, read in
the same query as the active versions and remembered as long. Item vectors live in the listing's `<space>` vector
column (HNSW-indexed, filtered at query time); user vectors live in `UserVectors` (the truth) with a Redis copy (a
cache, never the only copy).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import CharField, Value
from django.utils import timezone

from marketplace.cache import CACHE_ERRORS
from marketplace.models import MODEL_VECTOR_COLUMNS, Event
from recommender.base import Query, Recommender
from recommender.data import ACTION_CODE
from recommender.models import ModelVersion, SurfaceChoice, UserVectors
from recommender.serving.retrieval import vector_literal

logger = logging.getLogger(__name__)


def version_column(space: str) -> str:
    """The Listing column holding the model version each of `space`'s item vectors was computed with."""
    return f"{MODEL_VECTOR_COLUMNS[space]}_version"


# The models a surface uses when their version is active (recommender.surfaces); the other registered models are
# ablations or parts evaluated on their own, so `make demo` does not spend its background training on them.
SURFACE_MODELS: tuple[str, ...] = (*MODEL_VECTOR_COLUMNS, "iu_boosted", "ranker")
ACTIVE_CHECK_SECONDS = 30.0  # how stale "which version is active" may be in a web process
WAIT_CHECK_SECONDS = 1.0  # ... in background work, which must use a newly activated version at once
USER_VECTOR_CACHE_SECONDS = 24 * 3600
HISTORY_LENGTH = 50
PENDING_SECONDS = 30  # a user's refresh counts as pending this long at most (a lost task cannot block them)

_models: dict[str, tuple[int, Recommender]] = {}
_loading: dict[str, int] = {}  # name -> the version id a thread is loading
_active: dict[str, ModelVersion] = {}  # the active versions as last read
_choices: dict[str, str] = {}  # {slot: the chosen contender} as last read, with the active versions
_active_at = -math.inf  # time.monotonic() of that read
_lock = threading.Lock()


def _checkpoint_path(version: ModelVersion) -> Path:
    path = Path(version.checkpoint)
    return path if path.is_absolute() else Path(settings.RECOMMENDER_ARTIFACTS_DIR) / path


def served_model(name: str, *, wait: bool = False, recheck: bool = False) -> tuple[int, Recommender] | None:
    """(version id, model) of the active version of `name`, loaded once per process; None when none is active.

    A request never waits for a checkpoint to load (seconds for the larger models): with
    `RECOMMENDER_LOAD_IN_BACKGROUND` (on, except in tests) a newly active version loads in a thread of its own while
    the version loaded before it, or the baselines, keep serving. Background work that must use the active version
    (user and item vectors) passes `wait=True`. Workers of the model queues start loading the active versions when
    they start (`served_models_preload`), so their first task finds them ready. A question that needs only the
    version (a web request's) asks `served_version`, which loads nothing.
    """
    versions = _versions_active(max_age=0.0 if recheck else WAIT_CHECK_SECONDS if wait else ACTIVE_CHECK_SECONDS)
    version = versions.get(name)
    with _lock:
        cached = _models.get(name)
        if version is None:
            _models.pop(name, None)
            return None
        if cached is not None and cached[0] == version.pk:
            return cached
        if settings.RECOMMENDER_LOAD_IN_BACKGROUND and not wait:
            if _loading.get(name) != version.pk:
                _loading[name] = version.pk
                threading.Thread(target=_load, args=(name, version), name=f"load-{name}", daemon=True).start()
            return cached
    return _load(name, version)


def served_version(name: str) -> int | None:
    """The id of `name`'s active version, or None; loads nothing. Web requests serve slates the workers computed
    and ask only this (is a slate stale, does a viewer get personal rows), so a web process never loads torch."""
    version = _versions_active(max_age=ACTIVE_CHECK_SECONDS).get(name)
    return None if version is None else version.pk


def _versions_active(*, max_age: float) -> dict[str, ModelVersion]:
    """{name: its active version with a checkpoint}, read in one query for every model (with the slots' choices)
    and remembered `max_age` seconds (a page asks about several models; "none active" is remembered as well)."""
    return _serving_state(max_age=max_age)[0]


def served_choices(*, wait: bool = False) -> dict[str, str]:
    """{slot: the contender chosen to serve it} (`SurfaceChoice`), as fresh as the active versions: read with them,
    so a slate costs no query more for it."""
    return _serving_state(max_age=WAIT_CHECK_SECONDS if wait else ACTIVE_CHECK_SECONDS)[1]


def _serving_state(*, max_age: float) -> tuple[dict[str, ModelVersion], dict[str, str]]:
    global _active_at
    now = time.monotonic()
    with _lock:
        if now - _active_at < max_age:
            return _active, _choices
    kind = CharField()
    # one query: (name, version id, checkpoint, "version") per active version, (slot, version id, winner,
    # "choice") per stored choice
    rows = ModelVersion.objects.filter(is_active=True).exclude(checkpoint="").annotate(
        kind=Value("version", output_field=kind)).values_list("name", "pk", "checkpoint", "kind").union(
        SurfaceChoice.objects.annotate(kind=Value("choice", output_field=kind))
        .values_list("slot", "version_id", "winner", "kind"), all=True)
    versions: dict[str, ModelVersion] = {}
    choices: dict[str, str] = {}
    for key, pk, text, row_kind in rows:
        if row_kind == "version":
            versions[key] = ModelVersion(pk=pk, name=key, checkpoint=text, is_active=True)
        else:
            choices[key] = text
    with _lock:
        _active.clear()
        _active.update(versions)
        _choices.clear()
        _choices.update(choices)
        _active_at = now
    return versions, choices


def served_state_expire() -> None:
    """The next look at the active versions and choices reads them again (after this process changed them); the
    loaded models are kept."""
    global _active_at
    with _lock:
        _active_at = -math.inf


def _load(name: str, version: ModelVersion) -> tuple[int, Recommender] | None:
    """Load `version`'s checkpoint and serve it from now on (None, and the baselines, when it cannot be read)."""
    # The registry imports every model, torch with them: a process that never loads a checkpoint (a worker that
    # only updates counters or embeds listings) never imports it.
    from recommender.registry import load_recommender

    started = time.perf_counter()
    try:
        model = load_recommender(_checkpoint_path(version))
    except (OSError, ValueError, KeyError, RuntimeError):
        logger.exception("cannot load %s version %s; serving baselines", name, version.pk)
        return None
    finally:
        with _lock:
            _loading.pop(name, None)
    with _lock:
        _models[name] = (version.pk, model)
    logger.info("loaded %s version %s in %.1f s", name, version.pk, time.perf_counter() - started)
    return _models[name]


def served_models_preload() -> None:
    """Start loading the active version of every served model (at process start: the model queues' workers)."""
    for name in SURFACE_MODELS:
        try:
            served_model(name)
        except Exception:  # no database yet (a first start before migrate): the first request asks again
            logger.warning("could not look up the active %s version at start", name, exc_info=True)
            return


def served_models_forget() -> None:
    """Drop loaded models (tests, and after an activation in this process)."""
    global _active_at
    with _lock:
        _models.clear()
        _loading.clear()
        _active.clear()
        _choices.clear()
        _active_at = -math.inf


# -- queries from the database ------------------------------------------------------------------------------
def user_query(user_id: int, *, surface: str, current_item: int | None = None) -> tuple[Query, int]:
    """The user's recent interactions (oldest first) as a Query, and the id of the newest event read."""
    rows = list(
        Event.objects.filter(user_id=user_id, action__in=list(ACTION_CODE)[:6])
        .order_by("-created_at", "-pk").values_list("pk", "listing_id", "action", "created_at")[:HISTORY_LENGTH]
    )
    rows.reverse()
    query = Query(
        user_id=user_id,
        history=[r[1] for r in rows],
        history_actions=[ACTION_CODE[r[2]] for r in rows],
        history_timestamps=[r[3].timestamp() for r in rows],
        surface=surface,
        current_item=current_item,
        timestamp=time.time(),
    )
    return query, (max(r[0] for r in rows) if rows else 0)


# -- item vectors -------------------------------------------------------------------------------------------
def item_vectors_store(
    *, name: str, listing_ids: list[int] | None = None, batch_size: int = 2000,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Compute `name`'s item vectors for these listings (all when None) and write them to its column, tagged with
    the version that computed them; `on_batch(written, total)` follows a backfill's progress."""
    from recommender.dataset_db import item_table_from_db

    served = served_model(name, wait=True, recheck=True)  # a backfill right after an activation
    column = MODEL_VECTOR_COLUMNS.get(name)
    if served is None or column is None:
        return 0
    version_id, model = served
    items = item_table_from_db(listing_ids=listing_ids)
    model.catalog_extend(items)  # lets models with item caches know the new listings
    written = 0
    for start in range(0, len(items), batch_size):
        part = items.subset(slice(start, start + batch_size))
        vectors = model.item_vectors(part)
        if vectors is None:
            return 0
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE marketplace_listing SET {column} = %s::vector, {version_column(name)} = %s WHERE id = %s",
                [(vector_literal(v), version_id, int(i)) for i, v in zip(part.item_id, vectors, strict=True)],
            )
        written += len(part)
        if on_batch is not None:
            on_batch(written, len(items))
    return written


# -- user vectors -------------------------------------------------------------------------------------------
def _cache_key(space: str, user_id: int) -> str:
    return f"recommender:user-vectors:{space}:{user_id}"


def user_vectors_pending_key(user_id: int) -> str:
    """The Redis key that marks a refresh of the user's vectors as requested and not yet started."""
    return f"recommender:user-vectors-pending:{user_id}"


def user_vectors_refresh(*, user_id: int) -> dict[str, int]:
    """Recompute the user's vectors in every served space; returns {space: number of vectors}. Idempotent."""
    try:
        cache.delete(user_vectors_pending_key(user_id))
    except CACHE_ERRORS:
        pass
    written: dict[str, int] = {}
    for space in MODEL_VECTOR_COLUMNS:
        served = served_model(space, wait=True)
        if served is None:
            continue
        version_id, model = served
        query, newest_event = user_query(user_id, surface="home")
        # A worker started before these listings existed reads them now, instead of dropping them.
        unknown = model.unknown_items(query.history)
        if unknown:
            from recommender.dataset_db import item_table_from_db

            model.catalog_extend(item_table_from_db(listing_ids=unknown))
        vectors = model.user_vectors(query) if query.history else None
        if vectors is None:
            continue
        payload = np.asarray(vectors, dtype=np.float32).round(6).tolist()
        with transaction.atomic():
            UserVectors.objects.update_or_create(
                user_id=user_id, space=space,
                defaults={"version_id": version_id, "vectors": payload, "events_seen": newest_event,
                          "updated_at": timezone.now()},
            )
        try:
            cache.set(_cache_key(space, user_id), (version_id, payload), USER_VECTOR_CACHE_SECONDS)
        except CACHE_ERRORS:
            logger.warning("redis unavailable: user vectors kept in Postgres only")
        written[space] = len(payload)
    return written


def user_vectors_get(*, user_id: int, space: str) -> np.ndarray | None:
    """(n, d) float32 vectors of the active version, from Redis, else Postgres; None when there are none."""
    served = served_model(space)
    if served is None:
        return None
    version_id = served[0]
    try:
        cached = cache.get(_cache_key(space, user_id))
    except CACHE_ERRORS:
        cached = None
    if cached is not None and cached[0] == version_id:
        return np.asarray(cached[1], dtype=np.float32)
    row = UserVectors.objects.filter(user_id=user_id, space=space, version_id=version_id).first()
    return None if row is None else np.asarray(row.vectors, dtype=np.float32)
