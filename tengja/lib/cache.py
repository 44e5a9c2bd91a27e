"""Django's Redis cache, with one connection pool per process.

Django keeps a cache object per thread and async context, so under ASGI every
request gets a new one, and its Redis client builds its connection pools per
object: each request opened a new connection to Redis and dropped it (Django
PR #18459 is open about it). Here every cache object of the process shares
the pools, as django-redis does, and the Redis client on each pool: redis-py
builds a client's table of ~500 reply parsers in its constructor, which Django
calls for every cache operation (0.15 ms each, three or more per page). A
client is safe to share between threads; it takes a connection from the pool
per command.

It also leaves out Django's check of each key against memcached's limits
(length, spaces), which Redis does not have: the check reads every character
of every key, and a hub's browse page reads fifty-odd keys in a request
(0.23 ms of checking, more than the round trip to Redis took).
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# (server URL, pool options) -> pool. Worker processes are spawned, not forked,
# and redis-py resets a pool it finds in a forked child anyway.
_pools: dict[tuple[str, str], Any] = {}
_clients: dict[int, Any] = {}  # id(pool) -> client; pools live as long as the process


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

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            client = _clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient

    def validate_key(self, key: str) -> None:
        """Any key is valid in Redis (memcached's limits do not apply)."""
