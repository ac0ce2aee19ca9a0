"""Freshdesk API v2 client: the calls clvdesk makes, over the common ApiTransport with Freshdesk's rules.

Basic auth with the agent's API key (password "X"). A private note is a POST that Freshdesk cannot be
asked to apply once only, so it is sent `repeatable=False`: a lost answer is an AmbiguousWrite, and
the pipeline looks for the note (its clvdesk-ref, in the ticket's conversations) before writing again.
Tags have no add call: PUT /tickets/{id} replaces the list, so the client reads, merges and writes.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import time
from collections.abc import Callable

from clvdesk.defaults import FRESHDESK_MAX_CONVERSATION_PAGES, FRESHDESK_PAGE_SIZE, HTTP_MAX_ATTEMPTS
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError
from clvdesk.helpdesk.freshdesk.settings import NAME, FreshdeskSettings
from clvdesk.helpdesk.freshdesk.webhook import freshdesk_id
from clvdesk.helpdesk.interface import PostedNote, Requester
from clvdesk.helpdesk.transport import ApiHooks, ApiResponse, ApiTransport
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter

log = logging.getLogger("clvdesk.helpdesk")
LIMIT_HEADER, REMAINING_HEADER = "X-RateLimit-Total", "X-RateLimit-Remaining"
TAG_WRITES = 2  # a tags PUT whose answer was lost is re-read and merged once more


def _refusal(response: ApiResponse) -> HelpdeskRequestError:
    """Freshdesk's error body as one line: its description and each field's code and message."""
    text = response.data.decode("utf-8", "replace")
    try:
        body = json.loads(text)
        errors = "; ".join(f"{e.get('field')}: {e.get('message')} ({e.get('code')})" for e in body.get("errors", []))
        text = ": ".join(part for part in (body.get("description") or body.get("message"), errors) if part) or text
    except (ValueError, AttributeError, TypeError):
        pass  # not Freshdesk's JSON (a proxy's page): keep the text
    return HelpdeskRequestError(response.method, response.path, response.status, text)


class FreshdeskClient:
    """The worker side of one Freshdesk account."""

    helpdesk = NAME
    note_format = "html"

    def __init__(
        self,
        settings: FreshdeskSettings,
        *,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
        max_attempts: int = HTTP_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        settings.require_posting()
        self.account = settings.account
        key = settings.api_key.get_secret_value()
        credentials = {"Authorization": "Basic " + base64.b64encode(f"{key}:X".encode()).decode()}
        self._budget = settings.requests_per_minute
        self._plan_checked = False
        self._api = ApiTransport(
            settings.url, ApiHooks(auth_headers=lambda: credentials, refusal=_refusal),
            helpdesk=NAME, account=self.account, max_attempts=max_attempts, sleep=sleep, limiter=limiter, metrics=metrics,
        )

    def close(self) -> None:
        self._api.close()

    def _call(self, method: str, path: str, **options) -> object:
        response = self._api.call(method, path, **options)
        self._check_plan(response)
        return response.json()

    def _check_plan(self, response: ApiResponse) -> None:
        """Say once if the account's plan allows fewer calls a minute than clvdesk is set to make."""
        if self._plan_checked or LIMIT_HEADER not in response.headers:
            return
        self._plan_checked = True
        try:
            total = float(response.headers[LIMIT_HEADER])
        except ValueError:
            return
        if total < self._budget:
            log.warning(
                "freshdesk %s allows %g calls a minute (%s), fewer than CLVDESK_FRESHDESK_REQUESTS_PER_MINUTE=%g: "
                "expect 429s", self.account, total, LIMIT_HEADER, self._budget,
            )

    def requester(self, requester_id: str) -> Requester:
        contact = self._call("GET", f"/api/v2/contacts/{freshdesk_id(requester_id)}")
        if not isinstance(contact, dict):
            raise HelpdeskError(f"GET /api/v2/contacts/{requester_id} answered without a contact")
        return Requester(email=contact.get("email") or None, external_id=contact.get("unique_external_id") or None)

    def post_note(self, event: TicketEvent, note: str, tags: list[str]) -> PostedNote:
        """The note as a private conversation (Freshdesk cannot set tags in the same write)."""
        path = f"/api/v2/tickets/{freshdesk_id(event.ticket_id)}/notes"
        self._call("POST", path, json={"body": note, "private": True}, repeatable=False)
        return PostedNote(tags=None)

    def has_note(self, ticket_id: str, reference: str) -> bool:
        """Whether a private conversation of the ticket carries `reference`, page by page (oldest first)."""
        path = f"/api/v2/tickets/{freshdesk_id(ticket_id)}/conversations"
        for page in range(1, FRESHDESK_MAX_CONVERSATION_PAGES + 1):
            items = self._call("GET", path, params={"page": page, "per_page": FRESHDESK_PAGE_SIZE})
            if not isinstance(items, list):
                raise HelpdeskError(f"GET {path} answered without a list of conversations")
            for item in items:
                if isinstance(item, dict) and item.get("private") and (
                    reference in (item.get("body_text") or "") or reference in html.unescape(item.get("body") or "")
                ):
                    return True
            if len(items) < FRESHDESK_PAGE_SIZE:
                return False
        raise HelpdeskError(f"GET {path}: more than {FRESHDESK_MAX_CONVERSATION_PAGES} pages, not searched to the end")

    def add_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        """Add `tags`, keeping the ticket's others: PUT replaces the list, so read, merge, write."""
        path = f"/api/v2/tickets/{freshdesk_id(ticket_id)}"
        writes = 0
        while True:
            ticket = self._call("GET", path)
            current = list(ticket.get("tags") or []) if isinstance(ticket, dict) else []
            if all(tag in current for tag in tags):
                return current
            merged = current + [tag for tag in dict.fromkeys(tags) if tag not in current]
            writes += 1
            try:
                answer = self._call("PUT", path, json={"tags": merged}, repeatable=False)
            except AmbiguousWrite:
                if writes >= TAG_WRITES:
                    raise
                continue  # read again: the PUT may have been applied, or another writer may have come between
            return list(answer.get("tags") or merged) if isinstance(answer, dict) else merged
