"""Django's Redis cache, with one `redis.Redis` object per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` for every get, set or incr, and each copies
redis-py's table of ~80 response callbacks: about a tenth of a millisecond a call, a tenth of a kept search's
CPU time (bench/SEARCH_PROFILE.md). A `redis.Redis` holds no connection of its own (it takes one from the
pool per command), so one per pool serves every call, and every thread, as well.

And `incr` in one round trip, where Django's asks whether the key exists, then increments it: every limited page
(a search) counts its member this way (`accounts.limits`). The check and the increment run together in Redis (a
script), so a key that expires between them is never made again with the count at 1."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCRBY on an existing key only: nil (and Django's ValueError) for a missing one, as Django's own incr.
_INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"


class _ReusedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr: dict[int, Any] = {}

    def incr(self, key: Any, delta: int) -> Any:
        client = self.get_client(key, write=True)
        script = self._incr.get(id(client))
        if script is None:
            script = self._incr[id(client)] = client.register_script(_INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # django-stubs leave out the private parts used here, as Django's own get_client uses them
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = django._client(connection_pool=django._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache`, its clients reused (see the module's docstring)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusedClients
