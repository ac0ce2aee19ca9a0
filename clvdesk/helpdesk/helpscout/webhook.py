"""Help Scout webhook deliveries: signed, named by X-HelpScout-Event, with the conversation as the body.

clvdesk subscribes to `convo.created` and `convo.customer.reply.created`; their body is the v2
Conversation object (as Get Conversation answers it). Help Scout sends no delivery id, so an event is
named by what it announces: the conversation and its newest customer thread, the same however often
and under whichever of the two events it arrives. Help Scout may leave the threads out of the body
(undocumented either way); then the conversation's preview is the text and the customer's waiting
time names the message.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic import ValidationError

from clvdesk.defaults import MAX_ID, MAX_TAG_CHARS, MAX_TICKET_TAGS
from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError, field_error, mentions_clvdesk
from clvdesk.helpdesk.helpscout.settings import NAME
from clvdesk.helpdesk.helpscout.signature import SIGNATURE_HEADER, verify_signature
from clvdesk.helpdesk.interface import Delivery

EVENT_HEADER = "X-HelpScout-Event"
CONVERSATION_CREATED = "convo.created"
CUSTOMER_REPLIED = "convo.customer.reply.created"
_KINDS = {CONVERSATION_CREATED: "ticket.created", CUSTOMER_REPLIED: "ticket.comment_added"}
MAX_TEXT = 65_536  # of one thread's body (Help Scout states no limit; Zendesk's is this)
_ID_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def helpscout_id(text: str) -> str:
    """Help Scout's ids (conversations, threads, customers) are positive integers within 64 bits."""
    if not (_ID_DIGITS.fullmatch(text) and int(text) <= MAX_ID):
        raise ValueError(f"must be a Help Scout id, a whole number from 1 to {MAX_ID}, got {text[:30]!r}")
    return text


def _number_as_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


HelpScoutId = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(helpscout_id)]
ShortText = Annotated[str, StringConstraints(max_length=1024)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Stamp = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")]


class _Vendor(BaseModel):
    """Help Scout adds fields over time; unknown ones are ignored, known ones are checked."""

    model_config = ConfigDict(extra="ignore")


class _Person(_Vendor):
    id: HelpScoutId | None = None
    email: ShortText | None = None


class _Thread(_Vendor):
    id: HelpScoutId
    type: ShortText
    state: ShortText = "published"
    body: Text | None = None
    createdAt: AwareDatetime | None = None
    customer: _Person | None = None


class _Tag(_Vendor):
    tag: Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS)]


class _Waiting(_Vendor):
    time: Stamp | None = None


class _Embedded(_Vendor):
    threads: list[_Thread] = []


class _Conversation(_Vendor):
    id: HelpScoutId
    state: ShortText = "published"
    subject: ShortText | None = None
    preview: Text | None = None
    primaryCustomer: _Person | None = None
    tags: list[_Tag] | None = Field(None, max_length=MAX_TICKET_TAGS)
    userUpdatedAt: Stamp | None = None
    customerWaitingSince: _Waiting | None = None
    embedded: _Embedded | None = Field(None, alias="_embedded")


class _PlainText(HTMLParser):
    """A thread body's text: Help Scout stores bodies as HTML, the analyser reads words."""

    _BREAKS = {"br", "p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
    _HIDDEN = {"script", "style", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of an HTML body, a line per block, a blank line at most between them."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _newest(threads: list[_Thread]) -> _Thread:
    return max(threads, key=lambda thread: (thread.createdAt or _EPOCH, int(thread.id)))


def parse_helpscout_webhook(body: Any, event_name: str | None, *, account: str) -> TicketEvent | Ignored:
    """Turn a decoded delivery of event `event_name` to `account` into a TicketEvent, or say why it needs none."""
    if not event_name:
        raise WebhookPayloadError(f"{EVENT_HEADER}: header missing: it names the event the body is about")
    kind = _KINDS.get(event_name)
    if kind is None:
        return Ignored(f"event {event_name[:60]!r} needs no suggestion")
    if not isinstance(body, dict):
        raise WebhookPayloadError(f"body: expected a JSON object (a conversation), got {type(body).__name__}")
    try:
        conversation = _Conversation.model_validate(body)
    except ValidationError as exc:
        raise field_error(exc) from None
    if conversation.state != "published":
        return Ignored(f"conversation is {conversation.state[:30]!r}, not published")
    customer = conversation.primaryCustomer or _Person()
    common = {
        "helpdesk": NAME,
        "account": account,
        "kind": kind,
        "ticket_id": conversation.id,
        "subject": conversation.subject or "",
        "requester_email": customer.email or None,
        "requester_id": customer.id,
        "ticket_tags": tuple(tag.tag for tag in conversation.tags) if conversation.tags is not None else None,
    }
    threads = conversation.embedded.threads if conversation.embedded else []
    if threads:
        newest = _newest(threads)
        if newest.type != "customer":
            if newest.type == "note" and mentions_clvdesk(newest.body):
                return Ignored("note written by clvdesk")
            return Ignored(f"the newest thread is {newest.type[:30]!r}, not the customer's")
        if newest.state != "published":
            return Ignored(f"the customer's thread is {newest.state[:30]!r}, not published")
        if newest.customer and newest.customer.email:
            common["requester_email"] = newest.customer.email
        return TicketEvent(
            event_id=f"{conversation.id}:{newest.id}", text=plain_text(newest.body or ""),
            occurred_at=newest.createdAt, **common,
        )
    stamp = (conversation.customerWaitingSince and conversation.customerWaitingSince.time) or conversation.userUpdatedAt
    if not stamp:
        raise WebhookPayloadError(
            "_embedded.threads: missing, and neither customerWaitingSince.time nor userUpdatedAt names the message"
        )
    return TicketEvent(
        event_id=f"{conversation.id}:{event_name}:{stamp}", text=plain_text(conversation.preview or ""), **common
    )


class HelpScoutWebhook:
    """The web side of one Help Scout account: its signed deliveries, parsed."""

    helpdesk = NAME

    def __init__(self, account: str, secret: str | None):
        self.account = account
        self._secret = secret

    def authenticate(self, delivery: Delivery) -> None:
        verify_signature(delivery.body, delivery.headers.get(SIGNATURE_HEADER), self._secret)

    def parse(self, body: object, delivery: Delivery) -> TicketEvent | Ignored:
        return parse_helpscout_webhook(body, delivery.headers.get(EVENT_HEADER), account=self.account)

    def replay_key(self, delivery: Delivery) -> str | None:
        """None: the signature covers the body alone, and the event id is made from the body, so a
        replay of a signed body is the same event and dedupes as one."""
        return None
