"""Help Scout (Mailbox API 2.0): signed webhooks, HTML notes as threads, tags merged into the list the API
replaces, OAuth2 client-credentials tokens, and a Dynamic App beside the conversation."""

from __future__ import annotations

from redis import Redis

from clvdesk.helpdesk.helpscout.client import HelpScoutAuthError, HelpScoutClient, TokenSource
from clvdesk.helpdesk.helpscout.settings import NAME, HelpScoutSettings
from clvdesk.helpdesk.helpscout.sidebar import DynamicApp
from clvdesk.helpdesk.helpscout.webhook import HelpScoutWebhook, helpscout_id
from clvdesk.helpdesk.interface import Helpdesk, per_minute_policy
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter
from clvdesk.suggestions import SuggestionStore


def _webhook(settings: HelpScoutSettings) -> HelpScoutWebhook:
    settings.require_receiving()
    return HelpScoutWebhook(settings.account, settings.webhook_secret.get_secret_value())


def _client(settings: HelpScoutSettings, limiter: RateLimiter, metrics: Metrics) -> HelpScoutClient:
    """A worker thread's client; its token is the process's, shared by every thread."""
    settings.require_posting()
    url, app_id, secret = settings.api_url, settings.app_id, settings.app_secret.get_secret_value()
    return HelpScoutClient(
        url, app_id=app_id, app_secret=secret, account=settings.account, limiter=limiter, metrics=metrics,
        tokens=TokenSource.shared(url, app_id, secret, limiter=limiter, metrics=metrics),
    )


def _sidebar(settings: HelpScoutSettings, redis: Redis) -> DynamicApp | None:
    """The Dynamic App's callback, when its secret is set."""
    if not settings.sidebar_secret:
        return None
    return DynamicApp(settings.sidebar_secret.get_secret_value(), SuggestionStore(redis), f"{NAME}:{settings.account}")


HELPSCOUT = Helpdesk(
    name=NAME,
    settings=HelpScoutSettings,
    webhook=_webhook,
    client=_client,
    rate_limit=per_minute_policy,
    ticket_id=helpscout_id,
    sidebar=_sidebar,
)

__all__ = ["HELPSCOUT", "DynamicApp", "HelpScoutAuthError", "HelpScoutClient", "HelpScoutSettings", "HelpScoutWebhook"]
