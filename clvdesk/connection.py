"""The Redis that clvdesk uses: CLVDESK_REDIS_URL, or the embedded server under the data directory."""

from __future__ import annotations

from redis import Redis

from clvdesk.defaults import REDIS_HEALTH_CHECK_SECONDS, REDIS_SOCKET_TIMEOUT_SECONDS
from clvdesk.redis_server import ensure_embedded_redis
from clvdesk.settings import Settings


def redis_url(settings: Settings) -> str:
    return settings.redis_url or ensure_embedded_redis(settings.data_dir)


def connect(url: str) -> Redis:
    """A client that fails fast: the receiver must answer Zendesk well inside its 10 s timeout."""
    return Redis.from_url(
        url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
    )
