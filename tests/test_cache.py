"""The Redis cache shares its connections across requests (tengja.lib.cache)."""

import threading

from tengja.lib.cache import SharedPoolRedisCache

URL = "redis://127.0.0.1:6379/7"


def pool_of(cache: SharedPoolRedisCache, *, write: bool):
    return cache._cache.get_client(write=write).connection_pool


def test_cache_objects_of_a_process_share_one_pool():
    # Django makes a cache object per thread and per async context (each ASGI request).
    objects = [SharedPoolRedisCache(URL, {})]
    thread = threading.Thread(target=lambda: objects.append(SharedPoolRedisCache(URL, {})))
    thread.start()
    thread.join()
    first, second = objects
    assert pool_of(first, write=True) is pool_of(second, write=False)


def test_another_server_or_options_get_their_own_pool():
    plain = SharedPoolRedisCache(URL, {})
    other_db = SharedPoolRedisCache("redis://127.0.0.1:6379/6", {})
    other_options = SharedPoolRedisCache(URL, {"OPTIONS": {"socket_timeout": 5}})
    assert pool_of(plain, write=True) is not pool_of(other_db, write=True)
    assert pool_of(plain, write=True) is not pool_of(other_options, write=True)


def test_cache_objects_of_a_process_share_one_client():
    # redis-py builds its reply parsers per client: one per pool, not per operation.
    first, second = SharedPoolRedisCache(URL, {}), SharedPoolRedisCache(URL, {})
    assert first._cache.get_client(write=True) is second._cache.get_client(write=False)


def test_keys_are_not_checked_against_memcacheds_limits(recwarn):
    # Django warns of keys memcached would refuse; Redis takes them, and checking
    # every character of every key cost more than the round trip.
    cache = SharedPoolRedisCache(URL, {})
    key = cache.make_and_validate_key("v:schedule:1 " + "x" * 300)
    assert key.endswith("x" * 300)
    assert not [w for w in recwarn if "memcached" in str(w.message)]
