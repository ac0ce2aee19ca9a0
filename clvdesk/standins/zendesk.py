"""A stand-in Zendesk on 127.0.0.1: a real HTTP server keeping Zendesk's documented contract, for the demo and tests.

It serves the Support API calls clvdesk makes, with Zendesk's paths, credentials check, error bodies and
cursor pagination, on the common StandinServer (faults, rate limit as Zendesk answers it: 429 with
Retry-After and a text/plain body). Below it, webhook requests as Zendesk sends them (event bodies, the
README's trigger body, signed headers), which the demo, tests and benchmarks send to clvdesk; they follow
Zendesk's documented shapes (see ../shared/helpdesk/zendesk/ for a captured example).
"""

from __future__ import annotations

import base64
import copy
import hmac
import html
import itertools
import logging
import json
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import urlencode

from clvdesk.defaults import ZENDESK_MAX_PAGE_SIZE
from clvdesk.helpdesk.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, compute_signature
from clvdesk.helpdesk.zendesk.webhook import COMMENT_ADDED, INVOCATION_HEADER, TICKET_CREATED, ZENDESK_TIME_FORMAT
from clvdesk.standins.scenario import DemoRequest, DemoScenario, OnNote, StandinProfile, WebhookRequest
from clvdesk.standins.server import Answer, Handler, StandinRequest, StandinServer, json_answer, text_answer

log = logging.getLogger("clvdesk.standins.zendesk")

AGENT_ID = 90_000_001  # the API user; far above the ids the demo and tests give their own users
NEW_TICKET_REQUESTER = 90_000_002  # the requester of a ticket created on first sight (new_tickets)
NEW_TICKET_REQUESTER_EMAIL = "requester@example.invalid"
FIRST_GENERATED_ID = 10_000_001  # comments and audits are numbered from here, apart from ticket ids
USER_ROLES = ("end-user", "agent", "admin")
UPDATABLE_FIELDS = ("subject", "status", "priority", "type", "assignee_id", "group_id", "external_id")

# Zendesk's own answers, as its API sends them
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}
RECORD_NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
INVALID_ENDPOINT = {"error": "InvalidEndpoint", "description": "Not found"}
# Zendesk documents the status of a refused safe update (409 Conflict), not its body; this one follows
# the shape of its other JSON errors.
UPDATE_CONFLICT = {"error": "UpdateConflict", "description": "The ticket was updated after updated_stamp"}
RATE_LIMITED_TEXT = "Number of allowed API requests per minute exceeded"  # text/plain, as Zendesk sends it


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


def _tag_list(value: object) -> list[str]:
    """Zendesk takes tags as a list or as one space-separated string."""
    return value.split() if isinstance(value, str) else [str(tag) for tag in value or ()]


class ZendeskStandin(StandinServer):
    """Users, tickets and comments in memory, served over HTTP; every method is safe from any thread."""

    name = "zendesk"

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
        new_tickets: bool = False,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60,
    ):
        super().__init__(
            host=host, port=port, validate=validate,
            requests_per_minute=requests_per_minute, rate_window_seconds=rate_window_seconds,
        )
        self.email = email
        # with no credential given, make one up, so the server never takes every caller
        self.api_token = api_token if api_token or oauth_token else secrets.token_urlsafe(16)
        self.oauth_token = oauth_token
        self._on_note = on_note
        self.new_tickets = new_tickets  # the demo's: a ticket id the API names for the first time is created
        self._ids = itertools.count(FIRST_GENERATED_ID)
        self._users: dict[int, dict] = {}
        self._tickets: dict[int, dict] = {}
        self._comments: dict[int, list[dict]] = {}
        self._notes: list[tuple[int, dict]] = []
        self.add_user(AGENT_ID, email, name="clvdesk", role="agent")

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

    def has_ticket(self, ticket_id: int) -> bool:
        with self._lock:
            return ticket_id in self._tickets

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

    def route(self, request: StandinRequest) -> Handler | None:
        """The handler for a path, which Zendesk also accepts with a ".json" suffix."""
        path = request.path.removesuffix(".json")
        for route_method, pattern, serve in _ROUTES:
            match = pattern.fullmatch(path)
            if match and request.method == route_method:
                record_id = int(match.group(1)) if match.groups() else None
                if self.new_tickets and pattern.pattern.startswith(_TICKETS):
                    return lambda request: serve(self, request, self._on_first_sight(record_id))
                return lambda request: serve(self, request, record_id)
        return None

    def _on_first_sight(self, ticket_id: int) -> int:
        """Create ticket `ticket_id` if it is new, requested by NEW_TICKET_REQUESTER: `clvdesk demo send`
        announces tickets that were never added here, with the requester's email in the webhook."""
        for create in (lambda: self.add_user(NEW_TICKET_REQUESTER, NEW_TICKET_REQUESTER_EMAIL, name="Demo requester"),
                       lambda: self.add_ticket(ticket_id, requester_id=NEW_TICKET_REQUESTER)):
            try:
                create()
            except ValueError:  # there already (or made by a request at the same moment)
                pass
        return ticket_id

    def refuse(self, request: StandinRequest, handler: Handler) -> Answer | None:
        if _SHOW_SELF.fullmatch(request.path.removesuffix(".json")) and not request.credentials:
            # Zendesk documents Show Self as allowed for anonymous users
            return json_answer(200, {"user": {"id": None, "name": "Anonymous user", "role": "end-user"}})
        return None if self._authenticated(request.credentials) else json_answer(401, UNAUTHENTICATED)

    def fault_answer(self, status: int, retry_after: int | None) -> Answer:
        """An injected failure, with the body Zendesk sends for that status."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        if status == 429:
            return text_answer(429, RATE_LIMITED_TEXT, headers)
        phrase = HTTPStatus(status).phrase
        return json_answer(status, {"error": phrase.replace(" ", ""), "description": phrase}, headers)

    def rate_limited_answer(self, retry_after: int) -> Answer:
        return text_answer(429, RATE_LIMITED_TEXT, {"Retry-After": str(retry_after)})

    def not_found_answer(self) -> Answer:
        return json_answer(404, INVALID_ENDPOINT)

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

    def _show_self(self, request: StandinRequest, _: int | None) -> Answer:
        with self._lock:
            return json_answer(200, {"user": self._render_user(self._users[AGENT_ID])})

    def _show_user(self, request: StandinRequest, user_id: int | None) -> Answer:
        return self._show("user", self._users, user_id, self._render_user)

    def _show_ticket(self, request: StandinRequest, ticket_id: int | None) -> Answer:
        return self._show("ticket", self._tickets, ticket_id, self._render_ticket)

    def _show(self, kind: str, records: dict[int, dict], record_id: int | None, render: Callable[[dict], dict]) -> Answer:
        with self._lock:
            record = records.get(record_id)
            if record is None:
                return json_answer(404, RECORD_NOT_FOUND)
            return json_answer(200, {kind: render(record)})

    def _update_ticket(self, request: StandinRequest, ticket_id: int | None) -> Answer:
        """Zendesk's Update Ticket: an optional comment, tag edits and field changes, recorded as one audit."""
        update = request.json.get("ticket") if isinstance(request.json, dict) else None
        if not isinstance(update, dict):
            return text_answer(400, 'The request body must be {"ticket": {...}}')
        comment_in = update.get("comment")
        public = comment_in.get("public", True) if isinstance(comment_in, dict) else None
        if comment_in is not None and not isinstance(public, bool):
            return text_answer(400, "comment must be an object whose public is true or false")
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return json_answer(404, RECORD_NOT_FOUND)
            # Safe update: any safe_update value (Zendesk: false acts as true) with an updated_stamp that
            # is not the ticket's updated_at refuses the whole update with 409.
            if "safe_update" in update and update.get("updated_stamp") not in (None, ticket["updated_at"]):
                return json_answer(409, UPDATE_CONFLICT)
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
            answer = json_answer(200, {"ticket": self._render_ticket(ticket), "audit": audit})
            note = copy.deepcopy(note)
        if note is not None and self._on_note is not None:
            try:
                self._on_note(ticket_id, note)
            except Exception:  # the note is posted all the same, as it would be in Zendesk
                log.exception("on_note failed for ticket %s", ticket_id)
        return answer

    def _add_tags(self, request: StandinRequest, ticket_id: int | None) -> Answer:
        """Zendesk's Add Tags: the given tags join the ticket's, which stay."""
        tags = request.json.get("tags") if isinstance(request.json, dict) else None
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            return text_answer(400, 'The request body must be {"tags": ["..."]}')
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return json_answer(404, RECORD_NOT_FOUND)
            ticket["tags"] = _updated_tags(ticket["tags"], {"additional_tags": tags})
            return json_answer(200, {"tags": list(ticket["tags"])})

    def _list_comments(self, request: StandinRequest, ticket_id: int | None) -> Answer:
        with self._lock:
            comments = copy.deepcopy(self._comments.get(ticket_id))
        if comments is None:
            return json_answer(404, RECORD_NOT_FOUND)
        try:
            if "page[size]" in request.query:
                return self._cursor_page(request, comments)
            return self._offset_page(request, comments)
        except ValueError as exc:
            return text_answer(400, f"Invalid pagination parameter: {exc}")

    def _cursor_page(self, request: StandinRequest, comments: list[dict]) -> Answer:
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
        return json_answer(200, {
            "comments": page,
            "meta": {"has_more": end < len(ordered), "after_cursor": after, "before_cursor": before},
            "links": {
                "next": link + urlencode({**base, "page[after]": after}) if after else None,
                "prev": link + urlencode({**base, "page[before]": before}) if before else None,
            },
        })

    def _offset_page(self, request: StandinRequest, comments: list[dict]) -> Answer:
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
        return json_answer(200, {
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
_TICKETS = "/api/v2/tickets/"
_SHOW_SELF = re.compile(r"/api/v2/users/me")
_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
    ("GET", _SHOW_SELF, ZendeskStandin._show_self),
    ("GET", re.compile(r"/api/v2/users" + _RECORD), ZendeskStandin._show_user),
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD), ZendeskStandin._show_ticket),
    ("PUT", re.compile(r"/api/v2/tickets" + _RECORD), ZendeskStandin._update_ticket),
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD + "/comments"), ZendeskStandin._list_comments),
    ("PUT", re.compile(r"/api/v2/tickets" + _RECORD + "/tags"), ZendeskStandin._add_tags),
]


# --- webhook requests as Zendesk sends them -------------------------------------------------

ACCOUNT_ID = 22129848
EVENT_VERSION = "2022-11-06"

# What the README asks admins to paste as the trigger's JSON body; Zendesk fills the placeholders.
TRIGGER_BODY_TEMPLATE = {
    "ticket_id": "{{ticket.id}}",
    "subject": "{{ticket.title}}",
    "latest_comment": "{{ticket.latest_comment.value}}",
    "requester_email": "{{ticket.requester.email}}",
    "requester_id": "{{ticket.requester.id}}",
    "requester_external_id": "{{ticket.requester.external_id}}",
}


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime(ZENDESK_TIME_FORMAT)


def _event(
    kind: str, ticket_id: int, requester_id: int, subject: str, description: str, event: dict, event_id: str | None,
    ticket_state: dict | None,
) -> dict:
    """`ticket_state`: the ticket's tags and updated_at (ZendeskStandin.ticket_state); without it the
    detail carries neither, and clvdesk tags the ticket with Add Tags."""
    now = _iso(None)
    return {
        "account_id": ACCOUNT_ID,
        "detail": {
            "actor_id": str(requester_id),
            "created_at": now,
            "description": description,
            "id": str(ticket_id),
            "is_public": True,
            "requester_id": str(requester_id),
            "status": "OPEN",
            "subject": subject,
            "submitter_id": str(requester_id),
            "via": {"channel": "web"},
            **(ticket_state or {}),
        },
        "event": event,
        "id": event_id or str(uuid.uuid4()),
        "subject": f"zen:ticket:{ticket_id}",
        "time": now,
        "type": kind,
        "zendesk_event_version": EVENT_VERSION,
    }


def ticket_created_event(
    *, ticket_id: int, requester_id: int, subject: str, description: str, event_id: str | None = None,
    ticket_state: dict | None = None,
) -> dict:
    return _event(TICKET_CREATED, ticket_id, requester_id, subject, description, {"meta": {}}, event_id, ticket_state)


def comment_added_event(
    *,
    ticket_id: int,
    requester_id: int,
    body: str,
    subject: str = "",
    author_id: int | None = None,
    is_staff: bool = False,
    is_public: bool = True,
    event_id: str | None = None,
    ticket_state: dict | None = None,
) -> dict:
    comment = {
        "id": str(uuid.uuid4().int % 10**12),
        "body": body,
        "is_public": is_public,
        "author": {"id": str(author_id or requester_id), "is_staff": is_staff, "name": "Customer"},
    }
    return _event(COMMENT_ADDED, ticket_id, requester_id, subject, "", {"comment": comment}, event_id, ticket_state)


def trigger_body(*, ticket_id: int, subject: str, latest_comment: str, requester_email: str, requester_id: str = "", requester_external_id: str = "") -> dict:
    """The README's trigger body after Zendesk filled in its placeholders."""
    return {
        "ticket_id": str(ticket_id),
        "subject": subject,
        "latest_comment": latest_comment,
        "requester_email": requester_email,
        "requester_id": requester_id,
        "requester_external_id": requester_external_id,
    }


def signed_request(secret: str, body: dict | bytes, *, timestamp: datetime | None = None, invocation_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Zendesk sends with it."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed_at = _iso(timestamp)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Zendesk Webhook",
        SIGNATURE_HEADER: compute_signature(secret, signed_at, payload),
        TIMESTAMP_HEADER: signed_at,
        INVOCATION_HEADER: invocation_id or str(uuid.uuid4().int % 10**18),
    }
    return payload, headers


# --- the demo's Zendesk ---------------------------------------------------------------------------

DEMO_USERS = (9001, 9002, 9003)  # the sample customers' user ids
DEMO_TICKETS = (101, 102, 103)


def demo_scenario(customers: Sequence[tuple[str, str]], on_note: OnNote) -> DemoScenario:
    """Three tickets, announced as Zendesk can: an event subscription's ticket.created and
    comment_added, and the README's trigger body (which names the requester's email itself)."""
    token, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    standin = ZendeskStandin(api_token=token, on_note=lambda ticket_id, note: on_note(str(ticket_id), note["body"]),
                             new_tickets=True)
    standin.start()
    for user_id, ticket_id, (email, _) in zip(DEMO_USERS, DEMO_TICKETS, customers):
        standin.add_user(user_id, email)
        standin.add_ticket(ticket_id, requester_id=user_id)
    (ana, ana_says), (ben, ben_says), (dana, dana_says) = customers
    bodies = [
        (f"ticket 101 ({ana_says})", ticket_created_event(
            ticket_id=101, requester_id=9001, subject="Blender arrived broken",
            description="My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account.",
            ticket_state=standin.ticket_state(101),
        )),
        (f"ticket 102 ({ben_says})", comment_added_event(
            ticket_id=102, requester_id=9002, subject="Where is my parcel?", body="The parcel is a few days late, any news?",
            ticket_state=standin.ticket_state(102),
        )),
        (f"ticket 103 ({dana_says})", trigger_body(
            ticket_id=103, subject="Still waiting", requester_email=dana, requester_id="9003",
            latest_comment="Still waiting for my order after two weeks. This is unacceptable.",
        )),
    ]
    env = {
        "CLVDESK_ZENDESK_URL": standin.url,
        "CLVDESK_ZENDESK_EMAIL": standin.email,
        "CLVDESK_ZENDESK_API_TOKEN": token,
        "CLVDESK_ZENDESK_WEBHOOK_SECRET": secret,
    }
    return DemoScenario(standin, env, [DemoRequest(label, *signed_request(secret, body)) for label, body in bodies])


# --- the profile the delivery tests and bench.load_and_faults drive it by --------------------------

PROFILE_EMAIL = "clvdesk@example.com"
PROFILE_API_TOKEN = "zendesk-token-test"
PROFILE_WEBHOOK_SECRET = "whsec-test-0123456789"
PROFILE_REQUESTERS = 800_000  # the requester of ticket N is user PROFILE_REQUESTERS + N


def _profile_env(standin: ZendeskStandin) -> dict[str, str]:
    return {
        "CLVDESK_ZENDESK_URL": standin.url,
        "CLVDESK_ZENDESK_EMAIL": PROFILE_EMAIL,
        "CLVDESK_ZENDESK_API_TOKEN": PROFILE_API_TOKEN,
        "CLVDESK_ZENDESK_WEBHOOK_SECRET": PROFILE_WEBHOOK_SECRET,
    }


def _profile_add_ticket(standin: ZendeskStandin, ticket_id: int, email: str) -> None:
    standin.add_user(PROFILE_REQUESTERS + ticket_id, email)
    standin.add_ticket(ticket_id, requester_id=PROFILE_REQUESTERS + ticket_id)


def _profile_webhook(standin: ZendeskStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    """A signed ticket-created event carrying the ticket's tags and time as Zendesk's does (none for a ticket
    the stand-in lacks), signed now: Zendesk signs each attempt with its time."""
    event = ticket_created_event(
        ticket_id=ticket_id, requester_id=PROFILE_REQUESTERS + ticket_id, subject="", description=text, event_id=event_id,
        ticket_state=standin.ticket_state(ticket_id) if standin.has_ticket(ticket_id) else None,
    )
    return WebhookRequest(*signed_request(PROFILE_WEBHOOK_SECRET, event))


PROFILE = StandinProfile(
    name="zendesk",
    standin=lambda **options: ZendeskStandin(email=PROFILE_EMAIL, api_token=PROFILE_API_TOKEN, **options),
    env=_profile_env,
    add_ticket=_profile_add_ticket,
    webhook=_profile_webhook,
    notes=lambda standin, ticket_id: [note["body"] for note in standin.notes(ticket_id)],
    note_method="PUT",
)
