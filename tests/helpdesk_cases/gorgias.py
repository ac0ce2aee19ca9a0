"""Gorgias in the delivery-guarantee tests: its stand-in (which records every body that breaks Gorgias's
documented contract), events as the README's HTTP-integration body rendered for the ticket's latest message."""

from __future__ import annotations

import weakref

from clvdesk.standins.gorgias import SENDER_ID, GorgiasStandin, integration_request, render_integration
from tests.helpdesk_cases import HelpdeskCase, WebhookRequest, register

EMAIL = "clvdesk-bot@shop.example"
API_KEY = "gorgias-api-key-test"
WEBHOOK_SECRET = "gorgias-secret-test-0123456789abcdefgh"
CUSTOMERS = 700_000  # the customer of ticket N is customer CUSTOMERS + N
ABSENT_MESSAGES = 900_000  # ids of messages announced on tickets the stand-in does not have
# The message each announced event is, per stand-in: the same event id announces the same message again.
_MESSAGES: weakref.WeakKeyDictionary[GorgiasStandin, dict[str, dict]] = weakref.WeakKeyDictionary()


def _env(standin: GorgiasStandin) -> dict[str, str]:
    return {
        "CLVDESK_GORGIAS_URL": standin.url,
        "CLVDESK_GORGIAS_EMAIL": EMAIL,
        "CLVDESK_GORGIAS_API_KEY": API_KEY,
        "CLVDESK_GORGIAS_SENDER_USER_ID": str(SENDER_ID),
        "CLVDESK_GORGIAS_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def _add_ticket(standin: GorgiasStandin, ticket_id: int, email: str) -> None:
    standin.add_customer(CUSTOMERS + ticket_id, email)
    standin.add_ticket(ticket_id, CUSTOMERS + ticket_id)


def _webhook(standin: GorgiasStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    """The customer's message `event_id` on ticket N, written once, then announced as Gorgias renders it;
    on a ticket the stand-in lacks, the body Gorgias would have sent for it."""
    messages = _MESSAGES.setdefault(standin, {})
    if event_id not in messages:
        messages[event_id] = (standin.customer_writes(ticket_id, text) if standin.has_ticket(ticket_id)
                              else {"id": ABSENT_MESSAGES + len(messages), "ticket_id": ticket_id})
    message = messages[event_id]
    body = render_integration(standin, ticket_id, message_id=message["id"]) if standin.has_ticket(ticket_id) else {
        "clvdesk_schema": "1", "event": "ticket-message-created", "ticket_id": str(ticket_id),
        "customer_id": "None", "customer_email": "None", "message_id": str(message["id"]),
        "message_channel": "email", "message_from_agent": "False", "message_body_text": text,
    }
    return WebhookRequest(*integration_request(WEBHOOK_SECRET, body))


def _event_id(standin: GorgiasStandin, ticket_id: int, text: str, announced: str) -> str:
    """Gorgias's events have no id of their own: clvdesk names each by its ticket and message."""
    message = _MESSAGES[standin][announced]
    return f"ticket:{message['ticket_id']}:message:{message['id']}"


register(HelpdeskCase(
    name="gorgias",
    standin=lambda: GorgiasStandin(email=EMAIL, api_key=API_KEY),
    env=_env,
    add_ticket=_add_ticket,
    webhook=_webhook,
    notes=lambda standin, ticket_id: [note["body_text"] for note in standin.notes(ticket_id)] if standin.has_ticket(ticket_id) else [],
    note_method="POST",
    event_id=_event_id,
))
