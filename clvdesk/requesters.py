"""Who a helpdesk user is (email, external id), remembered for a while.

Event-subscription webhooks name the requester only by id, so without this every event would
spend one helpdesk API call, out of the account's per-minute budget, on a lookup whose answer
rarely changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from redis import Redis

from clvdesk.defaults import KEY_PREFIX, REQUESTER_CACHE_SECONDS


class RequesterCache:
    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:requester"

    def lookup(self, helpdesk: str, user_id: str, fetch_user: Callable[[str], dict]) -> tuple[str | None, str | None]:
        """(email, external id) of the user, from the cache or else from `fetch_user`."""
        key = f"{self._prefix}:{helpdesk}:{user_id}"
        cached = self._redis.get(key)
        if cached is not None:
            email, external_id = json.loads(cached)
            return email, external_id
        user = fetch_user(user_id)
        email, external_id = user.get("email") or None, user.get("external_id") or None
        self._redis.set(key, json.dumps([email, external_id]), ex=REQUESTER_CACHE_SECONDS)
        return email, external_id
