"""Bodies as Gorgias renders the README's HTTP-integration template (every value a string, Python's
True/False, "None" or "" where a variable has no value), and a suggestion as the worker makes one."""

from __future__ import annotations

from datetime import datetime, timezone

from clvdesk.analysis import analyse
from clvdesk.customers import CustomerValue
from clvdesk.rules import decide, load_rules
from clvdesk.suggestions import CustomerView, Suggestion

ACCOUNT = "acme.gorgias.com"
ANGRY = 'The mug arrived broken and <b>nobody</b> answers. I want a refund by tomorrow or I dispute the charge!'

REPLY_TEXT = 'Hi, the mug arrived in pieces — "fragile" sticker and all.\nI want a refund!\n\nJane'


def rendered(**fields: str) -> dict[str, str]:
    """A customer's reply on ticket 8651, with `fields` changed."""
    return {
        "clvdesk_schema": "1",
        "event": "ticket-message-created",
        "ticket_id": "8651",
        "ticket_subject": "Order #1002 arrived broken",
        "ticket_channel": "email",
        "ticket_status": "open",
        "ticket_updated_datetime": "2026-12-04T03:05:41.118302+00:00",
        "customer_id": "387705374",
        "customer_email": "jane.doe@example.com",
        "message_id": "208841467",
        "message_channel": "email",
        "message_from_agent": "False",
        "message_created_datetime": "2026-12-04T03:05:40.308988+00:00",
        "message_body_text": REPLY_TEXT,
        **fields,
    }


def real_suggestion(ticket_id: str = "8651") -> Suggestion:
    """A suggestion as the worker makes one: the shipped rules on a real analysis of an angry message."""
    rules = load_rules()
    customer = CustomerValue(email="jane.doe@example.com", residual_clv=820, historical_spend=2300)
    sentiment = analyse(ANGRY)
    decision = decide(rules, customer, sentiment)
    return Suggestion(
        ticket_id=ticket_id, helpdesk="gorgias", account=ACCOUNT, event_id=f"ticket:{ticket_id}:message:208841467",
        created_at=datetime(2026, 12, 4, 3, 10, 12, tzinfo=timezone.utc), rules_version=rules.version,
        customer=CustomerView(email=customer.email, customer_id=None, known=True, residual_clv=820,
                              historical_spend=2300, tier=decision.tier, tier_label=decision.tier_label,
                              currency=rules.currency),
        sentiment=sentiment, offer=decision.offer, reasons=decision.reasons,
    )
