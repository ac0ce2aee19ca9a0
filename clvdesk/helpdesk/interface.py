"""What the pipeline, receiver and worker need from a helpdesk, and nothing of any one vendor.

A helpdesk is one package under clvdesk/helpdesk/ that provides a `Helpdesk` entry: how to read its
settings, build its webhook adapter (the web side) and its API client (the worker side), and its
account's rate-limit policy. The registry (clvdesk/helpdesk/__init__.py) names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

    from clvdesk.events import Ignored, TicketEvent
    from clvdesk.metrics import Metrics
    from clvdesk.ratelimit import RateLimiter

NoteFormat = Literal["text", "markdown", "html"]


class Headers(Mapping[str, str]):
    """Request headers looked up whatever their case, as HTTP defines them (RFC 9110 §5.1)."""

    def __init__(self, items: Mapping[str, str] | None = None):
        self._items = {name.lower(): value for name, value in (items or {}).items()}

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Headers:
        """The headers of a WSGI request (HTTP_X_FOO -> x-foo, and CONTENT_TYPE / CONTENT_LENGTH)."""
        headers = cls()
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers._items[key[5:].replace("_", "-").lower()] = value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                headers._items[key.replace("_", "-").lower()] = value
        return headers

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Delivery:
    """One webhook request as received: its raw body, headers (any case), query and the request's id."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    request_id: str


class WebhookAdapter(Protocol):
    """The web side of one helpdesk account."""

    helpdesk: str  # the registry name, e.g. "zendesk"
    account: str  # a stable id of the account: subdomain, domain, mailbox app id

    def authenticate(self, delivery: Delivery) -> None:
        """Raise WebhookAuthError (answered 401) unless the delivery is provably from the account."""

    def parse(self, body: object, delivery: Delivery) -> TicketEvent | Ignored:
        """The event in a body already read by clvdesk.json_body.read_json; WebhookPayloadError (400)
        names the field that is wrong."""

    def replay_key(self, delivery: Delivery) -> str | None:
        """A digest of exactly what the signature covers, the same for every replay of one signed
        request; None where nothing is signed (the event id alone dedupes)."""


@dataclass(frozen=True)
class Requester:
    """Who opened the ticket, as far as the helpdesk knows."""

    email: str | None
    external_id: str | None


@dataclass(frozen=True)
class PostedNote:
    """What the note's write told: the ticket's tags after it, or None when the answer did not say."""

    tags: tuple[str, ...] | None = None


class HelpdeskClient(Protocol):
    """The worker side of one helpdesk account."""

    helpdesk: str
    account: str
    note_format: NoteFormat

    def requester(self, requester_id: str) -> Requester: ...

    def post_note(self, event: TicketEvent, note: str, tags: list[str]) -> PostedNote:
        """Post the private note; may set `tags` in the same write where the helpdesk allows it safely.
        Raises AmbiguousWrite when the write may have been applied without an answer saying so."""

    def has_note(self, ticket_id: str, reference: str) -> bool:
        """Whether a note carrying `reference` is on the ticket."""

    def add_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        """Add tags, keeping the ticket's others; returns the ticket's tags."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class RateLimitPolicy:
    """An account's API budget, for the limiter every worker shares (GCRA)."""

    per_minute: float
    burst: int


@dataclass(frozen=True)
class Helpdesk:
    """The registry entry of one helpdesk: everything clvdesk builds for it, from its own settings."""

    name: str
    # Its own settings class, env prefix CLVDESK_<NAME>_, loaded by clvdesk.settings.load_settings; the
    # helpdesk is served once any of its variables is set. Its `account` property names the account.
    settings: type[BaseSettings]
    # The web side and the worker side; each raises SettingsError naming the variable it lacks.
    webhook: Callable[[Any], WebhookAdapter]
    client: Callable[[Any, RateLimiter, Metrics], HelpdeskClient]
    rate_limit: Callable[[Any], RateLimitPolicy]
    ticket_id: Callable[[str], str]  # the helpdesk's id rule: the id, or ValueError saying why not
