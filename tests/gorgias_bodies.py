"""Bodies as Gorgias renders the README's HTTP-integration template: every value a string, Python's
True/False, "None" or "" where a variable has no value."""

from __future__ import annotations

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
