"""The pipeline a worker process uses for every job, built once: one client per configured helpdesk
account (its own connections and rate limiter), one Redis client."""

from __future__ import annotations

import threading

from redis import Redis

from clvdesk.customers import CustomerStore
from clvdesk.defaults import RATE_LIMIT_MAX_WAIT_SECONDS
from clvdesk.helpdesk import configured
from clvdesk.helpdesk.interface import HelpdeskClient
from clvdesk.metrics import Metrics
from clvdesk.pipeline import NoteLedger, Pipeline
from clvdesk.ratelimit import RateLimiter
from clvdesk.requesters import RequesterCache
from clvdesk.rule_store import RuleStore
from clvdesk.settings import load_settings
from clvdesk.spending import SpendingLedger
from clvdesk.suggestions import SuggestionStore

_local = threading.local()  # each worker thread has its own pipeline


Accounts = dict[tuple[str, str], HelpdeskClient]


def build_clients(redis: Redis, metrics: Metrics) -> tuple[Accounts, dict[tuple[str, str], str]]:
    """A client per configured helpdesk, by (helpdesk, account), each paced by its account's shared
    limiter; and each account's note language (its own, else CLVDESK_NOTE_LANGUAGE's)."""
    clients: Accounts = {}
    note_languages: dict[tuple[str, str], str] = {}
    default_language = load_settings().note_language
    for name, (entry, settings) in configured("the worker").items():
        policy = entry.rate_limit(settings)
        limiter = RateLimiter(
            redis,
            f"{name}:{settings.account}",
            per_minute=policy.per_minute,
            burst=policy.burst,
            max_wait_seconds=RATE_LIMIT_MAX_WAIT_SECONDS,
        )
        client = entry.client(settings, limiter, metrics)
        clients[(client.helpdesk, client.account)] = client
        note_languages[(client.helpdesk, client.account)] = settings.note_language or default_language
    return clients, note_languages


def build_pipeline(redis: Redis) -> Pipeline:
    metrics = Metrics(redis)
    clients, note_languages = build_clients(redis, metrics)
    return Pipeline(
        rules=RuleStore(redis),
        spending=SpendingLedger(redis),
        customers=CustomerStore(redis),
        suggestions=SuggestionStore(redis),
        ledger=NoteLedger(redis),
        requesters=RequesterCache(redis),
        helpdesks=clients,
        metrics=metrics,
        note_languages=note_languages,
    )


def install(pipeline: Pipeline) -> None:
    """Make `pipeline` the one this thread's jobs use."""
    _local.pipeline = pipeline


def current_pipeline(redis: Redis) -> Pipeline:
    """The installed pipeline; a worker started by plain `rq worker` builds one from the environment."""
    if getattr(_local, "pipeline", None) is None:
        install(build_pipeline(redis))
    return _local.pipeline
