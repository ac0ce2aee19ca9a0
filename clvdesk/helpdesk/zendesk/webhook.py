"""Zendesk webhooks: the bodies validated into the common TicketEvent, and the adapter the receiver uses.

Zendesk delivers ticket activity in two shapes: an event subscription (`zen:event-type:ticket.*`,
with the event id in the body) and the JSON body a trigger sends, which is whatever the admin
pasted (the README gives ours) and whose only identity is the X-Zendesk-Webhook-Invocation-Id header.
Both become a TicketEvent, or an Ignored with the reason, so that clvdesk never answers its own notes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from clvdesk.defaults import MAX_ID, MAX_TAG_CHARS, MAX_TICKET_TAGS
from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError, field_error, mentions_clvdesk
from clvdesk.helpdesk.interface import Delivery
from clvdesk.helpdesk.zendesk.settings import NAME
from clvdesk.helpdesk.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_digest, verify_signature

TICKET_CREATED = "zen:event-type:ticket.created"
COMMENT_ADDED = "zen:event-type:ticket.comment_added"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"

MAX_TEXT = 65_536  # Zendesk's own limit on a comment body
ZENDESK_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # Zendesk's timestamps: UTC, whole seconds
_ID_DIGITS = re.compile(r"[1-9][0-9]{0,18}")


def zendesk_id(text: str) -> str:
    """Zendesk's ids are positive 64-bit integers: "0", "-1" or 2**63 name no ticket or user, and asking
    Zendesk for one would fail on every retry."""
    if not (_ID_DIGITS.fullmatch(text) and int(text) <= MAX_ID):
        raise ValueError(f"must be a Zendesk id, a whole number from 1 to {MAX_ID}, got {text[:30]!r}")
    return text


def _zendesk_id_or_empty(text: str) -> str:
    return text and zendesk_id(text)  # the trigger's placeholder is empty for a ticket without a requester


ZendeskId = Annotated[str, AfterValidator(zendesk_id)]
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]  # a comment's author: -1 is Zendesk's system
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
ShortText = Annotated[str, StringConstraints(max_length=1024)]


# --- Zendesk event subscriptions -------------------------------------------------------------


class _Vendor(BaseModel):
    """Zendesk adds fields over time; unknown ones are ignored, known ones are checked."""

    model_config = ConfigDict(extra="ignore")


class _Author(_Vendor):
    id: UserId | int | None = None
    is_staff: bool = False


class _Comment(_Vendor):
    id: UserId | int | None = None
    body: Text = ""
    is_public: bool = True
    author: _Author = _Author()


class _CommentEvent(_Vendor):
    comment: _Comment


class _TicketDetail(_Vendor):
    id: ZendeskId
    subject: ShortText | None = None
    description: Text | None = None
    requester_id: ZendeskId | None = None
    external_id: ShortText | None = None
    tags: list[Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS)]] | None = Field(None, max_length=MAX_TICKET_TAGS)
    updated_at: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")] | None = None


class _EventSubscription(_Vendor):
    type: str
    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    time: datetime | None = None
    detail: _TicketDetail
    event: dict[str, Any] = Field(default_factory=dict)


# --- The trigger body the README asks admins to paste -----------------------------------------


class _TriggerBody(_Vendor):
    ticket_id: ZendeskId
    subject: ShortText = ""
    latest_comment: Text = ""
    requester_email: ShortText = ""
    requester_id: Annotated[str, AfterValidator(_zendesk_id_or_empty)] = ""
    requester_external_id: ShortText = ""


def _from_subscription(body: dict[str, Any], account: str) -> TicketEvent | Ignored:
    kind = body.get("type")
    if kind not in (TICKET_CREATED, COMMENT_ADDED):
        return Ignored(f"event type {kind!r} needs no suggestion")
    try:
        event = _EventSubscription.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc) from None
    comment = None
    if kind == COMMENT_ADDED:
        try:
            comment = _CommentEvent.model_validate(event.event).comment
        except ValidationError as exc:
            raise field_error(exc, "event") from None
    detail = event.detail
    if comment is not None:
        if mentions_clvdesk(comment.body):
            return Ignored("comment written by clvdesk")
        if comment.author.is_staff:
            return Ignored("comment written by an agent")
        if not comment.is_public:
            return Ignored("private comment")
    text = comment.body if comment is not None else (detail.description or "")
    return TicketEvent(
        helpdesk=NAME,
        account=account,
        event_id=event.id,
        kind="ticket.created" if kind == TICKET_CREATED else "ticket.comment_added",
        ticket_id=detail.id,
        subject=detail.subject or "",
        text=text,
        requester_id=detail.requester_id,
        ticket_tags=tuple(detail.tags) if detail.tags is not None else None,
        ticket_updated_at=detail.updated_at,
        occurred_at=event.time,
    )


def _from_trigger(body: dict[str, Any], invocation_id: str | None, account: str) -> TicketEvent | Ignored:
    try:
        trigger = _TriggerBody.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc) from None
    if not invocation_id:
        raise WebhookPayloadError(f"trigger body without an event id: header {INVOCATION_HEADER} is missing")
    if mentions_clvdesk(trigger.latest_comment):
        return Ignored("comment written by clvdesk")
    return TicketEvent(
        helpdesk=NAME,
        account=account,
        event_id=f"invocation:{invocation_id}",
        kind="trigger",
        ticket_id=trigger.ticket_id,
        subject=trigger.subject,
        text=trigger.latest_comment,
        requester_email=trigger.requester_email or None,
        requester_id=trigger.requester_id or None,
        requester_external_id=trigger.requester_external_id or None,
    )


def parse_zendesk_webhook(body: Any, invocation_id: str | None = None, *, account: str) -> TicketEvent | Ignored:
    """Turn a decoded webhook body from `account` into a TicketEvent, or say why it needs none."""
    if not isinstance(body, dict):
        raise WebhookPayloadError(f"body: expected a JSON object, got {type(body).__name__}")
    if "type" in body:
        return _from_subscription(body, account)
    if "ticket_id" in body:
        return _from_trigger(body, invocation_id, account)
    raise WebhookPayloadError(
        "body: neither a Zendesk event (no 'type') nor clvdesk's trigger body (no 'ticket_id')"
    )


class ZendeskWebhook:
    """The web side of one Zendesk account: its signing secrets (several, to rotate one) and its parser."""

    helpdesk = NAME

    def __init__(self, account: str, secrets: tuple[str, ...]):
        self.account = account
        self._secrets = secrets

    def authenticate(self, delivery: Delivery) -> None:
        verify_signature(
            delivery.body, delivery.headers.get(SIGNATURE_HEADER), delivery.headers.get(TIMESTAMP_HEADER), self._secrets
        )

    def parse(self, body: object, delivery: Delivery) -> TicketEvent | Ignored:
        return parse_zendesk_webhook(body, delivery.headers.get(INVOCATION_HEADER), account=self.account)

    def replay_key(self, delivery: Delivery) -> str | None:
        return signed_digest(delivery.headers[TIMESTAMP_HEADER], delivery.body)  # authenticated: it is there
