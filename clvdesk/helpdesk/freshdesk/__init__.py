"""Freshdesk (API v2): automation-rule webhooks authenticated by a secret, private HTML notes, tags by
read-merge-write, a per-minute budget shared with the account's other API users."""

from __future__ import annotations

from clvdesk.defaults import RATE_LIMIT_BURST
from clvdesk.helpdesk.freshdesk.client import FreshdeskClient
from clvdesk.helpdesk.freshdesk.settings import NAME, FreshdeskSettings
from clvdesk.helpdesk.freshdesk.webhook import FreshdeskWebhook, freshdesk_id
from clvdesk.helpdesk.interface import Helpdesk, RateLimitPolicy
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter


def _client(settings: FreshdeskSettings, limiter: RateLimiter, metrics: Metrics) -> FreshdeskClient:
    return FreshdeskClient(settings, limiter=limiter, metrics=metrics)


def _webhook(settings: FreshdeskSettings) -> FreshdeskWebhook:
    settings.require_receiving()
    return FreshdeskWebhook(settings)


FRESHDESK = Helpdesk(
    name=NAME,
    settings=FreshdeskSettings,
    webhook=_webhook,
    client=_client,
    rate_limit=lambda settings: RateLimitPolicy(per_minute=settings.requests_per_minute, burst=RATE_LIMIT_BURST),
    ticket_id=freshdesk_id,
)

__all__ = ["FRESHDESK", "FreshdeskClient", "FreshdeskSettings", "FreshdeskWebhook"]
