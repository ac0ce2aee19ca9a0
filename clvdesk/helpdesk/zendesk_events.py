"""Webhook requests as Zendesk sends them: event bodies, the README's trigger body, signed headers.

The demo, the tests and the benchmarks send these to clvdesk, so they follow Zendesk's documented
shapes (see ../shared/helpdesk/zendesk/ for a captured example).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from clvdesk.events import COMMENT_ADDED, INVOCATION_HEADER, TICKET_CREATED, ZENDESK_TIME_FORMAT
from clvdesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, compute_signature

ACCOUNT_ID = 22129848
EVENT_VERSION = "2022-11-06"

# What the README asks admins to paste as the trigger's JSON body; Zendesk fills the placeholders.
TRIGGER_BODY_TEMPLATE = {
    "ticket_id": "{{ticket.id}}",
    "subject": "{{ticket.title}}",
    "latest_comment": "{{ticket.latest_comment.value}}",
    "requester_email": "{{ticket.requester.email}}",
    "requester_id": "{{ticket.requester.id}}",
    "requester_external_id": "{{ticket.requester.external_id}}",
}


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime(ZENDESK_TIME_FORMAT)


def _event(
    kind: str, ticket_id: int, requester_id: int, subject: str, description: str, event: dict, event_id: str | None,
    ticket_state: dict | None,
) -> dict:
    """`ticket_state`: the ticket's tags and updated_at (ZendeskStandin.ticket_state); without it the
    detail carries neither, and clvdesk tags the ticket with Add Tags."""
    now = _iso(None)
    return {
        "account_id": ACCOUNT_ID,
        "detail": {
            "actor_id": str(requester_id),
            "created_at": now,
            "description": description,
            "id": str(ticket_id),
            "is_public": True,
            "requester_id": str(requester_id),
            "status": "OPEN",
            "subject": subject,
            "submitter_id": str(requester_id),
            "via": {"channel": "web"},
            **(ticket_state or {}),
        },
        "event": event,
        "id": event_id or str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "time": now,
        "type": kind,
        "zendesk_event_version": EVENT_VERSION,
    }


def ticket_created_event(
    *, ticket_id: int, requester_id: int, subject: str, description: str, event_id: str | None = None,
    ticket_state: dict | None = None,
) -> dict:
    return _event(TICKET_CREATED, ticket_id, requester_id, subject, description, {"meta": {}}, event_id, ticket_state)


def comment_added_event(
    *,
    ticket_id: int,
    requester_id: int,
    body: str,
    subject: str = "",
    author_id: int | None = None,
    is_staff: bool = False,
    is_public: bool = True,
    event_id: str | None = None,
    ticket_state: dict | None = None,
) -> dict:
    comment = {
        "id": str(uuid.uuid4().int % 10**12),
        "body": body,
        "is_public": is_public,
        "author": {"id": str(author_id or requester_id), "is_staff": is_staff, "name": "Customer"},
    }
    return _event(COMMENT_ADDED, ticket_id, requester_id, subject, "", {"comment": comment}, event_id, ticket_state)


def trigger_body(*, ticket_id: int, subject: str, latest_comment: str, requester_email: str, requester_id: str = "", requester_external_id: str = "") -> dict:
    """The README's trigger body after Zendesk filled in its placeholders."""
    return {
        "ticket_id": str(ticket_id),
        "subject": subject,
        "latest_comment": latest_comment,
        "requester_email": requester_email,
        "requester_id": requester_id,
        "requester_external_id": requester_external_id,
    }


def signed_request(secret: str, body: dict | bytes, *, timestamp: datetime | None = None, invocation_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Zendesk sends with it."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed_at = _iso(timestamp)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Zendesk Webhook",
        SIGNATURE_HEADER: compute_signature(secret, signed_at, payload),
        TIMESTAMP_HEADER: signed_at,
        INVOCATION_HEADER: invocation_id or str(uuid.uuid4().int % 10**18),
    }
    return payload, headers
