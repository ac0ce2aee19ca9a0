"""One ticket event, end to end: who the customer is, how they feel, what to offer, and the note.

Framework-free: the worker passes in the stores and the helpdesk client. A note is posted at most
once per event: a marker is claimed in Redis before posting and confirmed after; a job that finds
the marker claimed but unconfirmed (its previous run stopped mid-way) looks for the note's reference
on the ticket before posting again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol

from redis import Redis

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.defaults import KEY_PREFIX, NOTE_MARKER_TTL_SECONDS, SAME_TEXT_WINDOW_SECONDS
from clvdesk.events import TicketEvent
from clvdesk.note import note_reference, note_tags, render_note
from clvdesk.rules import RuleSet, decide
from clvdesk.sentiment import Sentiment, analyse
from clvdesk.suggestions import CustomerView, Suggestion, SuggestionStore

log = logging.getLogger("clvdesk.pipeline")


class Helpdesk(Protocol):
    def get_user(self, user_id: int | str) -> dict: ...
    def list_comments(self, ticket_id: int | str, *, newest_first: bool = True, limit: int = 100) -> list[dict]: ...
    def add_private_note(self, ticket_id: int | str, body: str) -> dict: ...
    def add_tags(self, ticket_id: int | str, tags: list[str]) -> list[str]: ...


def email_digest(email: str | None) -> str:
    """What logs say instead of an email address."""
    return hashlib.sha256(email.encode()).hexdigest()[:12] if email else "-"


class NoteLedger:
    """Per-event markers: `posting` while a note may be on its way, `posted` once it is known to be."""

    POSTING, POSTED = b"posting", b"posted"

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:note"

    def claim(self, event_key: str) -> bytes | None:
        """Mark the note as on its way; returns the earlier state when an earlier run got here first."""
        key = f"{self._prefix}:{event_key}"
        if self._redis.set(key, self.POSTING, nx=True, ex=NOTE_MARKER_TTL_SECONDS):
            return None
        return self._redis.get(key) or self.POSTING

    def confirm(self, event_key: str) -> None:
        self._redis.set(f"{self._prefix}:{event_key}", self.POSTED, ex=NOTE_MARKER_TTL_SECONDS)

    def first_event_for_text(self, event: TicketEvent) -> str:
        """The event that first brought this text on this ticket (the same one, unless it is a repeat).

        Zendesk may announce one customer message twice, as ticket.created and as comment_added,
        or through both a subscription and a trigger; the second announcement gets no second note.
        """
        if not event.text.strip():
            return event.event_id
        digest = hashlib.sha256(event.text.strip().encode()).hexdigest()[:32]
        key = f"{self._prefix}:text:{event.helpdesk}:{event.ticket_id}:{digest}"
        self._redis.set(key, event.event_id, nx=True, ex=SAME_TEXT_WINDOW_SECONDS)
        return (self._redis.get(key) or event.event_id.encode()).decode()


class Pipeline:
    """Everything one event needs, built once per worker process."""

    def __init__(
        self,
        *,
        rules: RuleSet,
        customers: CustomerStore,
        suggestions: SuggestionStore,
        ledger: NoteLedger,
        helpdesk: Helpdesk,
        analyse_text: Callable[[str], Sentiment] = analyse,
    ):
        self.rules = rules
        self.customers = customers
        self.suggestions = suggestions
        self.ledger = ledger
        self.helpdesk = helpdesk
        self.analyse_text = analyse_text

    def handle(self, event: TicketEvent, now: datetime | None = None) -> Suggestion:
        email, customer = self._find_customer(event)
        sentiment = self.analyse_text("\n".join(part for part in (event.subject, event.text) if part))
        decision = decide(self.rules, customer, sentiment)
        suggestion = Suggestion(
            ticket_id=event.ticket_id,
            helpdesk=event.helpdesk,
            event_id=event.event_id,
            created_at=now or datetime.now(timezone.utc),
            rules_version=self.rules.version,
            customer=CustomerView(
                email=email,
                customer_id=customer.customer_id if customer else None,
                known=customer is not None,
                residual_clv=customer.residual_clv if customer else 0.0,
                historical_spend=customer.historical_spend if customer else 0.0,
                tier=decision.tier,
                tier_label=decision.tier_label,
                currency=self.rules.currency,
            ),
            sentiment=sentiment,
            offer=decision.offer,
            reasons=decision.reasons,
        )
        self.suggestions.save(suggestion)
        posted = self._post_once(event, suggestion)
        self.helpdesk.add_tags(event.ticket_id, note_tags(suggestion))  # idempotent: safe on every run
        log.info(
            "suggestion ticket=%s event=%s customer=%s tier=%s offer=%s amount=%.2f note=%s",
            event.ticket_id, event.event_id, email_digest(email), decision.tier,
            decision.offer.instrument, decision.offer.amount, "posted" if posted else "already there",
        )
        return suggestion

    def _find_customer(self, event: TicketEvent) -> tuple[str | None, CustomerValue | None]:
        email, external_id = event.requester_email, event.requester_external_id
        if not email and event.requester_id:
            user = self.helpdesk.get_user(event.requester_id)
            email = user.get("email") or None
            external_id = external_id or user.get("external_id") or None
        return email, self.customers.find(email=email, customer_id=external_id)

    def _post_once(self, event: TicketEvent, suggestion: Suggestion) -> bool:
        first = self.ledger.first_event_for_text(event)
        if first != event.event_id:
            log.info("ticket=%s event=%s repeats the text of event %s: no second note", event.ticket_id, event.event_id, first)
            return False
        earlier = self.ledger.claim(event.key)
        if earlier == NoteLedger.POSTED:
            return False
        if earlier == NoteLedger.POSTING and self._note_is_on_ticket(event):
            self.ledger.confirm(event.key)
            return False
        self.helpdesk.add_private_note(event.ticket_id, render_note(suggestion))
        self.ledger.confirm(event.key)
        return True

    def _note_is_on_ticket(self, event: TicketEvent) -> bool:
        reference = note_reference(event.event_id)
        return any(reference in (comment.get("body") or "") for comment in self.helpdesk.list_comments(event.ticket_id))
