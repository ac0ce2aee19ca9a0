"""Help Scout in the delivery-guarantee tests: its stand-in checked against the documented calls, events as
signed convo.customer.reply.created webhooks carrying the conversation and the customer's thread."""

from __future__ import annotations

import hashlib

from clvdesk.helpdesk.helpscout.webhook import CUSTOMER_REPLIED, plain_text
from clvdesk.standins.helpscout import HelpScoutStandin, conversation, customer_thread, signed_delivery
from tests.helpdesk_cases import HelpdeskCase, WebhookRequest, register

APP_ID = "hs-app-test"
APP_SECRET = "hs-app-secret-test-0123456789"
WEBHOOK_SECRET = "hs-webhook-secret-0123456789"
SIDEBAR_SECRET = "hs-sidebar-secret-0123456789"
CUSTOMERS = 800_000  # the customer of conversation N is customer CUSTOMERS + N


def thread_id(event_id: str) -> int:
    """Help Scout names no event: the customer's thread does. The same event id gives the same thread."""
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:12], 16) + 1


def event_id(standin: HelpScoutStandin, conversation_id: int, text: str, given: str) -> str:
    """The event id clvdesk makes of the case's event `given` on conversation N."""
    return f"{conversation_id}:{thread_id(given)}"


def _env(standin: HelpScoutStandin) -> dict[str, str]:
    return {
        "CLVDESK_HELPSCOUT_APP_ID": APP_ID,
        "CLVDESK_HELPSCOUT_APP_SECRET": APP_SECRET,
        "CLVDESK_HELPSCOUT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CLVDESK_HELPSCOUT_SIDEBAR_SECRET": SIDEBAR_SECRET,
        "CLVDESK_HELPSCOUT_API_URL": standin.url,
    }


def _add_ticket(standin: HelpScoutStandin, conversation_id: int, email: str) -> None:
    standin.add_customer(CUSTOMERS + conversation_id, email)
    standin.add_conversation(conversation_id, CUSTOMERS + conversation_id)


def _webhook(standin: HelpScoutStandin, conversation_id: int, text: str, given: str) -> WebhookRequest:
    """The conversation as Help Scout sends it when its customer wrote `text` (also for a conversation the
    stand-in does not have: its API then answers 404)."""
    customer = standin.customer(CUSTOMERS + conversation_id) or {"id": CUSTOMERS + conversation_id, "first": "Ana"}
    thread = customer_thread(thread_id(given), text, customer=customer)
    body = conversation(conversation_id, [thread], subject="", customer=customer)
    return WebhookRequest(*signed_delivery(WEBHOOK_SECRET, CUSTOMER_REPLIED, body))


register(HelpdeskCase(
    name="helpscout",
    standin=lambda: HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET),
    env=_env,
    add_ticket=_add_ticket,
    webhook=_webhook,
    notes=lambda standin, conversation_id: [plain_text(note["body"]) for note in standin.notes(conversation_id)],
    note_method="POST",
    event_id=event_id,
))
