"""The pipeline a worker process uses for every job, built once: one HTTP session, one Redis client."""

from __future__ import annotations

from redis import Redis

from clvdesk.customers import CustomerStore
from clvdesk.helpdesk.zendesk import ZendeskClient
from clvdesk.pipeline import NoteLedger, Pipeline
from clvdesk.rules import load_rules
from clvdesk.settings import Settings, load_settings
from clvdesk.suggestions import SuggestionStore

_pipeline: Pipeline | None = None


def build_pipeline(settings: Settings, redis: Redis) -> Pipeline:
    settings.require_helpdesk()
    helpdesk = ZendeskClient(
        settings.zendesk_url,
        email=settings.zendesk_email,
        api_token=settings.zendesk_api_token.get_secret_value() if settings.zendesk_api_token else None,
        oauth_token=settings.zendesk_oauth_token.get_secret_value() if settings.zendesk_oauth_token else None,
    )
    return Pipeline(
        rules=load_rules(),
        customers=CustomerStore(redis),
        suggestions=SuggestionStore(redis),
        ledger=NoteLedger(redis),
        helpdesk=helpdesk,
    )


def install(pipeline: Pipeline) -> None:
    """Make `pipeline` the one this process's jobs use."""
    global _pipeline
    _pipeline = pipeline


def current_pipeline(redis: Redis) -> Pipeline:
    """The installed pipeline; a worker started by plain `rq worker` builds one from the environment."""
    if _pipeline is None:
        install(build_pipeline(load_settings(), redis))
    return _pipeline
