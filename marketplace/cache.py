"""The cache: Django's Redis backend with one Redis client object per connection pool instead of one per operation,
and `cache_try`, the one way to use it that survives Redis being down.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call; its constructor fills a
table of ~170 response callbacks each time, which measured ~0.6 ms of CPU per call here, several times per
request. A `redis.Redis` over a connection pool is thread-safe, so one per pool serves every call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")
D = TypeVar("D")

# What an unreachable or failing Redis raises (redis-py wraps socket errors; a few escape as OSError). Anything
# else is a bug and propagates.
CACHE_ERRORS = (RedisError, OSError)
# `cache_try`'s default where None is a value (a miss), so the caller can tell a miss from Redis being down.
REDIS_DOWN = object()


def cache_try(call: Callable[[], T], default: D, *, warning: str = "", args: tuple = ()) -> T | D:
    """`call()`, or `default` when Redis is unreachable: Redis is a cache, never the truth (invariant 5), so a
    request goes on without it. `warning` (formatted with `args`) is logged when it fails."""
    try:
        return call()
    except CACHE_ERRORS:
        if warning:
            logger.warning(warning, *args)
        return default


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key: object = None, *, write: bool = False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    if index not in self._pools:
                        self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
