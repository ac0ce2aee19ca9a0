"""Gorgias: HTTP integrations authenticated by a secret header, internal-note messages, tags added by name,
the account's leaky bucket, and widget data for its sidebar."""

from __future__ import annotations

from redis import Redis

from clvdesk.helpdesk.gorgias.client import GorgiasClient
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.helpdesk.gorgias.settings import NAME, GorgiasSettings
from clvdesk.helpdesk.gorgias.sidebar import GorgiasSidebar
from clvdesk.helpdesk.gorgias.webhook import GorgiasWebhook
from clvdesk.helpdesk.interface import Helpdesk, RateLimitPolicy
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter
from clvdesk.suggestions import SuggestionStore


def _client(settings: GorgiasSettings, limiter: RateLimiter, metrics: Metrics) -> GorgiasClient:
    settings.require_posting()
    return GorgiasClient(
        settings.url,
        email=settings.email,
        api_key=settings.api_key.get_secret_value(),
        sender_user_id=settings.sender_user_id,
        window_seconds=settings.window_seconds,
        limiter=limiter,
        metrics=metrics,
    )


def _webhook(settings: GorgiasSettings) -> GorgiasWebhook:
    settings.require_receiving()
    return GorgiasWebhook(settings.account, settings.webhook_secrets)


def sidebar(settings: GorgiasSettings, redis: Redis) -> GorgiasSidebar:
    """The widget data the sidebar HTTP integration fetches, behind the same secrets as the webhook."""
    settings.require_receiving()
    return GorgiasSidebar(settings.account, settings.webhook_secrets, SuggestionStore(redis))


GORGIAS = Helpdesk(
    name=NAME,
    settings=GorgiasSettings,
    webhook=_webhook,
    client=_client,
    rate_limit=lambda settings: RateLimitPolicy(per_minute=settings.requests_per_minute, burst=settings.burst),
    ticket_id=gorgias_id,
    sidebar=sidebar,
)

__all__ = ["GORGIAS", "GorgiasClient", "GorgiasSettings", "GorgiasSidebar", "GorgiasWebhook", "sidebar"]
