"""Freshdesk's automation-rule webhooks: authenticated by a secret, parsed from the body the README gives.

Freshdesk signs nothing and sends no delivery id: a rule's "Trigger Webhook" action posts whatever
JSON the admin wrote, with its placeholders ({{ticket.id}}, …) filled in. So the rule carries a long
secret, in a custom header where the account's rule editor offers one and as the password of the
rule's "Requires authentication" (Basic auth, which every account has); and the event's identity is
derived from what it says: ticket, event, the ticket's modification time and the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from clvdesk.defaults import FRESHDESK_MAX_TEXT_CHARS, MAX_ID
from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError, field_error, mentions_clvdesk
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.freshdesk.settings import NAME, FreshdeskSettings
from clvdesk.helpdesk.interface import Delivery
from clvdesk.html_text import html_to_text

SECRET_HEADER = "X-Clvdesk-Webhook-Secret"
BASIC_USER = "clvdesk"  # the user name the README tells admins to type under "Requires authentication"
TICKET_CREATED, CUSTOMER_REPLIED = "ticket_created", "customer_replied"
_ID_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
MAX_SHORT_TEXT = 1024  # a subject or an e-mail address: Freshdesk's own are far shorter


def freshdesk_id(text: str) -> str:
    """Freshdesk's ticket and contact ids are positive integers (64-bit in practice)."""
    if not (_ID_DIGITS.fullmatch(text) and int(text) <= MAX_ID):
        raise ValueError(f"must be a Freshdesk id, a whole number from 1 to {MAX_ID}, got {text[:30]!r}")
    return text


def _rendered(value: Any) -> Any:
    """A placeholder Freshdesk could not fill stays as written ("{{ticket.x}}") or renders empty: no value."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a placeholder the admin left outside quotes renders as a number
    if isinstance(value, str):
        value = value.strip()
        return "" if "{{" in value else value
    return value


def _short(text: str) -> str:
    if len(text) > MAX_SHORT_TEXT:
        raise ValueError(f"must be at most {MAX_SHORT_TEXT} characters, got {len(text)}")
    return text


def _id_or_empty(text: str) -> str:
    return text and freshdesk_id(text)


Rendered = Annotated[str, BeforeValidator(_rendered)]
FreshdeskId = Annotated[str, BeforeValidator(_rendered), AfterValidator(freshdesk_id)]
ShortText = Annotated[Rendered, AfterValidator(_short)]


class _RuleBody(BaseModel):
    """The body the README's rules send; keys it does not name are ignored (admins may add their own)."""

    model_config = ConfigDict(extra="ignore")

    clvdesk_event: Literal["ticket_created", "customer_replied"]
    ticket_id: FreshdeskId
    subject: ShortText = ""
    text: Rendered = ""  # HTML, as Freshdesk renders {{ticket.description}} and {{ticket.latest_public_comment}}
    requester_email: ShortText = ""
    requester_id: Annotated[Rendered, AfterValidator(_id_or_empty)] = ""
    updated_at: ShortText = ""


def event_id(ticket_id: str, event: str, updated_at: str, text: str) -> str:
    """The identity of one rule firing: every retry of it (Freshdesk retries after 5, 35 and 95 minutes)
    has the same, and the next thing the customer writes has another."""
    text_digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
    digest = hashlib.sha256(f"{ticket_id}|{event}|{updated_at}|{text_digest}".encode()).hexdigest()
    return f"fd-{ticket_id}-{digest[:24]}"


def _timestamp(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None  # a hint only: its text still goes into the event's identity
    return parsed if parsed.tzinfo else None


def parse_freshdesk_webhook(body: Any, account: str) -> TicketEvent | Ignored:
    """Turn a decoded rule body into a TicketEvent, or say why it needs none."""
    if not isinstance(body, dict):
        raise WebhookPayloadError(f"body: expected a JSON object, got {type(body).__name__}")
    try:
        rule = _RuleBody.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc) from None
    if mentions_clvdesk(rule.text):
        return Ignored("comment written by clvdesk")
    reply = rule.clvdesk_event == CUSTOMER_REPLIED
    text = html_to_text(rule.text, reply=reply)[:FRESHDESK_MAX_TEXT_CHARS]
    if reply and not text:
        return Ignored("reply without text")
    return TicketEvent(
        helpdesk=NAME,
        account=account,
        event_id=event_id(rule.ticket_id, rule.clvdesk_event, rule.updated_at, text),
        kind="ticket.comment_added" if reply else "ticket.created",
        ticket_id=rule.ticket_id,
        subject=rule.subject,
        text=text,
        requester_email=rule.requester_email or None,
        requester_id=rule.requester_id or None,
        occurred_at=_timestamp(rule.updated_at),
    )


def _basic_password(authorization: str | None) -> str | None:
    """The password of `Authorization: Basic base64(clvdesk:<password>)`; None for anything else."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return None
    return password if colon and user == BASIC_USER else None


def check_secret(offered: str, secrets: Sequence[str]) -> bool:
    """Compare with every secret, without stopping early, so timing says nothing about which matched."""
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(offered.encode(), secret.encode())
    return matched


class FreshdeskWebhook:
    """The web side of one Freshdesk account."""

    helpdesk = NAME

    def __init__(self, settings: FreshdeskSettings):
        self.account = settings.account
        self._secrets = settings.webhook_secrets

    def authenticate(self, delivery: Delivery) -> None:
        if not self._secrets:
            raise WebhookAuthError("no Freshdesk webhook secret is configured")
        offered = [value for value in (
            delivery.headers.get(SECRET_HEADER), _basic_password(delivery.headers.get("Authorization")),
        ) if value]
        if not offered:
            raise WebhookAuthError(f"missing {SECRET_HEADER} header and Basic credentials for user {BASIC_USER!r}")
        if not any([check_secret(value, self._secrets) for value in offered]):  # a list: both are compared
            raise WebhookAuthError("the webhook's secret matches no configured secret")

    def parse(self, body: object, delivery: Delivery) -> TicketEvent | Ignored:
        return parse_freshdesk_webhook(body, self.account)

    def replay_key(self, delivery: Delivery) -> str | None:
        return None  # nothing is signed: the event's derived id alone dedupes
