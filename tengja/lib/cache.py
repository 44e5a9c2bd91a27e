"""Django's Redis cache, with one connection pool per process.

Django keeps a cache object per thread and async context, so under ASGI every
request gets a new one, and its Redis client builds its connection pools per
object: each request opened a new connection to Redis and dropped it (Django
PR #18459 is open about it). Here every cache object of the process shares
the pools, as django-redis does.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# (server URL, pool options) -> pool. Worker processes are spawned, not forked,
# and redis-py resets a pool it finds in a forked child anyway.
_pools: dict[tuple[str, str], Any] = {}


class SharedPoolClient(RedisCacheClient):
    def _get_connection_pool(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            pool = _pools.setdefault(
                key, self._pool_class.from_url(self._servers[index], **self._pool_options)
            )
        return pool


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient
