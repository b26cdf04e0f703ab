"""Overlap's Redis cache (`config/redis_cache.py`): Django's, with `incr` in one round trip that still refuses a
missing key and keeps the key's expiry, as the limits need."""

from __future__ import annotations

import os
import uuid
from unittest import mock

import pytest
import redis

from config.redis_cache import RedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis (the PostgreSQL/Redis pass)")


@pytest.fixture
def cache() -> RedisCache:
    return RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4()}"})


def test_incr_counts_an_existing_key_in_one_round_trip_and_keeps_its_expiry(cache: RedisCache) -> None:
    cache.set("count", 1, timeout=300)
    assert cache.incr("count") == 2  # the script is loaded once
    with mock.patch.object(
        redis.Redis, "execute_command", autospec=True, side_effect=redis.Redis.execute_command
    ) as sent:
        assert cache.incr("count", 5) == 7
    assert sent.call_count == 1
    assert cache.get("count") == 7
    ttl: int = redis.Redis.from_url(os.environ["REDIS_URL"]).ttl(cache.make_key("count"))  # type: ignore[assignment]
    assert 0 < ttl <= 300


def test_incr_refuses_a_missing_key_and_does_not_make_it(cache: RedisCache) -> None:
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")
    assert cache.get("never-set") is None
    assert cache.add("never-set", 0, timeout=60) is True  # still free for the first count
