"""Sign-in attempts per client address, kept in Redis, so that guessing the admin token is slow.

Each attempt takes one of `limit` tries before the token is even compared, in one atomic script, so
concurrent guesses cannot all slip past a check made before any of them was counted: at most `limit`
tokens from one address are compared within `window` seconds (counted from its first attempt). A
right token gives its try back and clears the count. Counting per address rather than globally keeps
one guesser from locking every admin out.
"""

from __future__ import annotations

from redis import Redis

from clvdesk.defaults import ADMIN_SIGN_IN_FAILURES, ADMIN_SIGN_IN_WINDOW_SECONDS, KEY_PREFIX

# KEYS: the address's counter. ARGV: limit, window. Returns 0 (compare the token) or seconds to wait.
_TAKE_TRY = """
local tries = redis.call('INCR', KEYS[1])
if tries == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if tries <= tonumber(ARGV[1]) then return 0 end
return math.max(redis.call('TTL', KEYS[1]), 1)
"""


class SignInAttempts:
    def __init__(
        self,
        redis: Redis,
        *,
        limit: int = ADMIN_SIGN_IN_FAILURES,
        window: int = ADMIN_SIGN_IN_WINDOW_SECONDS,
        prefix: str = KEY_PREFIX,
    ):
        self._redis = redis
        self._limit, self._window = limit, window
        self._prefix = f"{prefix}:sign-in-failures"
        self._take_try = redis.register_script(_TAKE_TRY)

    def _key(self, address: str) -> str:
        return f"{self._prefix}:{address}"

    def take_try(self, address: str) -> int:
        """0 when `address` may have its token compared (the try counts as a failure until `succeeded`);
        else the seconds until it may try again."""
        return int(self._take_try(keys=[self._key(address)], args=[self._limit, self._window]))

    def succeeded(self, address: str) -> None:
        self._redis.delete(self._key(address))
