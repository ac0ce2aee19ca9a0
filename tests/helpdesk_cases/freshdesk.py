"""Freshdesk in the delivery-guarantee tests: its stand-in checking the documented fields, events as the
README's automation-rule body with the secret in the custom header (the requester named by id only, so
the worker looks the contact up)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from clvdesk.helpdesk.freshdesk.webhook import parse_freshdesk_webhook
from clvdesk.standins.freshdesk import FreshdeskStandin, html_paragraphs, rule_body, webhook_request
from tests.helpdesk_cases import HelpdeskCase, WebhookRequest, register

API_KEY = "fd-api-key-test-0123456789"
WEBHOOK_SECRET = "fd-webhook-secret-test-0123456789abcdef"
REQUESTERS = 43_000_000_000  # the requester of ticket N is contact REQUESTERS + N
MODIFIED_FROM = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def _env(standin: FreshdeskStandin) -> dict[str, str]:
    return {
        "CLVDESK_FRESHDESK_URL": standin.url,
        "CLVDESK_FRESHDESK_API_KEY": API_KEY,
        "CLVDESK_FRESHDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def _add_ticket(standin: FreshdeskStandin, ticket_id: int, email: str) -> None:
    standin.add_contact(REQUESTERS + ticket_id, email)
    standin.add_ticket(ticket_id, requester_id=REQUESTERS + ticket_id)


def _modified_on(event_id: str) -> str:
    """A ticket modification time per event id: Freshdesk has no event id, the time tells firings apart."""
    seconds = int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16)
    return (MODIFIED_FROM + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _body(ticket_id: int, text: str, event_id: str) -> dict:
    return rule_body("ticket_created", ticket_id=str(ticket_id), text=html_paragraphs(text),
                     requester_id=str(REQUESTERS + ticket_id), updated_at=_modified_on(event_id))


def _webhook(standin: FreshdeskStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    return WebhookRequest(*webhook_request(WEBHOOK_SECRET, _body(ticket_id, text, event_id)))


def _event_id(standin: FreshdeskStandin, ticket_id: int, text: str, event_id: str) -> str:
    """Freshdesk sends no event id: clvdesk derives it from the body, as the receiver does."""
    return parse_freshdesk_webhook(_body(ticket_id, text, event_id), "test").event_id


register(HelpdeskCase(
    name="freshdesk",
    standin=lambda: FreshdeskStandin(api_key=API_KEY),
    env=_env,
    add_ticket=_add_ticket,
    webhook=_webhook,
    notes=lambda standin, ticket_id: [note["body"] for note in standin.notes(ticket_id)],
    note_method="POST",
    event_id=_event_id,
))
