"""The body clvdesk's README has Gorgias's HTTP integrations send, authenticated and read into a TicketEvent.

Gorgias sends whatever the admin pasted, rendering each `{{ticket...}}` variable as text ("8651", "False",
"None" or "" when there is nothing), with no signature and no delivery id, and retries after timeouts. So
the admin also sets a secret header; the event's identity is the message's id (the same whether "Ticket
created" or "Ticket message created" announced it); and every deliberate refusal to act (an agent's reply,
an internal note, clvdesk's own note echoing back) is an Ignored, answered 200: Gorgias disables an
integration after 100 failed requests in a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from clvdesk.defaults import GORGIAS_MAX_FIELD_CHARS, GORGIAS_MAX_TEXT_CHARS
from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError, field_error, mentions_clvdesk
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.helpdesk.gorgias.settings import NAME
from clvdesk.helpdesk.interface import Delivery
from clvdesk.helpdesk.shared_secret import check_secret_header

SECRET_HEADER = "X-Clvdesk-Gorgias-Secret"
SCHEMA = "1"  # the README's body: a new version of it gets a new number
INTERNAL_NOTE = "internal-note"
_NOTHING = ("", "None", "null")  # how a template variable with no value renders
_FLAGS = {"true": True, "false": False, "1": True, "0": False}  # Jinja renders Python's True and False


def _rendered(value: object) -> object:
    """A template value with surrounding space dropped, and None for a variable that had no value."""
    if isinstance(value, str):
        value = value.strip()
        return None if value in _NOTHING else value
    return value


class _Body(BaseModel):
    """The README's body; fields an admin adds to it are ignored."""

    model_config = ConfigDict(extra="ignore")

    event: Literal["ticket-created", "ticket-message-created"]
    ticket_id: str | None = None
    ticket_subject: str | None = None
    ticket_updated_datetime: datetime | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    message_id: str | None = None
    message_channel: str | None = None
    message_from_agent: bool | None = None
    message_created_datetime: datetime | None = None
    message_body_text: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _nothing(cls, value: object) -> object:
        return _rendered(value)

    @field_validator("ticket_id", "customer_id", "message_id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        value = _rendered(value)  # before-validators run last-defined first: this one may come before _nothing
        return None if value is None else gorgias_id(value)

    @field_validator("ticket_subject", "customer_email", "message_channel")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is not None and len(value) > GORGIAS_MAX_FIELD_CHARS:
            raise ValueError(f"longer than {GORGIAS_MAX_FIELD_CHARS} characters")
        return value

    @field_validator("message_from_agent", mode="before")
    @classmethod
    def _flag(cls, value: object) -> object:
        value = _rendered(value)
        if isinstance(value, str):
            if value.lower() not in _FLAGS:
                raise ValueError(f"must be True or False, got {value[:20]!r}")
            return _FLAGS[value.lower()]
        return value


def _event_id(body: _Body) -> str:
    """What tells this message from a redelivery: its id, else (a template without it) its time on the ticket."""
    if body.message_id:
        return f"ticket:{body.ticket_id}:message:{body.message_id}"
    if body.message_created_datetime:
        return f"ticket:{body.ticket_id}:message-at:{body.message_created_datetime.isoformat()}"
    if body.ticket_updated_datetime:
        return f"ticket:{body.ticket_id}:updated:{body.ticket_updated_datetime.isoformat()}"
    raise WebhookPayloadError(
        "message_id: missing, and neither message_created_datetime nor ticket_updated_datetime is there "
        "to tell this message from a redelivery (paste the body from clvdesk's README)"
    )


def parse_gorgias_webhook(body: object, *, account: str) -> TicketEvent | Ignored:
    """The customer message a decoded body from `account` announces, or why it needs no suggestion."""
    if not isinstance(body, dict):
        raise WebhookPayloadError(f"body: expected a JSON object, got {type(body).__name__}")
    schema = body.get("clvdesk_schema")
    if schema != SCHEMA:
        found = "missing" if schema is None else f"{str(schema)[:20]!r}, not {SCHEMA!r}"
        raise WebhookPayloadError(f"clvdesk_schema: {found}: paste the body from clvdesk's README")
    try:
        parsed = _Body.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc) from None
    if parsed.ticket_id is None:
        raise WebhookPayloadError("ticket_id: missing: it names the ticket the customer wrote on")
    text = (parsed.message_body_text or "")[:GORGIAS_MAX_TEXT_CHARS]
    if parsed.message_channel == INTERNAL_NOTE:
        return Ignored("internal note")
    if mentions_clvdesk(text):
        return Ignored("message written by clvdesk")
    if parsed.message_from_agent is None:
        if not (parsed.message_id or text):
            return Ignored("the ticket has no message yet")
        raise WebhookPayloadError("message_from_agent: missing: it says whether the customer wrote the message")
    if parsed.message_from_agent:
        return Ignored("message written by an agent")
    return TicketEvent(
        helpdesk=NAME,
        account=account,
        event_id=_event_id(parsed),
        kind="ticket.created" if parsed.event == "ticket-created" else "ticket.comment_added",
        ticket_id=parsed.ticket_id,
        subject=parsed.ticket_subject or "",
        text=text,
        requester_email=parsed.customer_email,
        requester_id=parsed.customer_id,
        occurred_at=parsed.message_created_datetime or parsed.ticket_updated_datetime,
    )


class GorgiasWebhook:
    """The web side of one Gorgias account: the secrets its integrations send (several, to rotate one)."""

    helpdesk = NAME

    def __init__(self, account: str, secrets: tuple[str, ...]):
        self.account = account
        self._secrets = secrets

    def authenticate(self, delivery: Delivery) -> None:
        check_secret_header(delivery.headers, SECRET_HEADER, self._secrets)

    def parse(self, body: object, delivery: Delivery) -> TicketEvent | Ignored:
        return parse_gorgias_webhook(body, account=self.account)

    def replay_key(self, delivery: Delivery) -> None:
        """Nothing is signed: the message id alone dedupes."""
        return None
