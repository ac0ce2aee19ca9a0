"""Zendesk Support API client: the few calls clvdesk makes, over the common ApiTransport with Zendesk's rules."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Sequence

from clvdesk.defaults import HTTP_MAX_ATTEMPTS, ZENDESK_MAX_PAGE_SIZE
from clvdesk.helpdesk.errors import HelpdeskRequestError
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.interface import PostedNote, Requester
from clvdesk.helpdesk.transport import ApiHooks, ApiResponse, ApiTransport, plain_refusal
from clvdesk.helpdesk.zendesk.settings import NAME, account_of
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter

log = logging.getLogger("clvdesk.helpdesk.zendesk")

class UpdateConflict(HelpdeskRequestError):
    """A safe update found the ticket changed since the `updated_stamp` it was given (409): nothing was written."""


def _record_id(value: int | str) -> str:
    """A Zendesk id as it goes in a path; anything else could reach another endpoint."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise ValueError(f"not a Zendesk id: {value!r}")
    return text


def _refused_unapplied(response: ApiResponse) -> bool:
    """A busy answer that says the helpdesk took nothing: 429, or a 503 carrying Retry-After (Zendesk's
    own "come back later"). A 500, 502, 504 or a bare 503, possibly from a proxy after the upstream
    applied the write, says nothing of the sort."""
    return response.status == 429 or (response.status == 503 and "Retry-After" in response.headers)


def _refusal(response: ApiResponse) -> HelpdeskRequestError:
    if response.status == 409:
        return UpdateConflict(response.method, response.path, response.status, response.data.decode("utf-8", "replace"))
    return plain_refusal(response)


def _posted(answer: dict) -> PostedNote:
    """The ticket's tags from an update's answer, when it carries them."""
    tags = (answer.get("ticket") or {}).get("tags")
    return PostedNote(tuple(tags) if isinstance(tags, list) else None)


class ZendeskClient:
    """Reads users, tickets and comments and posts private notes, over keep-alive connections."""

    helpdesk = NAME
    note_format = "text"  # Zendesk shows a comment's `body` as plain text

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        api_token: str | None = None,
        oauth_token: str | None = None,
        max_attempts: int = HTTP_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
    ):
        if oauth_token:
            authorization = f"Bearer {oauth_token}"
        elif email and api_token:
            authorization = "Basic " + base64.b64encode(f"{email}/token:{api_token}".encode("latin-1")).decode()
        else:
            raise ValueError("Zendesk needs email and api_token, or oauth_token")
        self.account = account_of(base_url)
        credentials = {"Authorization": authorization}
        hooks = ApiHooks(auth_headers=lambda: credentials, refused_unapplied=_refused_unapplied, refusal=_refusal)
        self._api = ApiTransport(
            base_url, hooks, helpdesk=NAME, account=self.account, max_attempts=max_attempts, sleep=sleep, limiter=limiter, metrics=metrics
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._api.close()

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def requester(self, requester_id: str) -> Requester:
        user = self.get_user(requester_id)
        return Requester(user.get("email") or None, user.get("external_id") or None)

    def post_note(self, event: TicketEvent, note: str, tags: list[str]) -> PostedNote:
        """Post the note, with clvdesk's tags in the same update when the event told the ticket's tags
        and when they were read (one call instead of two). That update replaces the tag list, so it is
        a safe update: if the ticket changed since, Zendesk refuses it (409, nothing written) and the
        note goes alone, Add Tags following. A safe update whose answer is lost is not followed by the
        note alone: AmbiguousWrite goes to the caller, which looks first."""
        known = event.ticket_tags
        if known is not None and event.ticket_updated_at and not set(tags) <= set(known):
            try:
                answer = self.add_private_note(
                    event.ticket_id, note, tags=[*known, *(tag for tag in tags if tag not in known)],
                    updated_stamp=event.ticket_updated_at,
                )
            except UpdateConflict:
                log.info("ticket=%s changed since the event: note without tags, then Add Tags", event.ticket_id)
            else:
                return _posted(answer)
        return _posted(self.add_private_note(event.ticket_id, note))

    def has_note(self, ticket_id: str, reference: str) -> bool:
        return any(reference in (comment.get("body") or "") for comment in self.list_comments(ticket_id))

    def get_user(self, user_id: int | str) -> dict:
        return self._api.call("GET", f"/api/v2/users/{_record_id(user_id)}").json()["user"]

    def get_ticket(self, ticket_id: int | str) -> dict:
        return self._api.call("GET", f"/api/v2/tickets/{_record_id(ticket_id)}").json()["ticket"]

    def list_comments(self, ticket_id: int | str, *, newest_first: bool = True, limit: int = 100) -> list[dict]:
        """Up to `limit` comments, following Zendesk's cursor pages (the only mode that can sort newest first)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        path = f"/api/v2/tickets/{_record_id(ticket_id)}/comments"
        params = {
            "page[size]": min(limit, ZENDESK_MAX_PAGE_SIZE),
            "sort": "-created_at" if newest_first else "created_at",
        }
        comments: list[dict] = []
        while True:
            page = self._api.call("GET", path, params=params).json()
            comments.extend(page["comments"])
            meta = page.get("meta") or {}
            if len(comments) >= limit or not meta.get("has_more") or not meta.get("after_cursor"):
                return comments[:limit]
            params["page[after]"] = meta["after_cursor"]

    def add_private_note(
        self, ticket_id: int | str, body: str, *, tags: Sequence[str] | None = None, updated_stamp: str | None = None
    ) -> dict:
        """Post an internal note; returns Zendesk's answer, {"ticket": ..., "audit": ...}.

        With `tags` (the ticket's whole new list, since "tags" replaces it) the update is a safe one:
        Zendesk applies it only if the ticket's `updated_at` still equals `updated_stamp`, and
        answers 409 (UpdateConflict) otherwise, so no tag set by someone else in between is lost.
        """
        update: dict = {"comment": {"body": body, "public": False}}
        if tags is not None:
            if not updated_stamp:
                raise ValueError("replacing a ticket's tags needs the updated_stamp they were read at")
            update.update(tags=list(tags), safe_update=True, updated_stamp=updated_stamp)
        path = f"/api/v2/tickets/{_record_id(ticket_id)}"
        return self._api.call("PUT", path, json={"ticket": update}, repeatable=False).json()

    def add_tags(self, ticket_id: int | str, tags: Sequence[str]) -> list[str]:
        """Add tags, keeping the ticket's others; returns the ticket's tags.

        Adding a tag twice leaves one, so a lost answer is retried like a read's. Not "tags" on Update
        Ticket, which replaces the whole list:
        https://developer.zendesk.com/documentation/ticketing/managing-tickets/adding-tags-to-tickets-without-overwriting-existing-tags
        """
        path = f"/api/v2/tickets/{_record_id(ticket_id)}/tags"
        return self._api.call("PUT", path, json={"tags": list(tags)}).json()["tags"]
