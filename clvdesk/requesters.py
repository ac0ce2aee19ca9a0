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
from clvdesk.helpdesk.interface import Requester


class RequesterCache:
    """Cached as [email, external id] under one key per helpdesk user; read with the job's other first
    reads (`key_of`, then `lookup` with what was read), written with its closing writes."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:requester"

    def key_of(self, scope: str, user_id: str) -> str:
        """The key of a user of the account `scope` ("helpdesk:account")."""
        return f"{self._prefix}:{scope}:{user_id}"

    def lookup(
        self, scope: str, user_id: str, fetch: Callable[[str], Requester], *,
        cached: bytes | None, pipe: RedisPipeline | None = None,
    ) -> Requester:
        """The user's email and external id: `cached` (the value read at `key_of`), or else from
        `fetch`, remembered on `pipe` when given (sent with the caller's other writes)."""
        if cached is not None:
            email, external_id = json.loads(cached)
            return Requester(email, external_id)
        found = fetch(user_id)
        (pipe if pipe is not None else self._redis).set(
            self.key_of(scope, user_id), json.dumps([found.email, found.external_id]), ex=REQUESTER_CACHE_SECONDS
        )
        return found
