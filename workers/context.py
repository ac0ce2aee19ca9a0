"""The pipeline a worker process uses for every job, built once: one HTTP session, one Redis client."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from redis import Redis

from clvdesk.customers import CustomerStore
from clvdesk.defaults import RATE_LIMIT_BURST, RATE_LIMIT_MAX_WAIT_SECONDS
from clvdesk.helpdesk.zendesk import ZendeskClient
from clvdesk.metrics import Metrics
from clvdesk.pipeline import NoteLedger, Pipeline
from clvdesk.ratelimit import RateLimiter
from clvdesk.requesters import RequesterCache
from clvdesk.rule_store import RuleStore
from clvdesk.settings import Settings, load_settings
from clvdesk.spending import SpendingLedger
from clvdesk.suggestions import SuggestionStore

_local = threading.local()  # each worker thread has its own pipeline


def build_pipeline(settings: Settings, redis: Redis) -> Pipeline:
    settings.require_helpdesk()
    metrics = Metrics(redis)
    limiter = RateLimiter(
        redis,
        f"zendesk:{urlsplit(settings.zendesk_url).netloc}",
        per_minute=settings.zendesk_requests_per_minute,
        burst=RATE_LIMIT_BURST,
        max_wait_seconds=RATE_LIMIT_MAX_WAIT_SECONDS,
    )
    helpdesk = ZendeskClient(
        settings.zendesk_url,
        email=settings.zendesk_email,
        api_token=settings.zendesk_api_token.get_secret_value() if settings.zendesk_api_token else None,
        oauth_token=settings.zendesk_oauth_token.get_secret_value() if settings.zendesk_oauth_token else None,
        limiter=limiter,
        metrics=metrics,
    )
    return Pipeline(
        rules=RuleStore(redis),
        spending=SpendingLedger(redis),
        customers=CustomerStore(redis),
        suggestions=SuggestionStore(redis),
        ledger=NoteLedger(redis),
        requesters=RequesterCache(redis),
        helpdesk=helpdesk,
        metrics=metrics,
    )


def install(pipeline: Pipeline) -> None:
    """Make `pipeline` the one this thread's jobs use."""
    _local.pipeline = pipeline


def current_pipeline(redis: Redis) -> Pipeline:
    """The installed pipeline; a worker started by plain `rq worker` builds one from the environment."""
    if getattr(_local, "pipeline", None) is None:
        install(build_pipeline(load_settings(), redis))
    return _local.pipeline
