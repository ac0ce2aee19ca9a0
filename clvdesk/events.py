"""The one ticket event the worker handles, whatever helpdesk announced it, and the webhook's common failures.

Each helpdesk's webhook adapter (clvdesk/helpdesk/<name>/) turns its own bodies into a TicketEvent, or
an Ignored with the reason, so that clvdesk never answers its own notes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from clvdesk.defaults import MAX_RECORD_ID_CHARS, NOTE_REFERENCE_PREFIX

# A ticket's id as it may go into keys and paths; each helpdesk's adapter checks its own, narrower, rule
RecordId = Annotated[str, StringConstraints(pattern=rf"^[A-Za-z0-9_.-]{{1,{MAX_RECORD_ID_CHARS}}}$")]


class WebhookPayloadError(ValueError):
    """The body is JSON but not a ticket event clvdesk understands; the message names the field."""


class TicketEvent(BaseModel):
    """A customer wrote to support: what the worker needs to size an appeasement."""

    model_config = ConfigDict(frozen=True)

    helpdesk: str  # the registry name
    account: str  # the helpdesk account's stable id (WebhookAdapter.account)
    event_id: str
    kind: Literal["ticket.created", "ticket.comment_added", "trigger"]
    ticket_id: RecordId
    subject: str = ""
    text: str = ""
    requester_email: str | None = None
    requester_id: str | None = None
    requester_external_id: str | None = None
    # The ticket's tags and `updated_at` as the event saw them: with both, a helpdesk that can (Zendesk's
    # safe update) sets clvdesk's tags in the note's own write.
    ticket_tags: tuple[str, ...] | None = None
    ticket_updated_at: str | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None  # when clvdesk accepted the webhook: the start of its latency

    @property
    def scope(self) -> str:
        """What every key, metric and log line about this event is named under: two helpdesks, or two
        accounts of one, never share a record."""
        return f"{self.helpdesk}:{self.account}"

    @property
    def key(self) -> str:
        """A short, job-id-safe identity for the event (RQ job ids allow [A-Za-z0-9_-])."""
        digest = hashlib.sha256(f"{self.scope}:{self.event_id}".encode()).hexdigest()[:40]
        return f"{self.helpdesk}-{digest}"


@dataclass(frozen=True)
class Ignored:
    """A valid delivery that needs no suggestion, and why."""

    reason: str


def field_error(exc: ValidationError, root: str = "") -> WebhookPayloadError:
    """pydantic's first complaint as one line that names the field."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in (*([root] if root else []), *first["loc"]))
    return WebhookPayloadError(f"{path or 'body'}: {first['msg'].removeprefix('Value error, ')}")


def mentions_clvdesk(text: str | None) -> bool:
    """Whether the text carries a note's reference: clvdesk wrote it, and answers it never."""
    return bool(text) and NOTE_REFERENCE_PREFIX in text
