"""Where precomputed slates live: Redis for the requests (one GET), Postgres as the truth behind it.

A worker writes both (`slate_put`); a request reads Redis and only touches Postgres when Redis is down or has lost
its copy (a restart, an eviction). A request that finds no slate, or a stale one, asks for a refresh
(`recommender.tasks.slate_refresh_request`): coalesced per key, so a burst of requests enqueues one task.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache

from marketplace.cache import REDIS_DOWN, cache_try
from marketplace.cards import listing_cards_warm
from recommender.models import SurfaceSlate
from recommender.serving.loading import SURFACE_MODELS, served_choices, served_version
from recommender.surfaces.types import StoredSlate

CACHE_SECONDS = 24 * 3600  # Redis keeps a copy this long after its last write; Postgres keeps it for good
PENDING_SECONDS = 30  # a refresh counts as pending this long at most (a lost task cannot block the next one)


def _cache_key(key: str) -> str:
    return f"recommender:slate:v1:{key}"


def slate_get(key: str, *, durable: bool = True) -> StoredSlate | None:
    """The stored slate under `key` (Redis, else Postgres), or None when none was computed yet. Slates stored with
    `durable=False` (a viewer's personal pages, which fall back to the page's shared slate) are read from Redis only."""
    data = cache_try(lambda: cache.get(_cache_key(key)), REDIS_DOWN)
    redis_up = data is not REDIS_DOWN
    if not redis_up:  # Postgres is the truth
        data = None
    if data is None and durable:
        row = SurfaceSlate.objects.filter(key=key).values_list("payload", flat=True).first()
        if row is None:
            return None
        data = row
        if redis_up:
            _cache_set(key, data)
    return None if data is None else StoredSlate.from_json(data)


def slate_put(key: str, slate: StoredSlate, *, durable: bool = True) -> None:
    """Store a computed slate (Postgres first unless not `durable`, then the Redis copy), with the cards of the
    listings it holds; idempotent."""
    data = slate.to_json()
    listing_cards_warm([i for row in slate.rows for i in row.ids] + [i for card in slate.cards for i in card.ids])
    if not durable:
        _cache_set(key, data)
        return
    computed_at = dt.datetime.fromtimestamp(slate.computed_at, tz=dt.UTC)
    SurfaceSlate.objects.bulk_create([SurfaceSlate(key=key, payload=data, computed_at=computed_at)],
                                     update_conflicts=True, unique_fields=["key"],
                                     update_fields=["payload", "computed_at"])
    _cache_set(key, data)


def _cache_set(key: str, data: dict) -> None:
    cache_try(lambda: cache.set(_cache_key(key), data, CACHE_SECONDS), None,
              warning="redis unavailable: slate %s kept in Postgres only", args=(key,))


def versions_served() -> dict[str, int]:
    """{model name: active version id} of the served models this process knows (no query while fresh)."""
    versions = {}
    for name in SURFACE_MODELS:  # a new active version of one stales slates
        version_id = served_version(name)
        if version_id is not None:
            versions[name] = version_id
    return versions


def slate_is_stale(slate: StoredSlate, *, max_age: float, now: float) -> bool:
    """Older than `max_age` seconds, computed before a model version that now serves (a newer version, a model
    activated since, or one deactivated since), under a serving slot's choice that has changed since (the slots the
    slate recorded in `extra["choices"]`), or under another experiment than the one running now."""
    if now - slate.computed_at > max_age:
        return True
    if "surface" in slate.extra and slate.extra.get("experiment") != _experiment_running(slate.extra["surface"]):
        return True  # an experiment started or stopped on its surface since
    recorded = slate.extra.get("choices") or {}
    if recorded:
        choices = served_choices()
        if any(choices.get(slot) != chosen for slot, chosen in recorded.items()):
            return True
    served = versions_served()
    if set(slate.versions) - set(served):
        return True
    return any(version > slate.versions.get(name, -1) for name, version in served.items())


def _experiment_running(surface: str) -> str | None:
    from experiments.selectors import running_experiment

    experiment = running_experiment(surface)
    return None if experiment is None else experiment.name


def slate_pending_key(key: str) -> str:
    """The Redis key that marks a refresh of `key` as requested and not yet started."""
    return f"recommender:slate-pending:{key}"


def slate_refresh_started(key: str) -> None:
    """A refresh of `key` has started: a request after this point may ask for the next one."""
    cache_try(lambda: cache.delete(slate_pending_key(key)), None)


def refresh_seconds() -> float:
    return float(settings.RECOMMENDER_SLATE_REFRESH_SECONDS)
