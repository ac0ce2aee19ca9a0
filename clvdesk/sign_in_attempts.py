"""Failed sign-ins per client address, kept in Redis, so that guessing the admin token is slow.

After `limit` wrong tokens from one address within `window` seconds, that address may not try again
until the window (counted from its first failure) has passed; a right token clears its count.
Counting per address rather than globally keeps one guesser from locking every admin out.
"""

from __future__ import annotations

from redis import Redis

from clvdesk.defaults import ADMIN_SIGN_IN_FAILURES, ADMIN_SIGN_IN_WINDOW_SECONDS, KEY_PREFIX


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

    def _key(self, address: str) -> str:
        return f"{self._prefix}:{address}"

    def locked_for(self, address: str) -> int:
        """Seconds until `address` may try again; 0 when it may now."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._key(address))
            pipe.ttl(self._key(address))
            failures, ttl = pipe.execute()
        return max(ttl, 1) if failures is not None and int(failures) >= self._limit else 0

    def failed(self, address: str) -> None:
        """Count a wrong token; the window starts at the first failure."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(address), 0, ex=self._window, nx=True)
            pipe.incr(self._key(address))
            pipe.execute()

    def succeeded(self, address: str) -> None:
        self._redis.delete(self._key(address))
