"""`cache_try`: Redis is a cache, so a call survives Redis being down; any other error is a bug and propagates."""

import logging

import pytest
from django.core.cache import cache, caches

from marketplace.cache import REDIS_DOWN, cache_try


def test_the_value_and_a_miss_when_redis_is_up():
    cache.set("cache-try-probe", {"ids": [1, 2]})
    assert cache_try(lambda: cache.get("cache-try-probe"), REDIS_DOWN) == {"ids": [1, 2]}
    assert cache_try(lambda: cache.get("cache-try-missing"), REDIS_DOWN) is None


def test_the_default_and_a_warning_when_redis_is_down(settings, tmp_path, caplog):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{tmp_path}/no-redis.sock?db=1"}}
    down = caches["default"]
    with caplog.at_level(logging.WARNING, logger="marketplace.cache"):
        assert cache_try(lambda: down.get("k"), REDIS_DOWN) is REDIS_DOWN
        assert cache_try(lambda: down.delete("k"), None, warning="redis unavailable: %s expires", args=("k",)) is None
    assert [r.getMessage() for r in caplog.records] == ["redis unavailable: k expires"]


def test_other_errors_are_not_swallowed():
    with pytest.raises(KeyError):
        cache_try(lambda: {}["missing"], None)
