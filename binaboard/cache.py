"""The shared cache (CACHE_URL): Redis, used so that a Redis outage costs speed, never a page.

What the app keeps there (rendered board cards, flow figures, the API's and password reset's counters)
can all be made again or counted afresh, so a Redis that cannot be reached is treated as an empty cache:
reads miss, writes are dropped, a counter starts again. Django's own RedisCache raises instead, which
turned every board page and API call into a 500 while Redis was down (and /readyz still said ok).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("binaboard.cache")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# One warning a minute per process is enough to see the outage in the log without flooding it.
WARN_EVERY_SECONDS = 60
# A Redis that does not answer (a dropped packet rather than a refused connection) must not hold a
# request for long: the page is made without the cache instead.
SOCKET_TIMEOUT_SECONDS = 1.0


class ForgivingRedisCache(RedisCache):
    """Django's RedisCache, except that an unreachable Redis behaves as an empty cache."""

    _last_warning = 0.0

    def __init__(self, server, params):
        timeouts = {"socket_connect_timeout": SOCKET_TIMEOUT_SECONDS, "socket_timeout": SOCKET_TIMEOUT_SECONDS}
        super().__init__(server, {**params, "OPTIONS": {**timeouts, **params.get("OPTIONS", {})}})

    def _unreachable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - ForgivingRedisCache._last_warning >= WARN_EVERY_SECONDS:
            ForgivingRedisCache._last_warning = now
            log.warning("the cache (CACHE_URL) cannot be reached, working without it: %s", error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            # As for a key that is not there: callers start the count again.
            raise ValueError(f"Key '{key}' not found") from error

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE as error:
            self._unreachable(error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNREACHABLE as error:
            self._unreachable(error)

    def clear(self):
        try:
            return super().clear()
        except UNREACHABLE as error:
            self._unreachable(error)
            return False
