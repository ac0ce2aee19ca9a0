"""Gorgias REST API client: the internal note, the tags, the customer, paced by the account's leaky bucket.

Gorgias limits each account with a leaky bucket (40 requests per 20 s for API keys) and tells on every
answer how full it is, in X-Gorgias-Account-Api-Call-Limit ("used/limit"). The account's other integrations
fill the same bucket, so besides the shared limiter's own pace, an answer showing the bucket fuller than
GORGIAS_CALL_LIMIT_THRESHOLD holds every worker until it has drained back; a 429 holds them for its
Retry-after (https://developers.gorgias.com/reference/limitations).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable

from clvdesk.defaults import (
    GORGIAS_CALL_LIMIT_THRESHOLD,
    GORGIAS_MAX_PAGE_SIZE,
    GORGIAS_NOTE_SEARCH_PAGES,
    GORGIAS_WINDOW_SECONDS,
    HTTP_MAX_ATTEMPTS,
)
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import HelpdeskError, HelpdeskRequestError
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.helpdesk.gorgias.settings import NAME
from clvdesk.helpdesk.interface import PostedNote, Requester
from clvdesk.helpdesk.settings import account_of
from clvdesk.helpdesk.transport import ApiHooks, ApiResponse, ApiTransport, retry_after_header
from clvdesk.metrics import Metrics
from clvdesk.note import note_reference, text_note_as_html
from clvdesk.ratelimit import RateLimiter

log = logging.getLogger("clvdesk.helpdesk")

CALL_LIMIT_HEADER = "X-Gorgias-Account-Api-Call-Limit"
INTERNAL_NOTE = "internal-note"
# Adding a tag the account does not have yet is refused with one of these; clvdesk creates it and adds again.
UNKNOWN_TAG_STATUSES = (400, 404, 422)
TAG_EXISTS_STATUSES = (409, 422)  # creating a tag the account already has


def call_limit(response: ApiResponse) -> tuple[int, int] | None:
    """(used, limit) from the call-limit header; None when absent or not two counts."""
    used, slash, limit = (response.headers.get(CALL_LIMIT_HEADER) or "").partition("/")
    try:
        counts = int(used), int(limit)
    except ValueError:
        return None
    return counts if slash and counts[1] > 0 and counts[0] >= 0 else None


class GorgiasClient:
    """The worker side of one Gorgias account, over keep-alive connections."""

    helpdesk = NAME
    note_format = "text"  # Gorgias keeps a text and an HTML body: the HTML is made from the text

    def __init__(
        self,
        base_url: str,
        *,
        email: str,
        api_key: str,
        sender_user_id: str,
        window_seconds: float = GORGIAS_WINDOW_SECONDS,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
        max_attempts: int = HTTP_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        authorization = {"Authorization": "Basic " + base64.b64encode(f"{email}:{api_key}".encode()).decode()}
        self.account = account_of(base_url)
        self._sender = int(gorgias_id(sender_user_id))
        self._window = window_seconds
        self._limiter = limiter
        self._sleep = sleep
        self._api = ApiTransport(
            base_url, ApiHooks(auth_headers=lambda: authorization, retry_after=self._retry_after),
            helpdesk=NAME, account=self.account, max_attempts=max_attempts, sleep=sleep, limiter=limiter, metrics=metrics,
        )

    def close(self) -> None:
        self._api.close()

    def requester(self, requester_id: str) -> Requester:
        customer = self._json("GET", f"/api/customers/{gorgias_id(requester_id)}")
        email = customer.get("email") or next(
            (channel.get("address") for channel in customer.get("channels") or () if channel.get("type") == "email"), None
        )
        return Requester(email=email or None, external_id=customer.get("external_id") or None)

    def post_note(self, event: TicketEvent, note: str, tags: list[str]) -> PostedNote:
        """The note as an internal-note message; Gorgias sets no tags in the same write, so `tags` is
        left to add_tags. Raises AmbiguousWrite when the message may have been created unanswered."""
        message = {
            "channel": INTERNAL_NOTE,
            "via": "api",
            "from_agent": True,
            "sender": {"id": self._sender},
            "external_id": note_reference(event.event_id),  # Gorgias keeps it for foreign systems' ids
            "body_text": note,
            "body_html": text_note_as_html(note),
        }
        self._call("POST", f"/api/tickets/{gorgias_id(event.ticket_id)}/messages", json=message, repeatable=False)
        return PostedNote(tags=None)

    def has_note(self, ticket_id: str, reference: str) -> bool:
        """Whether one of the ticket's newest messages is an internal note carrying `reference`, by its
        external id or (a note copied by hand) its text."""
        params: dict[str, object] = {
            "ticket_id": gorgias_id(ticket_id), "limit": GORGIAS_MAX_PAGE_SIZE, "order_by": "created_datetime:desc",
        }
        for _ in range(GORGIAS_NOTE_SEARCH_PAGES):
            page = self._json("GET", "/api/messages", params=params)
            for message in page.get("data") or ():
                if message.get("channel") == INTERNAL_NOTE and (
                    message.get("external_id") == reference or reference in (message.get("body_text") or "")
                ):
                    return True
            cursor = (page.get("meta") or {}).get("next_cursor")
            if not cursor:
                return False
            params["cursor"] = cursor
        log.warning("gorgias ticket %s: no note %s among its %d newest messages", ticket_id, reference,
                    GORGIAS_NOTE_SEARCH_PAGES * GORGIAS_MAX_PAGE_SIZE)
        return False

    def add_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        """Add tags by name, keeping the ticket's others (POST adds; PUT would replace them all), creating
        any the account lacks; returns the ticket's tags. Adding a tag twice leaves one, so a lost answer
        is retried like a read's."""
        path = f"/api/tickets/{gorgias_id(ticket_id)}/tags"
        try:
            self._call("POST", path, json={"names": list(tags)})
        except HelpdeskRequestError as exc:
            if exc.status not in UNKNOWN_TAG_STATUSES:
                raise
            for tag in tags:
                self._create_tag(tag)
            self._call("POST", path, json={"names": list(tags)})
        listed = self._call("GET", path).json()
        if not isinstance(listed, list):
            raise HelpdeskError(f"GET {path} answered {type(listed).__name__}, not a list of tags")
        return [tag["name"] for tag in listed if isinstance(tag, dict) and isinstance(tag.get("name"), str)]

    def _create_tag(self, name: str) -> None:
        try:
            self._call("POST", "/api/tags", json={"name": name})
        except HelpdeskRequestError as exc:
            if exc.status not in TAG_EXISTS_STATUSES:
                raise

    def _json(self, method: str, path: str, **options: object) -> dict:
        body = self._call(method, path, **options).json()
        if not isinstance(body, dict):
            raise HelpdeskError(f"{method} {path} answered {type(body).__name__}, not an object")
        return body

    def _call(self, method: str, path: str, **options: object) -> ApiResponse:
        response = self._api.call(method, path, **options)
        self._drain(response)
        return response

    def _drain(self, response: ApiResponse) -> None:
        """Hold every worker while the account's bucket is fuller than the threshold, until it has leaked
        back to it (the bucket leaks `limit` requests per window)."""
        counts = call_limit(response)
        if counts is None:
            return
        used, limit = counts
        excess = used - GORGIAS_CALL_LIMIT_THRESHOLD * limit
        if excess <= 0:
            return
        wait = excess * self._window / limit
        log.info("gorgias %s: bucket at %d/%d, holding %.1fs", self.account, used, limit, wait)
        if self._limiter is not None:
            self._limiter.pause(wait)
        else:
            self._sleep(wait)

    def _retry_after(self, response: ApiResponse) -> float | None:
        """A 429's Retry-after; without one, the time one request takes to leak out of the bucket."""
        seconds = retry_after_header(response)
        if seconds is None and (counts := call_limit(response)) is not None:
            seconds = self._window / counts[1]
        return seconds
