"""The test cache: each pytest process owns the keys under its own prefix in the tests' Redis database."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def cache_empty() -> None:
    """Delete this process's cache keys (`cache.clear()` would flush the keys of a parallel run too)."""
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)
