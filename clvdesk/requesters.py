"""Who a helpdesk user is (email, external id), remembered for a while.

Event-subscription webhooks name the requester only by id, so without this every event would
spend one helpdesk API call, out of the account's per-minute budget, on a lookup whose answer
rarely changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from redis import Redis
from redis.client import Pipeline as RedisPipeline

from clvdesk.defaults import KEY_PREFIX, REQUESTER_CACHE_SECONDS


class RequesterCache:
    """Cached as [email, external id] under one key per helpdesk user; read with the job's other first
    reads (`key_of`, then `lookup` with what was read), written with its closing writes."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:requester"

    def key_of(self, helpdesk: str, user_id: str) -> str:
        return f"{self._prefix}:{helpdesk}:{user_id}"

    def lookup(
        self, helpdesk: str, user_id: str, fetch_user: Callable[[str], dict], *,
        cached: bytes | None, pipe: RedisPipeline | None = None,
    ) -> tuple[str | None, str | None]:
        """(email, external id) of the user: `cached` (the value read at `key_of`), or else from
        `fetch_user`, remembered on `pipe` when given (sent with the caller's other writes)."""
        if cached is not None:
            email, external_id = json.loads(cached)
            return email, external_id
        user = fetch_user(user_id)
        email, external_id = user.get("email") or None, user.get("external_id") or None
        (pipe if pipe is not None else self._redis).set(
            self.key_of(helpdesk, user_id), json.dumps([email, external_id]), ex=REQUESTER_CACHE_SECONDS
        )
        return email, external_id
