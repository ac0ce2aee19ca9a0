"""HTTP to a helpdesk API, retried the way helpdesks ask to be retried and never writing twice blindly.

It speaks HTTP through urllib3's connection pools directly: `requests` (on top of the same urllib3)
spent as much CPU per call on its session machinery (cookies, hooks, redirects, settings merged
from the environment on every call) as on the call itself. Proxies and the CA bundle come from
the environment once, as requests would read them. What differs between vendors (credentials,
how a 429 says when to come back, which busy answers took nothing, error bodies) is in `ApiHooks`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import certifi
import urllib3
from requests.utils import get_environ_proxies, select_proxy
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import HTTPError as TransportError

from clvdesk import __version__
from clvdesk.defaults import (
    HTTP_BACKOFF_BASE_SECONDS,
    HTTP_BACKOFF_MAX_SECONDS,
    HTTP_CONNECT_TIMEOUT_SECONDS,
    HTTP_MAX_ATTEMPTS,
    HTTP_READ_TIMEOUT_SECONDS,
    HTTP_RETRY_AFTER_MAX_SECONDS,
)
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError, HelpdeskUnavailable
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter, RateLimitWaitTooLong

log = logging.getLogger("clvdesk.helpdesk")

_RETRIED_EXCEPTIONS = (TransportError, OSError)  # refused, reset, timed out, TLS or proxy failures
# No connection was made (refused, unresolvable or timed out: NewConnectionError is one): the request
# never left, so even a write may be sent again. Any other failure may come after the helpdesk read it.
_UNSENT_EXCEPTIONS = (ConnectTimeoutError,)


@dataclass(frozen=True)
class ApiResponse:
    """One answer: its status, headers (any case) and raw body."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    data: bytes

    def json(self) -> object:
        """The answer's JSON; anything else means the base URL is not the helpdesk's API."""
        try:
            return jsonlib.loads(self.data)
        except ValueError as exc:
            raise HelpdeskError(f"{self.method} {self.path} answered {self.status} without JSON") from exc


def retry_after_header(response: ApiResponse) -> float | None:
    """Retry-After in seconds (RFC 9110 §10.2.3, the delay form); None when absent or not a number."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def only_429_refused(response: ApiResponse) -> bool:
    """A 429 says nothing was applied; a 5xx, possibly from a proxy after the upstream applied the
    write, says nothing of the sort."""
    return response.status == 429


def plain_refusal(response: ApiResponse) -> HelpdeskRequestError:
    return HelpdeskRequestError(response.method, response.path, response.status, response.data.decode("utf-8", "replace"))


@dataclass(frozen=True)
class ApiHooks:
    """What one vendor's API does its own way."""

    auth_headers: Callable[[], Mapping[str, str]]  # called per attempt, so a token can be refreshed
    retry_after: Callable[[ApiResponse], float | None] = retry_after_header  # read on 429s
    refused_unapplied: Callable[[ApiResponse], bool] = only_429_refused  # a busy answer that took nothing
    refusal: Callable[[ApiResponse], HelpdeskRequestError] = plain_refusal  # a 4xx (not 429) as an error


def _pool(base_url: str) -> urllib3.PoolManager:
    """Keep-alive connections to `base_url`, through the environment's proxy (HTTPS_PROXY, NO_PROXY)
    and with its CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE; else certifi's), as requests reads them."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    tls = {"ca_cert_dir": bundle} if os.path.isdir(bundle) else {"ca_certs": bundle}
    options = {"retries": False, "timeout": urllib3.Timeout(connect=HTTP_CONNECT_TIMEOUT_SECONDS, read=HTTP_READ_TIMEOUT_SECONDS), **tls}
    proxy = select_proxy(base_url, get_environ_proxies(base_url))
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


class ApiTransport:
    """Calls to one helpdesk account's API over keep-alive connections, paced by a shared limiter;
    its metrics carry the helpdesk and account."""

    def __init__(
        self,
        base_url: str,
        hooks: ApiHooks,
        *,
        helpdesk: str,
        account: str,
        max_attempts: int = HTTP_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self._hooks = hooks
        self._helpdesk = helpdesk
        self._labels = {"helpdesk": helpdesk, "account": account}
        self._http = _pool(self.base_url)
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._limiter = limiter
        self._metrics = metrics
        self._headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"clvdesk/{__version__}",
        }

    def close(self) -> None:
        """Release pooled connections."""
        self._http.clear()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        repeatable: bool = True,
    ) -> ApiResponse:
        """One API call: 429 waits what the vendor's answer says, 5xx and network errors back off.

        A call that is not `repeatable` (it would write twice) is retried only after a failure known to
        come before the helpdesk applied it: no connection made, or a busy answer the vendor's hook
        calls unapplied (429 at least). Any other failure raises AmbiguousWrite at once.

        With a shared limiter every attempt first takes a slot from the account's budget, and a 429
        pauses the whole account (every worker) instead of only this caller.
        """
        cause: Exception | None = None
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        body = jsonlib.dumps(json).encode() if json is not None else None
        for attempt in range(1, self._max_attempts + 1):
            if self._limiter is not None:
                try:
                    self._limiter.acquire()
                except RateLimitWaitTooLong as exc:
                    raise HelpdeskUnavailable(method, path, None, attempt - 1, str(exc)) from exc
            headers = {**self._headers, **self._hooks.auth_headers()}
            try:
                raw = self._http.request(method, url, body=body, headers=headers, redirect=False)
            except _RETRIED_EXCEPTIONS as exc:
                cause, status, reason, wait = exc, None, type(exc).__name__, self._backoff(attempt)
                unapplied = isinstance(exc, _UNSENT_EXCEPTIONS)
            else:
                cause, status = None, raw.status
            self._count("clvdesk_helpdesk_requests_total", status=str(status or 0))
            if status is not None:
                response = ApiResponse(method, path, status, raw.headers, raw.data)
                if status < 400:
                    return response
                if status != 429 and status < 500:
                    raise self._hooks.refusal(response)
                reason, wait = f"answered {status}", self._backoff(attempt)
                unapplied = self._hooks.refused_unapplied(response)
                retry_after = self._hooks.retry_after(response) if status == 429 else None
                if retry_after is not None:
                    if retry_after > HTTP_RETRY_AFTER_MAX_SECONDS:
                        reason = f"Retry-After {retry_after:g}s is over {HTTP_RETRY_AFTER_MAX_SECONDS}s"
                        raise HelpdeskUnavailable(method, path, status, attempt, reason)
                    wait = retry_after
                    if self._limiter is not None:
                        self._limiter.pause(retry_after)
                        wait = 0  # the next acquire() waits out the pause with everyone else
            if not (repeatable or unapplied):
                log.warning("%s %s %s %s after it was sent: not repeated blindly", self._helpdesk, method, path, reason)
                self._count("clvdesk_helpdesk_ambiguous_writes_total")
                raise AmbiguousWrite(method, path, status, reason) from cause
            if attempt < self._max_attempts:
                log.warning(
                    "%s %s %s %s (attempt %d of %d); retrying in %.1fs",
                    self._helpdesk, method, path, reason, attempt, self._max_attempts, wait,
                )
                self._count("clvdesk_helpdesk_retries_total")
                if wait:
                    self._sleep(wait)
        raise HelpdeskUnavailable(method, path, status, self._max_attempts, reason) from cause

    def _count(self, name: str, **labels: str) -> None:
        if self._metrics is not None:
            self._metrics.count(name, **self._labels, **labels)

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(HTTP_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), HTTP_BACKOFF_MAX_SECONDS)
