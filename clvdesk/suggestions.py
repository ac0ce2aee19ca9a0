"""A suggestion as the sidebar and the note show it, and where the latest one per ticket is kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice

from pydantic import BaseModel, ConfigDict
from redis import Redis
from redis.client import Pipeline as RedisPipeline

from clvdesk.analysis import Sentiment
from clvdesk.defaults import KEY_PREFIX, SCAN_BATCH, SUGGESTION_TTL_SECONDS
from clvdesk.outcomes import SuggestionLog
from clvdesk.rules import Offer, Reason


class CustomerView(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str | None
    customer_id: str | None
    known: bool
    residual_clv: float
    historical_spend: float
    tier: str
    tier_label: str
    currency: str
    # From the CLV engine (`clvdesk clv fit`); None for customers imported from a file, and unknown ones.
    total_clv: float | None = None
    p_alive: float | None = None
    segment: str | None = None
    values_as_of: datetime | None = None  # the instant residual CLV and P(alive) were computed for (the ticket's)


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: str
    helpdesk: str
    account: str = ""  # the helpdesk account (TicketEvent.account); none on suggestions stored before there were several
    event_id: str
    created_at: datetime
    rules_version: str
    customer: CustomerView
    sentiment: Sentiment
    offer: Offer
    reasons: list[Reason]

    @property
    def scope(self) -> str:
        """The helpdesk and account it was made for, as its keys name them (TicketEvent.scope)."""
        return f"{self.helpdesk}:{self.account}"


class SuggestionStore:
    """The latest suggestion per ticket, for the sidebar app; each one is also logged for the outcome report."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:suggestion"
        self.log = SuggestionLog(redis, prefix)

    def _key(self, scope: str, ticket_id: str) -> str:
        return f"{self._prefix}:{scope}:{ticket_id}"

    def key_of(self, suggestion: Suggestion) -> str:
        """Where `suggestion` is kept, for a caller that stores it within its own script (the worker)."""
        return self._key(suggestion.scope, suggestion.ticket_id)

    def save(self, suggestion: Suggestion) -> None:
        """Store the ticket's latest suggestion and log it, in one transaction."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key_of(suggestion), suggestion.model_dump_json(), ex=SUGGESTION_TTL_SECONDS)
            self.add_to_log(suggestion, pipe)
            pipe.execute()

    def add_to_log(self, suggestion: Suggestion, pipe: RedisPipeline | None = None) -> None:
        """Log a suggestion that the caller stored itself (the worker's claim script) for the outcome
        report; on `pipe`, sent with the caller's other writes."""
        if pipe is not None:
            self.log.add(pipe, suggestion)
            return
        with self._redis.pipeline(transaction=True) as own:
            self.log.add(own, suggestion)
            own.execute()

    def all(self) -> Iterator[Suggestion]:
        """Every stored suggestion (the latest per ticket), for simulating rules on tickets already seen."""
        keys = self._redis.scan_iter(f"{self._prefix}:*", count=SCAN_BATCH)
        while batch := list(islice(keys, SCAN_BATCH)):
            yield from (Suggestion.model_validate_json(raw) for raw in self._redis.mget(batch) if raw)

    def latest(self, scope: str, ticket_id: str) -> Suggestion | None:
        """The latest suggestion on the ticket of the account `scope` ("helpdesk:account")."""
        raw = self._redis.get(self._key(scope, ticket_id))
        return Suggestion.model_validate_json(raw) if raw else None
