"""Zendesk in the delivery-guarantee tests: its stand-in checked against Zendesk's OpenAPI description,
events as signed event-subscription webhooks."""

from __future__ import annotations

from clvdesk.standins.zendesk import ZendeskStandin, signed_request, ticket_created_event
from tests.helpdesk_cases import HelpdeskCase, WebhookRequest, register
from tests.zendesk_contract import contract_validator

EMAIL = "clvdesk@example.com"
API_TOKEN = "zendesk-token-test"
WEBHOOK_SECRET = "whsec-test-0123456789"
REQUESTERS = 800_000  # the requester of ticket N is user REQUESTERS + N


def _standin() -> ZendeskStandin:
    return ZendeskStandin(email=EMAIL, api_token=API_TOKEN, validate=contract_validator())


def _env(standin: ZendeskStandin) -> dict[str, str]:
    return {
        "CLVDESK_ZENDESK_URL": standin.url,
        "CLVDESK_ZENDESK_EMAIL": EMAIL,
        "CLVDESK_ZENDESK_API_TOKEN": API_TOKEN,
        "CLVDESK_ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


def _add_ticket(standin: ZendeskStandin, ticket_id: int, email: str) -> None:
    standin.add_user(REQUESTERS + ticket_id, email)
    standin.add_ticket(ticket_id, requester_id=REQUESTERS + ticket_id)


def _webhook(standin: ZendeskStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    event = ticket_created_event(
        ticket_id=ticket_id, requester_id=REQUESTERS + ticket_id, subject="", description=text, event_id=event_id
    )
    return WebhookRequest(*signed_request(WEBHOOK_SECRET, event))


register(HelpdeskCase(
    name="zendesk",
    standin=_standin,
    env=_env,
    add_ticket=_add_ticket,
    webhook=_webhook,
    notes=lambda standin, ticket_id: [note["body"] for note in standin.notes(ticket_id)],
    note_method="PUT",
))
