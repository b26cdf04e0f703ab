"""Django's Redis cache, with one `redis.Redis` object per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` for every get, set or incr, and each copies
redis-py's table of ~80 response callbacks: about a tenth of a millisecond a call, a tenth of a kept search's
CPU time (bench/SEARCH_PROFILE.md). A `redis.Redis` holds no connection of its own (it takes one from the
pool per command), so one per pool serves every call, and every thread, as well."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

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
