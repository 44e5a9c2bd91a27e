"""The Redis cache (django-redis, tengja.settings.redis_cache): one connection pool
per process, and Redis away costs speed, never a page."""

import logging
import threading

from django_redis.cache import RedisCache

from tengja.settings import redis_cache

URL = "redis://127.0.0.1:6379/7"
CLOSED_PORT = "redis://127.0.0.1:1/0"


def cache_at(location: str) -> RedisCache:
    config = redis_cache(location)
    return RedisCache(config["LOCATION"], config)


def pool_of(cache: RedisCache):
    return cache.client.get_client(write=True).connection_pool


def test_cache_objects_of_a_process_share_one_pool():
    # Django makes a cache object per thread and per async context (each ASGI request):
    # each opening its own connections to Redis cost a connection per request.
    objects = [cache_at(URL)]
    thread = threading.Thread(target=lambda: objects.append(cache_at(URL)))
    thread.start()
    thread.join()
    first, second = objects
    assert pool_of(first) is pool_of(second)
    assert pool_of(first) is not pool_of(cache_at("redis://127.0.0.1:6379/6"))


def test_with_redis_away_reads_miss_and_writes_do_nothing(caplog):
    cache = cache_at(CLOSED_PORT)
    with caplog.at_level(logging.WARNING, logger="django_redis"):
        assert cache.get("v:bookings-of-user:1") is None
        assert cache.get_many(["a", "b"]) == {}
        cache.set_many({"a": 1})
        cache.delete_many(["a"])
        assert cache.add("a", 1) is None  # neither added nor refused
    # Each said once, on one line: a known state, not a crash.
    assert len(caplog.records) == 5
    assert {(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records} == {
        (
            "WARNING",
            "the cache is unavailable, carrying on without it: Redis ConnectionError: "
            "Error 111 connecting to 127.0.0.1:1. Connection refused.",
            None,
        )
    }
