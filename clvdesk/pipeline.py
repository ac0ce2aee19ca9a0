"""One ticket event, end to end: who the customer is, how they feel, what to offer, and the note.

Framework-free: the worker passes in the stores and a client per helpdesk account, and nothing here knows
one helpdesk from another (clvdesk.helpdesk.interface.HelpdeskClient). A note is posted at most
once per event: a marker is claimed in Redis before posting and confirmed after. Whenever the note
may be on the ticket without clvdesk knowing it (a job finds the marker claimed but unconfirmed
because its previous run stopped mid-way, or a note update may have been applied without an answer
saying so: AmbiguousWrite), the job looks for the note's reference on the ticket before posting.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from redis import Redis
from redis.client import Pipeline as RedisPipeline

from clvdesk.analysis import Sentiment, analyse
from clvdesk.customers import CorruptCustomerRecord, CustomerStore, CustomerValue
from clvdesk.defaults import (
    KEY_PREFIX, NOTE_MARKER_TTL_SECONDS, NOTE_SENDS_PER_JOB, SAME_TEXT_WINDOW_SECONDS, SUGGESTION_TTL_SECONDS,
)
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite
from clvdesk.helpdesk.interface import HelpdeskClient, PostedNote
from clvdesk.i18n import DEFAULT_LANGUAGE
from clvdesk.logs import email_digest
from clvdesk.metrics import Metrics
from clvdesk.note import note_reference, note_tags, render_note
from clvdesk.requesters import RequesterCache
from clvdesk.rule_store import RuleStore
from clvdesk.rules import Reason, reason
from clvdesk.spending import SpendingLedger
from clvdesk.suggestions import CustomerView, Suggestion, SuggestionStore

log = logging.getLogger("clvdesk.pipeline")


class UnservedAccount(LookupError):
    """The event's helpdesk account has no client in this worker (its API settings are not configured here)."""


# KEYS: the text marker, the note marker, the suggestion. ARGV: event id, text window, note ttl, whether
# there is text, the suggestion's JSON, its ttl. Stores the suggestion unless the message is a repeat
# (the first event's suggestion stays the ticket's), then returns
# {"repeat", first event id} | {"new", ""} | {"earlier", state}, all in one round trip.
_CLAIM = """
if ARGV[4] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
  local first = redis.call('GET', KEYS[1])
  if first ~= ARGV[1] then return {'repeat', first} end
end
redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6])
if redis.call('SET', KEYS[2], 'posting', 'NX', 'EX', ARGV[3]) then return {'new', ''} end
return {'earlier', redis.call('GET', KEYS[2]) or 'posting'}
"""


class NoteLedger:
    """Markers that make a note appear at most once.

    Per event: `posting` while its note may be on its way, `posted` once it is known to be there.
    Per customer message: Zendesk may announce one message twice (as ticket.created and as
    comment_added, or through both a subscription and a trigger); only the first event posts.
    """

    POSTING, POSTED = b"posting", b"posted"

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self._redis = redis
        self._prefix = f"{prefix}:note"
        self._claim = redis.register_script(_CLAIM)

    def claim(self, event: TicketEvent, suggestion: Suggestion, suggestion_key: str) -> tuple[str, str]:
        """Store the event's suggestion at `suggestion_key` (not for a repeat) and claim its note: ("new", ""),
        ("earlier", state) when a run of this event got here before, or ("repeat", first event id)
        when another event already brought the same message."""
        text = event.text.strip()
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        keys = [f"{self._prefix}:text:{event.scope}:{event.ticket_id}:{digest}", f"{self._prefix}:{event.key}", suggestion_key]
        args = [event.event_id, SAME_TEXT_WINDOW_SECONDS, NOTE_MARKER_TTL_SECONDS, "1" if text else "0",
                suggestion.model_dump_json(), SUGGESTION_TTL_SECONDS]
        outcome, detail = self._claim(keys=keys, args=args)
        return outcome.decode(), detail.decode()

    def confirm(self, event_key: str, pipe: RedisPipeline | None = None) -> None:
        """Mark the note posted; on `pipe`, sent with the caller's other writes."""
        (pipe if pipe is not None else self._redis).set(f"{self._prefix}:{event_key}", self.POSTED, ex=NOTE_MARKER_TTL_SECONDS)


class Pipeline:
    """Everything one event needs, built once per worker process; the rules are read per event."""

    def __init__(
        self,
        *,
        rules: RuleStore,
        spending: SpendingLedger,
        customers: CustomerStore,
        suggestions: SuggestionStore,
        ledger: NoteLedger,
        requesters: RequesterCache,
        helpdesks: Mapping[tuple[str, str], HelpdeskClient],
        metrics: Metrics,
        analyse_text: Callable[[str], Sentiment] = analyse,
        note_languages: Mapping[tuple[str, str], str] | None = None,
    ):
        self.rules = rules
        self.spending = spending
        self.customers = customers
        self.suggestions = suggestions
        self.ledger = ledger
        self.requesters = requesters
        self.helpdesks = helpdesks  # by (helpdesk, account)
        self.metrics = metrics
        self.analyse_text = analyse_text
        self.note_languages = note_languages or {}  # by (helpdesk, account); English where not given

    def handle(self, event: TicketEvent, now: datetime | None = None, *, closing: RedisPipeline | None = None) -> Suggestion:
        """Suggest, store and post the note once. `closing`: a pipeline the caller sends when the job
        ends, whatever happens; the note's confirmation goes on it rather than in a round trip of its
        own (a job stopped before it is sent looks for the note on the ticket when it runs again)."""
        now = now or datetime.now(timezone.utc)
        client = self.client_for(event)
        requester_keys = [self.requesters.key_of(event.scope, event.requester_id)] if event.requester_id else []
        rules, cached = self.rules.current_and(*requester_keys)  # one round trip for both
        email, customer, corrupt = self._find_customer(
            client, event, cached[0] if cached else None, closing, event.occurred_at or now
        )
        sentiment = self.analyse_text("\n".join(part for part in (event.subject, event.text) if part))
        identity = (customer.email or customer.customer_id) if customer else email
        ticket = f"{event.scope}:{event.ticket_id}"
        decision = self.spending.decide(rules, customer, sentiment, identity=identity, ticket=ticket, now=now)
        suggestion = Suggestion(
            ticket_id=event.ticket_id,
            helpdesk=event.helpdesk,
            account=event.account,
            event_id=event.event_id,
            created_at=now,
            rules_version=rules.version,
            customer=CustomerView(
                email=email,
                customer_id=customer.customer_id if customer else None,
                known=customer is not None,
                residual_clv=customer.residual_clv if customer else 0.0,
                historical_spend=customer.historical_spend if customer else 0.0,
                tier=decision.tier,
                tier_label=decision.tier_label,
                currency=rules.currency,
                total_clv=customer.total_clv if customer else None,
                p_alive=customer.p_alive if customer else None,
                segment=customer.segment if customer else None,
                values_as_of=customer.values_as_of if customer else None,
            ),
            sentiment=sentiment,
            offer=decision.offer,
            reasons=[*corrupt, *decision.reasons],
        )
        tags = note_tags(suggestion)
        posted, ticket_tags = self._post_once(client, event, suggestion, tags, closing)
        if not set(tags) <= set(ticket_tags):  # adding tags is idempotent; skipped when the ticket has them
            client.add_tags(event.ticket_id, tags)
        log.info(
            "suggestion helpdesk=%s ticket=%s event=%s customer=%s tier=%s offer=%s amount=%.2f note=%s",
            event.scope, event.ticket_id, event.event_id, email_digest(email), decision.tier,
            decision.offer.instrument, decision.offer.amount, "posted" if posted else "already there",
        )
        return suggestion

    def note_language(self, event: TicketEvent) -> str:
        """The language the account's agents read its notes in (CLVDESK_<NAME>_NOTE_LANGUAGE)."""
        return self.note_languages.get((event.helpdesk, event.account), DEFAULT_LANGUAGE)

    def client_for(self, event: TicketEvent) -> HelpdeskClient:
        try:
            return self.helpdesks[(event.helpdesk, event.account)]
        except KeyError:
            served = ", ".join(f"{name}:{account}" for name, account in self.helpdesks) or "none"
            raise UnservedAccount(f"no {event.helpdesk} client for account {event.account!r} (served: {served})") from None

    def _find_customer(
        self, client: HelpdeskClient, event: TicketEvent, cached_requester: bytes | None,
        closing: RedisPipeline | None, as_of: datetime,
    ) -> tuple[str | None, CustomerValue | None, list[Reason]]:
        """(email, the customer's value as of the ticket or None, a reason when their stored record is
        corrupt): a corrupt record makes the customer unknown, never a failed job."""
        email, external_id = event.requester_email, event.requester_external_id
        if not email and event.requester_id:
            found = self.requesters.lookup(
                event.scope, event.requester_id, client.requester, cached=cached_requester, pipe=closing
            )
            email, external_id = found.email, external_id or found.external_id
        try:
            return email, self.customers.find(email=email, customer_id=external_id, as_of=as_of), []
        except CorruptCustomerRecord as exc:
            log.warning("ticket=%s %s: treated as an unknown customer", event.ticket_id, exc)
            return email, None, [reason("customer_store", "corrupt_customer")]

    def _post_once(
        self, client: HelpdeskClient, event: TicketEvent, suggestion: Suggestion, tags: list[str],
        closing: RedisPipeline | None,
    ) -> tuple[bool, tuple[str, ...]]:
        """Store the suggestion and post its note unless it is there: (posted now, the ticket's tags
        as the note's answer gave them; none known when nothing was posted or the answer was lost)."""
        outcome, detail = self.ledger.claim(event, suggestion, self.suggestions.key_of(suggestion))
        if outcome == "repeat":
            log.info("ticket=%s repeats the message of event %s: no second note", event.ticket_id, detail)
            return False, ()
        self.suggestions.add_to_log(suggestion, closing)
        if detail == NoteLedger.POSTED.decode():
            return False, ()
        reference = note_reference(event.event_id)
        if outcome == "earlier" and client.has_note(event.ticket_id, reference):
            self.ledger.confirm(event.key)
            return False, ()
        posted = self._post_note(client, event, render_note(suggestion, client.note_format, self.note_language(event)), tags, reference)
        self.ledger.confirm(event.key, closing)
        self.metrics.count("clvdesk_notes_posted_total", helpdesk=event.helpdesk, account=event.account)
        return True, posted.tags or ()

    def _post_note(
        self, client: HelpdeskClient, event: TicketEvent, note: str, tags: list[str], reference: str
    ) -> PostedNote:
        """Send the note until it is known to be on the ticket: after each send whose answer was lost
        (AmbiguousWrite), look for its reference first and send again only if it is absent, at most
        NOTE_SENDS_PER_JOB sends; then the job fails and its rerun looks first too. Returns what the
        write told, or nothing known when the note was found by looking."""
        sent = 1
        while True:
            try:
                return client.post_note(event, note, tags)
            except AmbiguousWrite:
                if client.has_note(event.ticket_id, reference):
                    log.info("ticket=%s the note's answer was lost but the note is there", event.ticket_id)
                    return PostedNote()
                if sent == NOTE_SENDS_PER_JOB:
                    raise
            sent += 1
            log.info("ticket=%s the note's answer was lost and the note is not there: sending it again", event.ticket_id)
