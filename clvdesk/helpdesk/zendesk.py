"""Zendesk Support API client: the few calls clvdesk makes, retried the way Zendesk asks to be retried.

It speaks HTTP through urllib3's connection pools directly: `requests` (on top of the same urllib3)
spent as much CPU per call on its session machinery (cookies, hooks, redirects, settings merged
from the environment on every call) as on the call itself. Proxies and the CA bundle come from
the environment once, as requests would read them.
"""

from __future__ import annotations

import base64
import json as jsonlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import certifi
import urllib3
from requests.utils import get_environ_proxies, select_proxy
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import HTTPError as TransportError

from clvdesk.defaults import (
    HTTP_BACKOFF_BASE_SECONDS,
    HTTP_BACKOFF_MAX_SECONDS,
    HTTP_CONNECT_TIMEOUT_SECONDS,
    HTTP_ERROR_BODY_MAX_CHARS,
    HTTP_MAX_ATTEMPTS,
    HTTP_READ_TIMEOUT_SECONDS,
    HTTP_RETRY_AFTER_MAX_SECONDS,
    ZENDESK_MAX_PAGE_SIZE,
)

from clvdesk import __version__
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter, RateLimitWaitTooLong

log = logging.getLogger("clvdesk.helpdesk")

_RETRIED_EXCEPTIONS = (TransportError, OSError)  # refused, reset, timed out, TLS or proxy failures
# No connection was made (refused, unresolvable or timed out: NewConnectionError is one): the request
# never left, so even a write may be sent again. Any other failure may come after the helpdesk read it.
_UNSENT_EXCEPTIONS = (ConnectTimeoutError,)


class HelpdeskError(Exception):
    """Base of every failure talking to the helpdesk, so callers can catch one type."""


class HelpdeskRequestError(HelpdeskError):
    """The helpdesk refused the request (a 4xx other than 429): sending it again will not help."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.method, self.path, self.status = method, path, status
        self.body = body[:HTTP_ERROR_BODY_MAX_CHARS]
        super().__init__(f"{method} {path} answered {status}: {self.body}")


class UpdateConflict(HelpdeskRequestError):
    """A safe update found the ticket changed since the `updated_stamp` it was given (409): nothing was written."""


class AmbiguousWrite(HelpdeskError):
    """A write that is not safe to repeat failed after it was sent (its answer was lost, cut, late, or
    a 5xx that may come after the helpdesk applied it): it may have been applied. Not retried; the
    caller looks for its effect before writing again."""

    def __init__(self, method: str, path: str, status: int | None, reason: str):
        self.method, self.path, self.status = method, path, status
        super().__init__(f"{method} {path} may have been applied: {reason}")


class HelpdeskUnavailable(HelpdeskError):
    """The helpdesk stayed busy or unreachable through every attempt: worth trying again later."""

    def __init__(self, method: str, path: str, status: int | None, attempts: int, reason: str):
        self.method, self.path, self.status, self.attempts = method, path, status, attempts
        super().__init__(f"{method} {path} failed after {attempts} attempt(s): {reason}")


def _record_id(value: int | str) -> str:
    """A Zendesk id as it goes in a path; anything else could reach another endpoint."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise ValueError(f"not a Zendesk id: {value!r}")
    return text


def _retry_after_seconds(response: urllib3.BaseHTTPResponse) -> float | None:
    """Zendesk's Retry-After, in seconds; None when absent or not a number."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _refused_unapplied(status: int, response: urllib3.BaseHTTPResponse) -> bool:
    """A busy answer that says the helpdesk took nothing: 429, or a 503 carrying Retry-After (Zendesk's
    own "come back later"). A 500, 502, 504 or a bare 503, possibly from a proxy after the upstream
    applied the write, says nothing of the sort."""
    return status == 429 or (status == 503 and "Retry-After" in response.headers)


def _json_body(method: str, path: str, response: urllib3.BaseHTTPResponse) -> dict:
    """The answer's JSON; anything else means the base URL is not a Zendesk API."""
    try:
        return jsonlib.loads(response.data)
    except ValueError as exc:
        raise HelpdeskError(f"{method} {path} answered {response.status} without JSON") from exc


def _pool(base_url: str) -> urllib3.PoolManager:
    """Keep-alive connections to `base_url`, through the environment's proxy (HTTPS_PROXY, NO_PROXY)
    and with its CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE; else certifi's), as requests reads them."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    tls = {"ca_cert_dir": bundle} if os.path.isdir(bundle) else {"ca_certs": bundle}
    options = {"retries": False, "timeout": urllib3.Timeout(connect=HTTP_CONNECT_TIMEOUT_SECONDS, read=HTTP_READ_TIMEOUT_SECONDS), **tls}
    proxy = select_proxy(base_url, get_environ_proxies(base_url))
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


class ZendeskClient:
    """Reads users, tickets and comments and posts private notes, over keep-alive connections."""

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
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._http = _pool(self._base_url)
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._limiter = limiter
        self._metrics = metrics
        self._headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"clvdesk/{__version__}",
            "Authorization": authorization,
        }

    def close(self) -> None:
        """Release pooled connections."""
        self._http.clear()

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_user(self, user_id: int | str) -> dict:
        return self._call("GET", f"/api/v2/users/{_record_id(user_id)}")["user"]

    def get_ticket(self, ticket_id: int | str) -> dict:
        return self._call("GET", f"/api/v2/tickets/{_record_id(ticket_id)}")["ticket"]

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
            page = self._call("GET", path, params=params)
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
        return self._call("PUT", f"/api/v2/tickets/{_record_id(ticket_id)}", json={"ticket": update}, repeatable=False)

    def add_tags(self, ticket_id: int | str, tags: Sequence[str]) -> list[str]:
        """Add tags, keeping the ticket's others; returns the ticket's tags.

        Adding a tag twice leaves one, so a lost answer is retried like a read's. Not "tags" on Update
        Ticket, which replaces the whole list:
        https://developer.zendesk.com/documentation/ticketing/managing-tickets/adding-tags-to-tickets-without-overwriting-existing-tags
        """
        return self._call("PUT", f"/api/v2/tickets/{_record_id(ticket_id)}/tags", json={"tags": list(tags)})["tags"]

    def _call(
        self, method: str, path: str, *, params: dict | None = None, json: dict | None = None, repeatable: bool = True
    ) -> dict:
        """One API call with Zendesk's retry rules: 429 waits Retry-After, 5xx and network errors back off.

        A call that is not `repeatable` (it would write twice) is retried only after a failure known to
        come before the helpdesk applied it: no connection made, 429, or 503 with Retry-After. Any other
        failure raises AmbiguousWrite at once.

        With a shared limiter every attempt first takes a slot from the account's budget, and a 429
        pauses the whole account (every worker) instead of only this caller.
        """
        cause: Exception | None = None
        url = self._base_url + path + (f"?{urlencode(params)}" if params else "")
        body = jsonlib.dumps(json).encode() if json is not None else None
        for attempt in range(1, self._max_attempts + 1):
            if self._limiter is not None:
                try:
                    self._limiter.acquire()
                except RateLimitWaitTooLong as exc:
                    raise HelpdeskUnavailable(method, path, None, attempt - 1, str(exc)) from exc
            try:
                response = self._http.request(method, url, body=body, headers=self._headers, redirect=False)
            except _RETRIED_EXCEPTIONS as exc:
                cause, status, reason, wait = exc, None, type(exc).__name__, self._backoff(attempt)
                unapplied = isinstance(exc, _UNSENT_EXCEPTIONS)
            else:
                cause, status = None, response.status
            self._count("clvdesk_helpdesk_requests_total", status=str(status or 0))
            if status is not None:
                if status < 400:
                    return _json_body(method, path, response)
                if status != 429 and status < 500:
                    refused = UpdateConflict if status == 409 else HelpdeskRequestError
                    raise refused(method, path, status, response.data.decode("utf-8", "replace"))
                reason, wait = f"answered {status}", self._backoff(attempt)
                unapplied = _refused_unapplied(status, response)
                retry_after = _retry_after_seconds(response) if status == 429 else None
                if retry_after is not None:
                    if retry_after > HTTP_RETRY_AFTER_MAX_SECONDS:
                        reason = f"Retry-After {retry_after:g}s is over {HTTP_RETRY_AFTER_MAX_SECONDS}s"
                        raise HelpdeskUnavailable(method, path, status, attempt, reason)
                    wait = retry_after
                    if self._limiter is not None:
                        self._limiter.pause(retry_after)
                        wait = 0  # the next acquire() waits out the pause with everyone else
            if not (repeatable or unapplied):
                log.warning("%s %s %s after it was sent: not repeated blindly", method, path, reason)
                self._count("clvdesk_helpdesk_ambiguous_writes_total")
                raise AmbiguousWrite(method, path, status, reason) from cause
            if attempt < self._max_attempts:
                log.warning(
                    "%s %s %s (attempt %d of %d); retrying in %.1fs",
                    method, path, reason, attempt, self._max_attempts, wait,
                )
                self._count("clvdesk_helpdesk_retries_total")
                if wait:
                    self._sleep(wait)
        raise HelpdeskUnavailable(method, path, status, self._max_attempts, reason) from cause

    def _count(self, name: str, **labels: str) -> None:
        if self._metrics is not None:
            self._metrics.count(name, **labels)

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(HTTP_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), HTTP_BACKOFF_MAX_SECONDS)
