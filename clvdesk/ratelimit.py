"""One request budget per helpdesk account, shared by every worker through Redis (GCRA).

Each call reserves the next free slot atomically and sleeps until it, so any number of workers
together stay under the account's limit instead of collecting 429s. A 429 that still happens
pauses the whole account, for every worker, until its Retry-After has passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from clvdesk.defaults import KEY_PREFIX

# Times are microseconds since the epoch, as Redis's own clock gives them, so that every worker agrees.
# KEYS: theoretical arrival time, pause-until. ARGV: emission interval, burst tolerance, max wait (all µs).
# Returns the µs to wait for the reserved slot, or -wait when the wait is too long (nothing reserved).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local paused = tonumber(redis.call('GET', KEYS[2]) or 0)
local start = math.max(tat - tolerance, now, paused)
local wait = start - now
if wait > max_wait then return -wait end
local new_tat = math.max(tat, start) + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return wait
"""

# KEYS: pause-until. ARGV: pause µs. Extends, never shortens, a pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
if until_us > tonumber(redis.call('GET', KEYS[1]) or 0) then
  redis.call('SET', KEYS[1], string.format('%d', until_us), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 1
"""


class RateLimitWaitTooLong(Exception):
    """The next free slot is further away than a job may wait; retry the work later."""

    def __init__(self, wait_seconds: float):
        self.wait_seconds = wait_seconds
        super().__init__(f"the next request slot is {wait_seconds:.1f} s away")


class RateLimiter:
    """Paces calls to one account at `per_minute`, allowing short bursts of `burst` calls."""

    def __init__(
        self,
        redis: Redis,
        account: str,
        *,
        per_minute: float,
        burst: int = 1,
        max_wait_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        prefix: str = KEY_PREFIX,
    ):
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self._keys = [f"{prefix}:ratelimit:{account}:tat", f"{prefix}:ratelimit:{account}:paused"]
        self._interval_us = round(60_000_000 / per_minute)
        self._tolerance_us = self._interval_us * (burst - 1)
        self._max_wait_us = round(max_wait_seconds * 1_000_000)
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)
        self._sleep = sleep

    def acquire(self) -> float:
        """Wait for this caller's slot; returns the seconds waited."""
        wait_us = int(self._reserve(keys=self._keys, args=[self._interval_us, self._tolerance_us, self._max_wait_us]))
        if wait_us < 0:
            raise RateLimitWaitTooLong(-wait_us / 1_000_000)
        if wait_us:
            self._sleep(wait_us / 1_000_000)
        return wait_us / 1_000_000

    def pause(self, seconds: float) -> None:
        """Hold every caller for this account for `seconds` (a 429's Retry-After)."""
        self._pause(keys=self._keys[1:], args=[round(seconds * 1_000_000)])
