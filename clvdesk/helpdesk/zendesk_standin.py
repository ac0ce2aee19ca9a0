"""A stand-in Zendesk on 127.0.0.1: a real HTTP server keeping Zendesk's documented contract, for the demo and tests.

It serves the Support API calls clvdesk makes, with Zendesk's paths, credentials check, error bodies and
cursor pagination. It can enforce a per-minute rate limit as Zendesk does (429 with Retry-After), fail
the next requests or a random share of them (429, 5xx) before serving them, hold an answer back to
simulate a slow API, and serve a request (what it writes is written) and then lose the answer: a
proxy's 502 or 504 in its place, the connection cut, or the answer held past the caller's patience.
"""

from __future__ import annotations

import base64
import copy
import hmac
import html
import itertools
import json
import logging
import math
import random
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from clvdesk.defaults import ZENDESK_MAX_PAGE_SIZE
from clvdesk.events import ZENDESK_TIME_FORMAT

log = logging.getLogger("clvdesk.helpdesk.standin")

AGENT_ID = 90_000_001  # the API user; far above the ids the demo and tests give their own users
FIRST_GENERATED_ID = 10_000_001  # comments and audits are numbered from here, apart from ticket ids
IDLE_CONNECTION_SECONDS = 30  # a keep-alive connection silent this long is closed by the server
SHUTDOWN_POLL_SECONDS = 0.05  # how often the serving loop looks for stop(); bounds how long stop() takes
USER_ROLES = ("end-user", "agent", "admin")
UPDATABLE_FIELDS = ("subject", "status", "priority", "type", "assignee_id", "group_id", "external_id")
REDACTED = "<redacted>"
# How a served request's answer can be lost: a proxy's 502 or 504 instead, the connection closed with no
# answer, or the answer held back (past the caller's read timeout)
LOST_ANSWERS = (502, 504, "cut", "slow")

# Zendesk's own answers, as its API sends them
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}
RECORD_NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
INVALID_ENDPOINT = {"error": "InvalidEndpoint", "description": "Not found"}
# Zendesk documents the status of a refused safe update (409 Conflict), not its body; this one follows
# the shape of its other JSON errors.
UPDATE_CONFLICT = {"error": "UpdateConflict", "description": "The ticket was updated after updated_stamp"}
RATE_LIMITED_TEXT = "Number of allowed API requests per minute exceeded"  # text/plain, as Zendesk sends it


class ContractViolation(Exception):
    """Raised by a `validate` callable when a request breaks Zendesk's published contract."""


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


@dataclass
class _Answer:
    status: int  # 0: none (the connection is cut)
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    hold_seconds: float = 0.0  # sent only after this long


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


def _json_answer(status: int, payload: object, headers: dict[str, str] | None = None) -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers or {})


def _text_answer(status: int, text: str, headers: dict[str, str] | None = None) -> _Answer:
    # Zendesk answers API-level errors such as a malformed request in text/plain
    return _Answer(status, text.encode(), "text/plain; charset=utf-8", headers or {})


def _now() -> str:
    return datetime.now(timezone.utc).strftime(ZENDESK_TIME_FORMAT)


def _encode_cursor(comment_id: int) -> str:
    return base64.urlsafe_b64encode(f"comment:{comment_id}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    """The comment id inside a cursor; ValueError for one this server did not hand out."""
    text = base64.urlsafe_b64decode(cursor.encode()).decode()
    prefix, _, number = text.partition(":")
    if prefix != "comment":
        raise ValueError(cursor)
    return int(number)


def _fault_answer(status: int, retry_after: int | None) -> _Answer:
    """An injected failure, with the body Zendesk sends for that status."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    if status == 429:
        return _text_answer(429, RATE_LIMITED_TEXT, headers)
    phrase = HTTPStatus(status).phrase
    return _json_answer(status, {"error": phrase.replace(" ", ""), "description": phrase}, headers)


def _proxy_answer(status: int) -> _Answer:
    """What a reverse proxy sends when the upstream's answer did not reach it: its own HTML page."""
    phrase = HTTPStatus(status).phrase
    page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>"
    return _Answer(status, page.encode(), "text/html")


def _tag_list(value: object) -> list[str]:
    """Zendesk takes tags as a list or as one space-separated string."""
    return value.split() if isinstance(value, str) else [str(tag) for tag in value or ()]


def _redact(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: f"{value.partition(' ')[0]} {REDACTED}" if name.lower() == "authorization" else value
        for name, value in headers.items()
    }


class ZendeskStandin:
    """Users, tickets and comments in memory, served over HTTP; every method is safe from any thread."""

    def __init__(
        self,
        *,
        email: str = "clvdesk@example.com",
        api_token: str | None = None,
        oauth_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        validate: Callable[[StandinRequest], None] | None = None,
        on_note: Callable[[int, dict], None] | None = None,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60,
    ):
        self.email = email
        # with no credential given, make one up, so the server never takes every caller
        self.api_token = api_token if api_token or oauth_token else secrets.token_urlsafe(16)
        self.oauth_token = oauth_token
        self.url = ""
        self.requests: list[StandinRequest] = []
        self.violations: list[str] = []
        self._address = (host, port)
        self._validate = validate
        self._on_note = on_note
        self._lock = threading.Lock()
        self._ids = itertools.count(FIRST_GENERATED_ID)
        self._users: dict[int, dict] = {}
        self._tickets: dict[int, dict] = {}
        self._comments: dict[int, list[dict]] = {}
        self._notes: list[tuple[int, dict]] = []
        self._faults: list[_Fault] = []
        # Zendesk counts requests per minute; a shorter window lets a test show the same in seconds.
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
        self.add_user(AGENT_ID, email, name="clvdesk", role="agent")

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> ZendeskStandin:
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name="zendesk-standin", daemon=True
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

    def __enter__(self) -> ZendeskStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- seeding and inspection --------------------------------------------------------------------

    def add_user(
        self, user_id: int, email: str, *, name: str = "", external_id: str | None = None, role: str = "end-user"
    ) -> dict:
        if role not in USER_ROLES:
            raise ValueError(f"role must be one of {USER_ROLES}")
        now = _now()
        user = {
            "id": user_id, "name": name or email, "email": email, "role": role, "external_id": external_id,
            "active": True, "verified": True, "tags": [], "user_fields": {}, "created_at": now, "updated_at": now,
        }
        with self._lock:
            if user_id in self._users:
                raise ValueError(f"user {user_id} exists")
            self._users[user_id] = user
            return self._render_user(user)

    def add_ticket(
        self, ticket_id: int, *, requester_id: int, subject: str = "", description: str = "", tags: Sequence[str] = ()
    ) -> dict:
        """A ticket whose description is its first comment, public and by the requester, as in Zendesk."""
        now = _now()
        ticket = {
            "id": ticket_id, "subject": subject, "raw_subject": subject, "description": description,
            "status": "open", "priority": None, "type": None, "requester_id": requester_id,
            "submitter_id": requester_id, "assignee_id": None, "group_id": None, "organization_id": None,
            "external_id": None, "tags": list(tags), "via": {"channel": "web"}, "created_at": now, "updated_at": now,
        }
        with self._lock:
            if ticket_id in self._tickets:
                raise ValueError(f"ticket {ticket_id} exists")
            if requester_id not in self._users:
                raise ValueError(f"no user {requester_id} to request ticket {ticket_id}")
            self._tickets[ticket_id] = ticket
            self._comments[ticket_id] = [self._new_comment(requester_id, description, public=True, channel="web")]
            return self._render_ticket(ticket)

    def add_comment(self, ticket_id: int, body: str, *, author_id: int, public: bool = True) -> dict:
        """A comment made in Zendesk itself (say, the customer replying), not through the API."""
        with self._lock:
            comment = self._new_comment(author_id, body, public=public, channel="web")
            self._comments[ticket_id].append(comment)
            self._tickets[ticket_id]["updated_at"] = comment["created_at"]
            return copy.deepcopy(comment)

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

    def comments(self, ticket_id: int) -> list[dict]:
        """Every comment on the ticket, oldest first."""
        with self._lock:
            return copy.deepcopy(self._comments[ticket_id])

    def notes(self, ticket_id: int | None = None) -> list[dict]:
        """Private comments posted through the API, each with its "ticket_id"."""
        with self._lock:
            return [{"ticket_id": tid, **copy.deepcopy(c)} for tid, c in self._notes if ticket_id in (None, tid)]

    def tags(self, ticket_id: int) -> list[str]:
        with self._lock:
            return list(self._tickets[ticket_id]["tags"])

    def ticket_state(self, ticket_id: int) -> dict:
        """The ticket's tags and `updated_at`, as an event about its latest change reports them."""
        with self._lock:
            ticket = self._tickets[ticket_id]
            return {"tags": list(ticket["tags"]), "updated_at": ticket["updated_at"]}

    def set_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        """An agent edits the tags in Zendesk; `updated_at` moves on even within the same second, so
        that a safe update based on the old stamp is refused as it would be after a real edit."""
        with self._lock:
            ticket = self._tickets[ticket_id]
            before = datetime.strptime(ticket["updated_at"], ZENDESK_TIME_FORMAT).replace(tzinfo=timezone.utc)
            after = max(datetime.now(timezone.utc), before + timedelta(seconds=1))
            ticket["tags"], ticket["updated_at"] = list(tags), after.strftime(ZENDESK_TIME_FORMAT)

    # -- serving -----------------------------------------------------------------------------------

    def _answer(self, request: StandinRequest, authorization: str) -> _Answer:
        """Decide the answer: readable body, contract, injected fault, route, credentials, then the record."""
        if request.body:
            try:
                request.json = json.loads(request.body)
            except ValueError:
                return _text_answer(400, "The request body is not valid JSON")
        if self._validate is not None:
            try:
                self._validate(request)
            except ContractViolation as exc:
                with self._lock:
                    self.violations.append(str(exc))
                return _text_answer(400, str(exc))
        fault = self._take_fault(request.method) or self._random_fault()
        if fault is not None:
            return fault
        route = _route(request.method, request.path)
        if route is None:
            return _json_answer(404, INVALID_ENDPOINT)
        serve, record_id = route
        if serve is ZendeskStandin._show_self and not authorization:
            # Zendesk documents Show Self as allowed for anonymous users
            return _json_answer(200, {"user": {"id": None, "name": "Anonymous user", "role": "end-user"}})
        if not self._authenticated(authorization):
            return _json_answer(401, UNAUTHENTICATED)
        limited = self._over_limit()
        if limited is not None:
            return limited
        return self._lose(request.method, serve(self, request, record_id))

    def _lose(self, method: str, served: _Answer) -> _Answer:
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
            return _Answer(0, b"", "")
        if how == "slow":
            return replace(served, hold_seconds=hold)
        return _proxy_answer(how)

    def _over_limit(self) -> _Answer | None:
        """Zendesk's per-minute budget: past it, 429 with the seconds until a request may go again."""
        if self._limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._served_at and now - self._served_at[0] >= self._window:
                self._served_at.popleft()
            if len(self._served_at) >= self._limit:
                self.rate_limited += 1
                wait = max(1, math.ceil(self._window - (now - self._served_at[0])))
                return _text_answer(429, RATE_LIMITED_TEXT, {"Retry-After": str(wait)})
            self._served_at.append(now)
        return None

    def _random_fault(self) -> _Answer | None:
        with self._lock:
            if self._random_faults is None:
                return None
            shares, retry_after, rng = self._random_faults
            status = _draw(rng, shares)
            if status is None:
                return None
            self.injected[status] += 1
        return _fault_answer(status, retry_after)

    def _take_delay(self, method: str) -> float:
        with self._lock:
            delay = next((d for d in self._delays if d[1] in (None, method)), None)
            if delay is None:
                return 0.0
            self._delays.remove(delay)
        return delay[0]

    def _take_fault(self, method: str) -> _Answer | None:
        with self._lock:
            fault = _take(self._faults, method)
        return None if fault is None else _fault_answer(fault.status, fault.retry_after)

    def _authenticated(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and self.oauth_token:
            return hmac.compare_digest(value.encode(), self.oauth_token.encode())
        if scheme.lower() == "basic" and self.api_token:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except ValueError:
                return False
            return hmac.compare_digest(user.encode(), f"{self.email}/token".encode()) & hmac.compare_digest(
                password.encode(), self.api_token.encode()
            )
        return False

    def _show_self(self, request: StandinRequest, _: int | None) -> _Answer:
        with self._lock:
            return _json_answer(200, {"user": self._render_user(self._users[AGENT_ID])})

    def _show_user(self, request: StandinRequest, user_id: int | None) -> _Answer:
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                return _json_answer(404, RECORD_NOT_FOUND)
            return _json_answer(200, {"user": self._render_user(user)})

    def _show_ticket(self, request: StandinRequest, ticket_id: int | None) -> _Answer:
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return _json_answer(404, RECORD_NOT_FOUND)
            return _json_answer(200, {"ticket": self._render_ticket(ticket)})

    def _update_ticket(self, request: StandinRequest, ticket_id: int | None) -> _Answer:
        """Zendesk's Update Ticket: an optional comment, tag edits and field changes, recorded as one audit."""
        update = request.json.get("ticket") if isinstance(request.json, dict) else None
        if not isinstance(update, dict):
            return _text_answer(400, 'The request body must be {"ticket": {...}}')
        comment_in = update.get("comment")
        public = comment_in.get("public", True) if isinstance(comment_in, dict) else None
        if comment_in is not None and not isinstance(public, bool):
            return _text_answer(400, "comment must be an object whose public is true or false")
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return _json_answer(404, RECORD_NOT_FOUND)
            # Safe update: any safe_update value (Zendesk: false acts as true) with an updated_stamp that
            # is not the ticket's updated_at refuses the whole update with 409.
            if "safe_update" in update and update.get("updated_stamp") not in (None, ticket["updated_at"]):
                return _json_answer(409, UPDATE_CONFLICT)
            audit_id = next(self._ids)
            events: list[dict] = []
            note = None
            if comment_in is not None:
                comment = self._new_comment(
                    comment_in.get("author_id", AGENT_ID),
                    comment_in.get("body") or comment_in.get("html_body") or "",
                    public=public,
                    channel="api",
                    audit_id=audit_id,
                )
                self._comments[ticket_id].append(comment)
                events.append({"type": "Comment", **{k: comment[k] for k in _COMMENT_EVENT_KEYS}})
                note = None if comment["public"] else comment
                if note is not None:
                    self._notes.append((ticket_id, note))
            changes = {"tags": _updated_tags(ticket["tags"], update)}
            changes.update({name: update[name] for name in UPDATABLE_FIELDS if name in update})
            for name, new in changes.items():
                if new != ticket[name]:
                    events.append({"id": next(self._ids), "type": "Change", "field_name": name,
                                   "value": new, "previous_value": ticket[name]})
                    ticket[name] = new
            ticket["updated_at"] = now = _now()
            audit = {"id": audit_id, "ticket_id": ticket_id, "author_id": AGENT_ID, "created_at": now,
                     "metadata": {"system": {}, "custom": {}}, "via": {"channel": "api"}, "events": events}
            answer = _json_answer(200, {"ticket": self._render_ticket(ticket), "audit": audit})
            note = copy.deepcopy(note)
        if note is not None and self._on_note is not None:
            try:
                self._on_note(ticket_id, note)
            except Exception:  # the note is posted all the same, as it would be in Zendesk
                log.exception("on_note failed for ticket %s", ticket_id)
        return answer

    def _add_tags(self, request: StandinRequest, ticket_id: int | None) -> _Answer:
        """Zendesk's Add Tags: the given tags join the ticket's, which stay."""
        tags = request.json.get("tags") if isinstance(request.json, dict) else None
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            return _text_answer(400, 'The request body must be {"tags": ["..."]}')
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return _json_answer(404, RECORD_NOT_FOUND)
            ticket["tags"] = _updated_tags(ticket["tags"], {"additional_tags": tags})
            return _json_answer(200, {"tags": list(ticket["tags"])})

    def _list_comments(self, request: StandinRequest, ticket_id: int | None) -> _Answer:
        with self._lock:
            comments = copy.deepcopy(self._comments.get(ticket_id))
        if comments is None:
            return _json_answer(404, RECORD_NOT_FOUND)
        try:
            if "page[size]" in request.query:
                return self._cursor_page(request, comments)
            return self._offset_page(request, comments)
        except ValueError as exc:
            return _text_answer(400, f"Invalid pagination parameter: {exc}")

    def _cursor_page(self, request: StandinRequest, comments: list[dict]) -> _Answer:
        """Cursor pagination: sort=created_at|-created_at, page[size], page[after] or page[before]."""
        query = {name: values[-1] for name, values in request.query.items()}
        size = min(int(query["page[size]"]), ZENDESK_MAX_PAGE_SIZE)
        sort = query.get("sort", "created_at")
        if size < 1 or sort not in ("created_at", "-created_at"):
            raise ValueError(f"page[size]={size} sort={sort}")
        ordered = comments if sort == "created_at" else comments[::-1]
        ids = [c["id"] for c in ordered]
        if "page[after]" in query:
            start = ids.index(_decode_cursor(query["page[after]"])) + 1
            end = start + size
        elif "page[before]" in query:
            end = ids.index(_decode_cursor(query["page[before]"]))
            start = max(0, end - size)
        else:
            start, end = 0, size
        page = ordered[start:end]
        after = _encode_cursor(page[-1]["id"]) if page else None
        before = _encode_cursor(page[0]["id"]) if page else None
        base = {"page[size]": size, "sort": sort}
        link = f"{self.url}{request.path}?"
        return _json_answer(200, {
            "comments": page,
            "meta": {"has_more": end < len(ordered), "after_cursor": after, "before_cursor": before},
            "links": {
                "next": link + urlencode({**base, "page[after]": after}) if after else None,
                "prev": link + urlencode({**base, "page[before]": before}) if before else None,
            },
        })

    def _offset_page(self, request: StandinRequest, comments: list[dict]) -> _Answer:
        """Offset pagination: sort_order=asc|desc, page and per_page."""
        query = {name: values[-1] for name, values in request.query.items()}
        per_page = min(int(query.get("per_page", ZENDESK_MAX_PAGE_SIZE)), ZENDESK_MAX_PAGE_SIZE)
        number = int(query.get("page", 1))
        order = query.get("sort_order", "asc")
        if per_page < 1 or number < 1 or order not in ("asc", "desc"):
            raise ValueError(f"per_page={per_page} page={number} sort_order={order}")
        ordered = comments if order == "asc" else comments[::-1]
        start = (number - 1) * per_page
        link = f"{self.url}{request.path}?"
        base = {"per_page": per_page, "sort_order": order}
        return _json_answer(200, {
            "comments": ordered[start:start + per_page],
            "next_page": link + urlencode({**base, "page": number + 1}) if start + per_page < len(ordered) else None,
            "previous_page": link + urlencode({**base, "page": number - 1}) if number > 1 else None,
            "count": len(ordered),
        })

    # -- records (callers hold the lock) -----------------------------------------------------------

    def _new_comment(
        self, author_id: int, body: str, *, public: bool, channel: str, audit_id: int | None = None
    ) -> dict:
        comment_id = next(self._ids)
        return {
            "id": comment_id, "type": "Comment", "author_id": author_id, "body": body,
            "html_body": f"<div class=\"zd-comment\"><p>{html.escape(body)}</p></div>", "plain_body": body,
            "public": public, "attachments": [], "audit_id": audit_id or comment_id,
            "via": {"channel": channel}, "metadata": {"system": {}, "custom": {}}, "created_at": _now(),
        }

    def _render_user(self, user: dict) -> dict:
        return {"url": f"{self.url}/api/v2/users/{user['id']}.json", **copy.deepcopy(user)}

    def _render_ticket(self, ticket: dict) -> dict:
        return {"url": f"{self.url}/api/v2/tickets/{ticket['id']}.json", **copy.deepcopy(ticket)}


_COMMENT_EVENT_KEYS = ("id", "author_id", "body", "html_body", "plain_body", "public", "attachments", "audit_id")


def _updated_tags(current: list[str], update: dict) -> list[str]:
    """"tags" replaces the whole list; "additional_tags" adds to it and "remove_tags" takes from it."""
    tags = _tag_list(update["tags"]) if "tags" in update else list(current)
    tags += [tag for tag in dict.fromkeys(_tag_list(update.get("additional_tags"))) if tag not in tags]
    removed = set(_tag_list(update.get("remove_tags")))
    return [tag for tag in tags if tag not in removed]


_RECORD = r"/(\d+)"
_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., _Answer]]] = [
    ("GET", re.compile(r"/api/v2/users/me"), ZendeskStandin._show_self),
    ("GET", re.compile(r"/api/v2/users" + _RECORD), ZendeskStandin._show_user),
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD), ZendeskStandin._show_ticket),
    ("PUT", re.compile(r"/api/v2/tickets" + _RECORD), ZendeskStandin._update_ticket),
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD + "/comments"), ZendeskStandin._list_comments),
    ("PUT", re.compile(r"/api/v2/tickets" + _RECORD + "/tags"), ZendeskStandin._add_tags),
]


def _route(method: str, path: str) -> tuple[Callable[..., _Answer], int | None] | None:
    """The handler and record id for a path, which Zendesk also accepts with a ".json" suffix."""
    path = path.removesuffix(".json")
    for route_method, pattern, serve in _ROUTES:
        match = pattern.fullmatch(path)
        if match and method == route_method:
            return serve, int(match.group(1)) if match.groups() else None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: ZendeskStandin):
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
        )
        standin = self.server.standin
        try:
            answer = standin._answer(request, self.headers.get("Authorization", ""))
        except Exception:
            log.exception("stand-in Zendesk failed on %s %s", request.method, request.path)
            answer = _json_answer(500, {"error": "InternalServerError", "description": "Internal Server Error"})
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
        log.debug("stand-in Zendesk: " + format, *args)
