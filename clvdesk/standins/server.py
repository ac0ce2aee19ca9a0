"""The HTTP server every stand-in helpdesk runs on: loopback, a request log, faults before and after applying.

A vendor's stand-in subclasses StandinServer with its routes, credentials check and error bodies. The base
can enforce a per-minute rate limit (429 with the vendor's headers), fail the next requests or a random
share of them (429, 5xx) before serving them, hold an answer back to simulate a slow API, and serve a
request (what it writes is written) and then lose the answer: a proxy's 502 or 504 in its place, the
connection cut, or the answer held past the caller's patience.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("clvdesk.standins")

IDLE_CONNECTION_SECONDS = 30  # a keep-alive connection silent this long is closed by the server
SHUTDOWN_POLL_SECONDS = 0.05  # how often the serving loop looks for stop(); bounds how long stop() takes
REDACTED = "<redacted>"
# How a served request's answer can be lost: a proxy's 502 or 504 instead, the connection closed with no
# answer, or the answer held back (past the caller's read timeout)
LOST_ANSWERS = (502, 504, "cut", "slow")
_FORM = "application/x-www-form-urlencoded"


class ContractViolation(Exception):
    """Raised by a `validate` callable when a request breaks the vendor's published contract."""


@dataclass
class StandinRequest:
    """One request as received; Authorization keeps only its scheme."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    status: int = 0  # the status answered, once known
    credentials: str = field(default="", repr=False)  # the raw Authorization header, never logged


@dataclass
class Answer:
    status: int  # 0: none (the connection is cut)
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    hold_seconds: float = 0.0  # sent only after this long


def json_answer(status: int, payload: object, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers or {})


def text_answer(status: int, text: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, text.encode(), "text/plain; charset=utf-8", headers or {})


def _proxy_answer(status: int) -> Answer:
    """What a reverse proxy sends when the upstream's answer did not reach it: its own HTML page."""
    phrase = HTTPStatus(status).phrase
    page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>"
    return Answer(status, page.encode(), "text/html")


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int | None
    method: str | None


@dataclass
class _Loss:
    how: int | str  # one of LOST_ANSWERS
    remaining: int
    method: str | None
    hold_seconds: float


_Pending = TypeVar("_Pending", _Fault, _Loss)
Handler = Callable[[StandinRequest], Answer]


def _take(pending: list[_Pending], method: str) -> _Pending | None:
    """The first of `pending` (faults or losses) that applies to `method`, counted down; callers hold the lock."""
    item = next((p for p in pending if p.method in (None, method)), None)
    if item is not None:
        item.remaining -= 1
        if item.remaining <= 0:
            pending.remove(item)
    return item


def _draw(rng: random.Random, shares: dict) -> object | None:
    """The key drawn with probability shares[key], or None with what probability is left."""
    draw = rng.random()
    for key, share in shares.items():
        if draw < share:
            return key
        draw -= share
    return None


def _check_loss(how: int | str, hold_seconds: float) -> None:
    if how not in LOST_ANSWERS:
        raise ValueError(f"an answer is lost as one of {LOST_ANSWERS}, not {how!r}")
    if how == "slow" and not hold_seconds > 0:
        raise ValueError('a "slow" answer needs hold_seconds')


def _redact(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: f"{value.partition(' ')[0]} {REDACTED}" if name.lower() == "authorization" else value
        for name, value in headers.items()
    }


class StandinServer:
    """The base of a stand-in: faults, limits and the log, over HTTP; every method is safe from any thread.

    Subclasses give `name`, and implement `route` (the handler for a request, or None), `refuse` (the
    answer instead of serving, e.g. 401, or None) and the vendor's bodies in `fault_answer`,
    `rate_limited_answer` and `not_found_answer`; `served_headers` adds headers to every served answer.
    """

    name = "stand-in"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        validate: Callable[[StandinRequest], None] | None = None,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60,
    ):
        self.url = ""
        self.requests: list[StandinRequest] = []
        self.violations: list[str] = []
        self._address = (host, port)
        self._validate = validate
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        # Helpdesks count requests per minute; a shorter window lets a test show the same in seconds.
        self._limit = requests_per_minute
        self._window = rate_window_seconds
        self._served_at: deque[float] = deque()  # authenticated requests within the window
        self.rate_limited = 0  # 429s answered because the rate limit was exceeded (not injected)
        self.injected: Counter[int] = Counter()  # statuses answered by fail_randomly()
        self._random_faults: tuple[dict[int, float], int, random.Random] | None = None
        self._losses: list[_Loss] = []
        self._random_losses: tuple[dict[int | str, float], str | None, float, random.Random] | None = None
        self.lost: Counter[str] = Counter()  # answers lost after serving, by how (as text: "502", "cut" ...)
        self._delays: list[tuple[float, str | None]] = []
        self.holding = threading.Event()  # set while an answer is held back (delay_next, a "slow" lost answer)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- the vendor's part -------------------------------------------------------------------------

    def route(self, request: StandinRequest) -> Handler | None:
        raise NotImplementedError

    def refuse(self, request: StandinRequest, handler: Handler) -> Answer | None:
        """The answer given instead of serving (wrong credentials), or None to serve."""
        raise NotImplementedError

    def fault_answer(self, status: int, retry_after: int | None) -> Answer:
        """An injected failure, with the body the vendor sends for that status."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return json_answer(status, {"error": HTTPStatus(status).phrase}, headers)

    def rate_limited_answer(self, retry_after: int) -> Answer:
        """The vendor's 429 when its budget is spent: `retry_after` seconds until a request may go again."""
        return self.fault_answer(429, retry_after)

    def not_found_answer(self) -> Answer:
        return json_answer(404, {"error": "Not Found"})

    def served_headers(self, used: int, limit: int) -> dict[str, str]:
        """Headers on every served answer under a rate limit (`used` of `limit` in the window)."""
        return {}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self):
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name=f"{self.name}-standin", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------------

    def fail_next(
        self, status: int, *, times: int = 1, retry_after: int | None = None, method: str | None = None
    ) -> None:
        """Answer the next `times` requests (of `method`, if given) with `status` instead of serving them."""
        if not 400 <= status < 600:
            raise ValueError("a fault is a 4xx or 5xx status")
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, method.upper() if method else None))

    def fail_randomly(self, shares: dict[int, float], *, retry_after: int = 1, seed: int = 0) -> None:
        """From now on, answer each request with status s (instead of serving it) with probability shares[s]."""
        with self._lock:
            self._random_faults = (dict(shares), retry_after, random.Random(seed))

    def lose_answer_next(
        self, how: int | str, *, times: int = 1, method: str | None = None, hold_seconds: float = 0.0
    ) -> None:
        """Serve the next `times` requests (of `method`, if given), so that what they write is written,
        then lose the answer `how` (one of LOST_ANSWERS; "slow" holds it back `hold_seconds`)."""
        _check_loss(how, hold_seconds)
        with self._lock:
            self._losses.append(_Loss(how, times, method.upper() if method else None, hold_seconds))

    def lose_answers_randomly(
        self, shares: dict[int | str, float], *, method: str | None = None, hold_seconds: float = 0.0, seed: int = 0
    ) -> None:
        """From now on, serve each request (of `method`, if given), then lose its answer in the way
        `how` with probability shares[how]."""
        for how in shares:
            _check_loss(how, hold_seconds)
        with self._lock:
            self._random_losses = (dict(shares), method.upper() if method else None, hold_seconds, random.Random(seed))

    def delay_next(self, seconds: float, *, method: str | None = None) -> None:
        """Serve the next request (of `method`, if given) but hold its answer back for `seconds`."""
        with self._lock:
            self._delays.append((seconds, method.upper() if method else None))

    # -- serving -----------------------------------------------------------------------------------

    def _answer(self, request: StandinRequest) -> Answer:
        """Decide the answer: readable body, contract, injected fault, route, credentials, limit, then serve."""
        content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
        if request.body and not content_type.startswith(_FORM):
            try:
                request.json = json.loads(request.body)
            except ValueError:
                return text_answer(400, "The request body is not valid JSON")
        if self._validate is not None:
            try:
                self._validate(request)
            except ContractViolation as exc:
                with self._lock:
                    self.violations.append(str(exc))
                return text_answer(400, str(exc))
        fault = self._take_fault(request.method) or self._random_fault()
        if fault is not None:
            return fault
        handler = self.route(request)
        if handler is None:
            return self.not_found_answer()
        refused = self.refuse(request, handler)
        if refused is not None:
            return refused
        limited, headers = self._over_limit()
        if limited is not None:
            return limited
        served = handler(request)
        served.headers.update(headers)
        return self._lose(request.method, served)

    def _lose(self, method: str, served: Answer) -> Answer:
        """The served answer, or what the caller gets in its place when a lost-answer fault is due."""
        with self._lock:
            loss = _take(self._losses, method)
            how, hold = (loss.how, loss.hold_seconds) if loss else (None, 0.0)
            if how is None and self._random_losses is not None:
                shares, only, hold, rng = self._random_losses
                how = _draw(rng, shares) if only in (None, method) else None
            if how is None:
                return served
            self.lost[str(how)] += 1
        if how == "cut":
            return Answer(0, b"", "")
        if how == "slow":
            return replace(served, hold_seconds=hold)
        return _proxy_answer(how)

    def _over_limit(self) -> tuple[Answer | None, dict[str, str]]:
        """The per-minute budget: past it, the vendor's 429 with the seconds until a request may go again;
        within it, the headers that report it."""
        if self._limit is None:
            return None, {}
        now = time.monotonic()
        with self._lock:
            while self._served_at and now - self._served_at[0] >= self._window:
                self._served_at.popleft()
            if len(self._served_at) >= self._limit:
                self.rate_limited += 1
                wait = max(1, math.ceil(self._window - (now - self._served_at[0])))
                return self.rate_limited_answer(wait), {}
            self._served_at.append(now)
            used = len(self._served_at)
        return None, self.served_headers(used, self._limit)

    def _random_fault(self) -> Answer | None:
        with self._lock:
            if self._random_faults is None:
                return None
            shares, retry_after, rng = self._random_faults
            status = _draw(rng, shares)
            if status is None:
                return None
            self.injected[status] += 1
        return self.fault_answer(status, retry_after)

    def _take_delay(self, method: str) -> float:
        with self._lock:
            delay = next((d for d in self._delays if d[1] in (None, method)), None)
            if delay is None:
                return 0.0
            self._delays.remove(delay)
        return delay[0]

    def _take_fault(self, method: str) -> Answer | None:
        with self._lock:
            fault = _take(self._faults, method)
        return None if fault is None else self.fault_answer(fault.status, fault.retry_after)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: StandinServer):
        self.standin = standin
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the stand-in decide the answer, records both."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the client's session expects
    disable_nagle_algorithm = True  # headers and body go out as separate writes; do not wait for ACKs
    timeout = IDLE_CONNECTION_SECONDS
    server: _Server

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = StandinRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=_redact(dict(self.headers.items())),
            body=self.rfile.read(length) if length else b"",
            credentials=self.headers.get("Authorization", ""),
        )
        standin = self.server.standin
        try:
            answer = standin._answer(request)
        except Exception:
            log.exception("stand-in %s failed on %s %s", standin.name, request.method, request.path)
            answer = json_answer(500, {"error": "InternalServerError", "description": "Internal Server Error"})
        request.status = answer.status
        with standin._lock:
            standin.requests.append(request)
        delay = max(standin._take_delay(request.method), answer.hold_seconds)
        if delay:
            standin.holding.set()
            time.sleep(delay)
            standin.holding.clear()
        if not answer.status:  # the connection is cut: closed without a byte of answer
            self.close_connection = True
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:  # the caller stopped waiting for a held answer and closed the connection
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stand-in %s: " + format, self.server.standin.name, *args)
