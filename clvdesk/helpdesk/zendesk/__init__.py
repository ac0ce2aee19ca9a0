"""Zendesk Support: signed webhooks (event subscriptions or the README's trigger), private notes with safe updates."""

from __future__ import annotations

from clvdesk.defaults import RATE_LIMIT_BURST
from clvdesk.helpdesk.interface import Helpdesk, RateLimitPolicy
from clvdesk.helpdesk.zendesk.client import UpdateConflict, ZendeskClient
from clvdesk.helpdesk.zendesk.settings import NAME, ZendeskSettings
from clvdesk.helpdesk.zendesk.webhook import ZendeskWebhook, zendesk_id
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter


def _client(settings: ZendeskSettings, limiter: RateLimiter, metrics: Metrics) -> ZendeskClient:
    settings.require_posting()
    return ZendeskClient(
        settings.url,
        email=settings.email,
        api_token=settings.api_token.get_secret_value() if settings.api_token else None,
        oauth_token=settings.oauth_token.get_secret_value() if settings.oauth_token else None,
        limiter=limiter,
        metrics=metrics,
    )


def _webhook(settings: ZendeskSettings) -> ZendeskWebhook:
    settings.require_receiving()
    return ZendeskWebhook(settings.account, settings.webhook_secrets)


ZENDESK = Helpdesk(
    name=NAME,
    settings=ZendeskSettings,
    webhook=_webhook,
    client=_client,
    rate_limit=lambda settings: RateLimitPolicy(per_minute=settings.requests_per_minute, burst=RATE_LIMIT_BURST),
    ticket_id=zendesk_id,
)

__all__ = ["ZENDESK", "UpdateConflict", "ZendeskClient", "ZendeskSettings", "ZendeskWebhook"]
