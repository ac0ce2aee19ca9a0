"""A stand-in Gorgias on 127.0.0.1: a real HTTP server keeping Gorgias's documented REST contract, and the
"Gorgias side" of its HTTP integrations, for the demo and tests.

It serves the calls clvdesk makes (Basic auth with email and API key; a ticket's messages, created and
cursor-paged; its tags, added or replaced; customers; account tags), checks each body as Gorgias's reference
describes it (a broken one is answered 400 and recorded in `violations`), and limits the account with a leaky
bucket reported in X-Gorgias-Account-Api-Call-Limit, answering 429 with Retry-after when it overflows
(https://developers.gorgias.com/reference/limitations). Faults come from StandinServer. Below it, the README's
HTTP-integration body rendered the way Gorgias renders templates, which the demo and tests send to clvdesk.
Contract sources: ../shared/helpdesk/gorgias/README.md.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import math
import re
import secrets
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus

import urllib3

from clvdesk.defaults import GORGIAS_MAX_PAGE_SIZE, GORGIAS_WINDOW_SECONDS
from clvdesk.helpdesk.gorgias.client import CALL_LIMIT_HEADER
from clvdesk.helpdesk.gorgias.webhook import SECRET_HEADER
from clvdesk.standins.scenario import DemoRequest, DemoScenario, OnNote, StandinProfile, WebhookRequest
from clvdesk.standins.server import Answer, Handler, StandinRequest, StandinServer, json_answer

BUCKET_SIZE = 40  # requests an API-key integration may make at once; the bucket leaks as many per window
DEFAULT_PAGE_SIZE = 30
SENDER_ID = 42  # the user clvdesk's notes are posted as
DEMO_CUSTOMER_BASE = 9000  # the demo's ticket N belongs to customer DEMO_CUSTOMER_BASE + N
FIRST_GENERATED_ID = 500_000_001  # messages and tags are numbered from here, apart from the tests' ids
MAX_EXTERNAL_ID_CHARS = 255
ORDERS = ("created_datetime:asc", "created_datetime:desc")
START = datetime(2026, 12, 4, 3, 0, tzinfo=timezone.utc)


def _error(status: int, message: str) -> Answer:
    """Gorgias's error body (its shape is not documented; this one is non-trivial on purpose)."""
    return json_answer(status, {"error": {"msg": message}})


@dataclass
class _Ticket:
    id: int
    customer_id: int | None
    subject: str
    tags: list[str] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)


class GorgiasStandin(StandinServer):
    """Tickets, their messages and tags, customers and users in memory; every method is safe from any thread."""

    name = "gorgias"

    def __init__(
        self,
        *,
        email: str = "clvdesk@example.com",
        api_key: str = "gorgias-api-key",
        bucket_size: int | None = None,
        window_seconds: float = GORGIAS_WINDOW_SECONDS,
        create_unknown_tags: bool = False,
        on_note: Callable[[int, dict], None] | None = None,
        **server: object,
    ):
        super().__init__(**server)
        self.email, self.api_key = email, api_key
        self._bucket = (bucket_size, window_seconds)
        self._level, self._leaked_at = 0.0, time.monotonic()
        self.create_unknown_tags = create_unknown_tags  # Gorgias may refuse tags the account lacks: the default
        self._on_note = on_note
        self._tickets: dict[int, _Ticket] = {}
        self._customers: dict[int, dict] = {}
        self._users = {SENDER_ID: {"id": SENDER_ID, "email": email, "name": "clvdesk"}}
        self._account_tags: dict[str, int] = {}
        self._ids = itertools.count(FIRST_GENERATED_ID)
        self._clock = itertools.count()

    # -- the account's data ------------------------------------------------------------------------

    def add_customer(self, customer_id: int, email: str | None, *, external_id: str | None = None, name: str = "") -> dict:
        customer = {"id": customer_id, "email": email, "external_id": external_id, "name": name,
                    "channels": [{"id": next(self._ids), "type": "email", "address": email}] if email else [],
                    "integrations": {}}
        with self._lock:
            self._customers[customer_id] = customer
        return customer

    def add_ticket(self, ticket_id: int, customer_id: int | None, *, subject: str = "", tags: tuple[str, ...] = ()) -> None:
        with self._lock:
            self._tickets[ticket_id] = _Ticket(ticket_id, customer_id, subject, list(tags))
            for tag in tags:
                self._account_tags.setdefault(tag, next(self._ids))

    def add_account_tag(self, name: str) -> None:
        with self._lock:
            self._account_tags.setdefault(name, next(self._ids))

    def customer_writes(self, ticket_id: int, text: str, *, channel: str = "email") -> dict:
        """A message from the ticket's customer, as Gorgias stores one received by e-mail or chat."""
        with self._lock:
            ticket = self._tickets[ticket_id]
            customer = self._customers.get(ticket.customer_id) or {}
            return self._store(ticket, {"channel": channel, "via": channel, "from_agent": False, "public": True,
                                        "sender": {"id": ticket.customer_id, "email": customer.get("email")},
                                        "body_text": text, "body_html": None, "external_id": None})

    def agent_writes(self, ticket_id: int, text: str, *, channel: str = "internal-note") -> dict:
        """A message from an agent in Gorgias's interface: an internal note, or a reply on `channel`."""
        with self._lock:
            return self._store(self._tickets[ticket_id], {
                "channel": channel, "via": "helpdesk", "from_agent": True, "public": channel != "internal-note",
                "sender": self._users[SENDER_ID], "body_text": text, "body_html": None, "external_id": None})

    def has_ticket(self, ticket_id: int) -> bool:
        with self._lock:
            return ticket_id in self._tickets

    def messages(self, ticket_id: int) -> list[dict]:
        with self._lock:
            return [dict(message) for message in self._tickets[ticket_id].messages]

    def notes(self, ticket_id: int) -> list[dict]:
        return [message for message in self.messages(ticket_id) if message["channel"] == "internal-note"]

    def tags(self, ticket_id: int) -> list[str]:
        with self._lock:
            return list(self._tickets[ticket_id].tags)

    def set_tags(self, ticket_id: int, tags: list[str]) -> None:
        """An agent's edit in Gorgias's interface, which creates the tags it names."""
        with self._lock:
            self._tickets[ticket_id].tags = list(tags)
            for tag in tags:
                self._account_tags.setdefault(tag, next(self._ids))

    def _store(self, ticket: _Ticket, fields: dict) -> dict:
        """Callers hold the lock. Times strictly increase, so that order by created_datetime is the order stored."""
        message_id = next(self._ids)
        created = (START + timedelta(milliseconds=next(self._clock))).isoformat()
        message = {"id": message_id, "uri": f"/api/tickets/{ticket.id}/messages/{message_id}/", "ticket_id": ticket.id,
                   "receiver": None, "source": {"type": fields["channel"]}, "attachments": [],
                   "created_datetime": created, "sent_datetime": created, **fields}
        ticket.messages.append(message)
        return message

    # -- the vendor's part of StandinServer ---------------------------------------------------------

    def route(self, request: StandinRequest) -> Handler | None:
        for method, pattern, serve in _ROUTES:
            match = pattern.fullmatch(request.path.rstrip("/"))
            if match and request.method == method:
                record_id = int(match.group(1)) if match.groups() else None
                return lambda request: serve(self, request, record_id)
        return None

    def refuse(self, request: StandinRequest, handler: Handler) -> Answer | None:
        scheme, _, value = request.credentials.partition(" ")
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except ValueError:
            user = password = ""
        matches = hmac.compare_digest(user.encode(), self.email.encode()) & hmac.compare_digest(
            password.encode(), self.api_key.encode()
        )
        return None if scheme.lower() == "basic" and matches else _error(401, "Unauthorized")

    def fault_answer(self, status: int, retry_after: int | None) -> Answer:
        answer = _error(status, HTTPStatus(status).phrase)
        if retry_after is not None:
            answer.headers["Retry-after"] = str(retry_after)  # Gorgias's spelling
        return answer

    def rate_limited_answer(self, retry_after: int) -> Answer:
        answer = self.fault_answer(429, retry_after)
        answer.headers[CALL_LIMIT_HEADER] = f"{self._bucket[0]}/{self._bucket[0]}"
        return answer

    def not_found_answer(self) -> Answer:
        return _error(404, "Not Found")

    def _over_limit(self) -> tuple[Answer | None, dict[str, str]]:
        """Gorgias's leaky bucket in place of the base's per-minute window: `size` requests at once, leaking
        `size` per window; each served request adds one, one that would overflow it is refused with the
        seconds until it would fit."""
        size, window = self._bucket
        if size is None:
            return None, {}
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._leaked_at) * size / window)
            self._leaked_at = now
            if self._level + 1 > size:
                self.rate_limited += 1
                wait = max(1, math.ceil((self._level + 1 - size) * window / size))
                return self.rate_limited_answer(wait), {}
            self._level += 1
            used = math.ceil(self._level)
        return None, {CALL_LIMIT_HEADER: f"{used}/{size}"}

    # -- routes ------------------------------------------------------------------------------------

    def _violation(self, message: str) -> Answer:
        with self._lock:
            self.violations.append(message)
        return _error(400, message)

    def _ticket(self, ticket_id: int) -> _Ticket | None:
        with self._lock:
            return self._tickets.get(ticket_id)

    def _create_message(self, request: StandinRequest, ticket_id: int) -> Answer:
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return _error(404, f"ticket {ticket_id} not found")
        body = request.json
        if not isinstance(body, dict):
            return self._violation("POST messages: the body must be a TicketMessage object")
        for name, kind in (("channel", str), ("from_agent", bool)):  # the two the reference marks required
            if not isinstance(body.get(name), kind):
                return self._violation(f"POST messages: {name} is required ({kind.__name__})")
        if body["channel"] == "internal-note":
            sender = body.get("sender")
            if not (isinstance(sender, dict) and sender.get("id") in self._users):
                return self._violation("POST messages: an internal note's sender must be {\"id\": <a user's id>}")
            if body["from_agent"] is not True:
                return self._violation("POST messages: internal notes are outgoing: from_agent must be true")
        if not any(isinstance(body.get(name), str) and body[name] for name in ("body_text", "body_html")):
            return self._violation("POST messages: body_text or body_html is required")
        external_id = body.get("external_id")
        if external_id is not None and not (isinstance(external_id, str) and len(external_id) <= MAX_EXTERNAL_ID_CHARS):
            return self._violation(f"POST messages: external_id must be a string of at most {MAX_EXTERNAL_ID_CHARS} characters")
        fields = {name: body.get(name) for name in ("channel", "via", "from_agent", "external_id", "body_text", "body_html")}
        with self._lock:
            sender = self._users.get((body.get("sender") or {}).get("id"))
            message = self._store(ticket, {**fields, "public": body["channel"] != "internal-note", "sender": sender})
        if self._on_note is not None and message["channel"] == "internal-note":
            self._on_note(ticket_id, message)
        return json_answer(201, message)

    def _list(self, request: StandinRequest, ticket_id: int | None, default_order: str) -> Answer:
        """A cursor-paged list of one ticket's messages: {"data": [...], "meta": {next_cursor, prev_cursor}}."""
        query = {name: values[-1] for name, values in request.query.items()}
        if ticket_id is None:
            try:
                ticket_id = int(query.get("ticket_id", ""))
            except ValueError:
                return self._violation("GET /api/messages: ticket_id must be a ticket's id")
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return _error(404, f"ticket {ticket_id} not found")
        try:
            limit = int(query.get("limit", DEFAULT_PAGE_SIZE))
        except ValueError:
            limit = 0
        if not 1 <= limit <= GORGIAS_MAX_PAGE_SIZE:
            return self._violation(f"GET messages: limit must be from 1 to {GORGIAS_MAX_PAGE_SIZE}")
        order = query.get("order_by", default_order)
        if order not in ORDERS:
            return self._violation(f"GET messages: order_by must be one of {', '.join(ORDERS)}")
        start = 0
        if "cursor" in query:
            try:
                start = json.loads(base64.urlsafe_b64decode(query["cursor"]))["offset"]
            except (ValueError, KeyError, TypeError):
                return _error(400, "invalid cursor")
        with self._lock:
            listed = [dict(message) for message in ticket.messages]
        if order.endswith("desc"):
            listed.reverse()
        page = listed[start:start + limit]
        more = start + limit < len(listed)
        cursor = base64.urlsafe_b64encode(json.dumps({"offset": start + limit}).encode()).decode() if more else None
        return json_answer(200, {"object": "list", "uri": request.path, "data": page,
                                 "meta": {"prev_cursor": None, "next_cursor": cursor}})

    def _tag_names(self, request: StandinRequest) -> list[str] | Answer:
        body = request.json
        names = body.get("names") if isinstance(body, dict) else None
        if not (isinstance(names, list) and names and all(isinstance(name, str) and name for name in names)):
            return self._violation('tags: the body must be {"names": [<tag name>, ...]} (or "ids")')
        with self._lock:
            unknown = [name for name in names if name not in self._account_tags]
            if unknown and self.create_unknown_tags:
                for name in unknown:
                    self._account_tags[name] = next(self._ids)
                unknown = []
        if unknown:
            return _error(400, f"unknown tags: {', '.join(unknown)}")
        return names

    def _write_tags(self, request: StandinRequest, ticket_id: int, *, replace: bool) -> Answer:
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return _error(404, f"ticket {ticket_id} not found")
        names = self._tag_names(request)
        if isinstance(names, Answer):
            return names
        with self._lock:
            kept = [] if replace else ticket.tags
            ticket.tags = kept + [name for name in names if name not in kept]
        return Answer(202 if replace else 201, b"", "application/json")

    def _tag(self, name: str) -> dict:
        return {"id": self._account_tags[name], "name": name, "uri": f"/api/tags/{self._account_tags[name]}/"}

    def _list_tags(self, request: StandinRequest, ticket_id: int) -> Answer:
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return _error(404, f"ticket {ticket_id} not found")
        with self._lock:
            return json_answer(200, [self._tag(name) for name in ticket.tags])

    def _create_tag(self, request: StandinRequest, _: None) -> Answer:
        body = request.json
        name = body.get("name") if isinstance(body, dict) else None
        if not (isinstance(name, str) and name):
            return self._violation('POST /api/tags: the body must be {"name": <tag name>}')
        with self._lock:
            if name in self._account_tags:
                return _error(409, f"tag {name!r} already exists")
            self._account_tags[name] = next(self._ids)
            return json_answer(201, self._tag(name))

    def _customer(self, request: StandinRequest, customer_id: int) -> Answer:
        with self._lock:
            customer = self._customers.get(customer_id)
        return _error(404, f"customer {customer_id} not found") if customer is None else json_answer(200, customer)


_ROUTES: tuple[tuple[str, re.Pattern, Callable], ...] = (
    ("POST", re.compile(r"/api/tickets/(\d+)/messages"), GorgiasStandin._create_message),
    ("GET", re.compile(r"/api/tickets/(\d+)/messages"),  # deprecated: oldest first
     lambda standin, request, ticket_id: standin._list(request, ticket_id, "created_datetime:asc")),
    ("GET", re.compile(r"/api/messages"), lambda standin, request, _: standin._list(request, None, "created_datetime:desc")),
    ("GET", re.compile(r"/api/tickets/(\d+)/tags"), GorgiasStandin._list_tags),
    ("POST", re.compile(r"/api/tickets/(\d+)/tags"), lambda standin, request, ticket_id: standin._write_tags(request, ticket_id, replace=False)),
    ("PUT", re.compile(r"/api/tickets/(\d+)/tags"), lambda standin, request, ticket_id: standin._write_tags(request, ticket_id, replace=True)),
    ("POST", re.compile(r"/api/tags"), GorgiasStandin._create_tag),
    ("GET", re.compile(r"/api/customers/(\d+)"), GorgiasStandin._customer),
)


# --- The "Gorgias side" of the README's HTTP integrations --------------------------------------------

# The body the README tells admins to paste, verbatim (tests check the README's copy against it).
INTEGRATION_BODY = {
    "clvdesk_schema": "1",
    "event": "ticket-message-created",
    "ticket_id": "{{ticket.id}}",
    "ticket_subject": "{{ticket.subject}}",
    "ticket_updated_datetime": "{{ticket.updated_datetime}}",
    "customer_id": "{{ticket.customer_id}}",
    "customer_email": "{{ticket.customer.email}}",
    "message_id": "{{ticket.messages[-1].id}}",
    "message_channel": "{{ticket.messages[-1].channel}}",
    "message_from_agent": "{{ticket.messages[-1].from_agent}}",
    "message_created_datetime": "{{ticket.messages[-1].created_datetime}}",
    "message_body_text": "{{ticket.messages[-1].body_text}}",
}
_VARIABLE = re.compile(r"\{\{\s*([a-z_.\[\]0-9-]+)\s*\}\}")


def _as_rendered(value: object) -> str:
    """How Gorgias's (Jinja-style) templates print a value: Python's str(), so True, False and None."""
    return str(value)


def render_integration(standin: GorgiasStandin, ticket_id: int, *, event: str = "ticket-message-created",
                       message_id: int | None = None) -> dict:
    """The README's body as Gorgias would send it for the ticket's latest message (or for `message_id`, as
    when that message was the latest)."""
    with standin._lock:
        ticket = standin._tickets[ticket_id]
        customer = standin._customers.get(ticket.customer_id) or {}
        chosen = [m for m in ticket.messages if message_id is None or m["id"] == message_id]
        last = chosen[-1] if chosen else {}
        context = {
            "ticket.id": ticket.id, "ticket.subject": ticket.subject,
            "ticket.updated_datetime": last.get("created_datetime", START.isoformat()),
            "ticket.customer_id": ticket.customer_id, "ticket.customer.email": customer.get("email"),
            **{f"ticket.messages[-1].{name}": last.get(name)
               for name in ("id", "channel", "from_agent", "created_datetime", "body_text")},
        }
    body = {name: _VARIABLE.sub(lambda match: _as_rendered(context[match.group(1)]), value)
            for name, value in INTEGRATION_BODY.items()}
    body["event"] = event
    return body


def integration_request(secret: str, body: dict) -> tuple[bytes, dict[str, str]]:
    """The HTTP integration's POST: its body serialised as Gorgias sends JSON, and the admin's header."""
    return json.dumps(body).encode(), {"Content-Type": "application/json", SECRET_HEADER: secret}


class HttpIntegration:
    """One of the account's HTTP integrations, as Gorgias runs it: the README's body rendered for a ticket's
    latest message, POSTed with the admin's header; disabled after DISABLE_AFTER failed requests in a row
    (https://docs.gorgias.com/faq/broken-or-disconnected-http-integration), any success resetting the count."""

    DISABLE_AFTER = 100

    def __init__(self, standin: GorgiasStandin, url: str, secret: str, *, event: str = "ticket-message-created"):
        self._standin, self._url, self._secret, self._event = standin, url, secret, event
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=3, read=10))
        self.failures_in_a_row = 0
        self.answers: list[tuple[int, dict]] = []

    @property
    def disabled(self) -> bool:
        return self.failures_in_a_row >= self.DISABLE_AFTER

    def fire(self, ticket_id: int) -> int:
        """Send the request for the ticket's latest message; its status (0: none, the call failed)."""
        if self.disabled:
            raise RuntimeError("Gorgias has disabled this integration after 100 failed requests in a row")
        payload, headers = integration_request(self._secret, render_integration(self._standin, ticket_id, event=self._event))
        try:
            answer = self._http.request("POST", self._url, body=payload, headers=headers)
        except urllib3.exceptions.HTTPError:
            status, body = 0, {}
        else:
            status, body = answer.status, answer.json() if answer.data else {}
        self.answers.append((status, body))
        self.failures_in_a_row = 0 if 200 <= status < 300 else self.failures_in_a_row + 1
        return status


def demo_scenario(customers: Sequence[tuple[str, str]], on_note: OnNote) -> DemoScenario:
    """Three tickets as the README's integrations announce them: one created by e-mail, a reply after an
    agent's answer, and one whose body lacks the e-mail (clvdesk reads the customer through the API); and
    the agent's answer itself, which clvdesk ignores."""
    key, secret = secrets.token_urlsafe(32), secrets.token_hex(32)
    standin = GorgiasStandin(api_key=key, bucket_size=BUCKET_SIZE,
                             on_note=lambda ticket_id, note: on_note(str(ticket_id), note["body_text"]))
    standin.start()
    texts = {
        101: ("Blender arrived broken", "My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account."),
        102: ("Where is my parcel?", "The parcel is a few days late, any news?"),
        103: ("Still waiting", "Still waiting for my order after two weeks. This is unacceptable."),
    }
    for (ticket_id, (subject, _)), (email, _) in zip(texts.items(), customers):
        standin.add_customer(DEMO_CUSTOMER_BASE + ticket_id, email)
        standin.add_ticket(ticket_id, DEMO_CUSTOMER_BASE + ticket_id, subject=subject)
    (_, ana_says), (_, ben_says), (_, dana_says) = customers
    standin.customer_writes(101, texts[101][1])
    created = render_integration(standin, 101, event="ticket-created")
    standin.customer_writes(102, "Hello, I ordered a kettle last week.")
    standin.agent_writes(102, "Thanks! It left our warehouse on Monday.", channel="email")
    answered = render_integration(standin, 102)
    standin.customer_writes(102, texts[102][1])
    replied = render_integration(standin, 102)
    standin.customer_writes(103, texts[103][1])
    without_email = {**render_integration(standin, 103), "customer_email": ""}
    bodies = [
        (f"ticket 101 ({ana_says}), created", created),
        ("ticket 102, an agent's answer (ignored)", answered),
        (f"ticket 102 ({ben_says}), replied", replied),
        (f"ticket 103 ({dana_says}), without the e-mail", without_email),
    ]
    env = {
        "CLVDESK_GORGIAS_URL": standin.url,
        "CLVDESK_GORGIAS_EMAIL": standin.email,
        "CLVDESK_GORGIAS_API_KEY": key,
        "CLVDESK_GORGIAS_SENDER_USER_ID": str(SENDER_ID),
        "CLVDESK_GORGIAS_WEBHOOK_SECRET": secret,
    }
    return DemoScenario(standin, env, [DemoRequest(label, *integration_request(secret, body)) for label, body in bodies])


# --- the profile the delivery tests and bench.load_and_faults drive it by --------------------------

PROFILE_EMAIL = "clvdesk-bot@shop.example"
PROFILE_API_KEY = "gorgias-api-key-test"
PROFILE_WEBHOOK_SECRET = "gorgias-secret-test-0123456789abcdefgh"
PROFILE_CUSTOMERS = 700_000  # the customer of ticket N is customer PROFILE_CUSTOMERS + N
ABSENT_MESSAGES = 900_000  # ids of messages announced on tickets the stand-in does not have
# The message each announced event is, per stand-in: the same event id announces the same message again.
_MESSAGES: weakref.WeakKeyDictionary[GorgiasStandin, dict[str, dict]] = weakref.WeakKeyDictionary()


def _profile_standin(*, requests_per_minute: int | None = None, **options: object) -> GorgiasStandin:
    """Gorgias limits by a leaky bucket, not a minute: a per-minute budget becomes the bucket that leaks it."""
    bucket = None if requests_per_minute is None else math.ceil(requests_per_minute * GORGIAS_WINDOW_SECONDS / 60)
    return GorgiasStandin(email=PROFILE_EMAIL, api_key=PROFILE_API_KEY, bucket_size=bucket, **options)


def _profile_env(standin: GorgiasStandin) -> dict[str, str]:
    return {
        "CLVDESK_GORGIAS_URL": standin.url,
        "CLVDESK_GORGIAS_EMAIL": PROFILE_EMAIL,
        "CLVDESK_GORGIAS_API_KEY": PROFILE_API_KEY,
        "CLVDESK_GORGIAS_SENDER_USER_ID": str(SENDER_ID),
        "CLVDESK_GORGIAS_WEBHOOK_SECRET": PROFILE_WEBHOOK_SECRET,
    }


def _profile_add_ticket(standin: GorgiasStandin, ticket_id: int, email: str) -> None:
    standin.add_customer(PROFILE_CUSTOMERS + ticket_id, email)
    standin.add_ticket(ticket_id, PROFILE_CUSTOMERS + ticket_id)


def _announced_message(standin: GorgiasStandin, ticket_id: int, text: str, event_id: str) -> dict:
    """The customer's message `event_id` on ticket N, written once (on a ticket the stand-in lacks, a
    message id of its own)."""
    messages = _MESSAGES.setdefault(standin, {})
    if event_id not in messages:
        messages[event_id] = (standin.customer_writes(ticket_id, text) if standin.has_ticket(ticket_id)
                              else {"id": ABSENT_MESSAGES + len(messages), "ticket_id": ticket_id})
    return messages[event_id]


def _profile_webhook(standin: GorgiasStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    """The message announced as Gorgias renders it; on a ticket the stand-in lacks, the body Gorgias would
    have sent for it."""
    message = _announced_message(standin, ticket_id, text, event_id)
    body = render_integration(standin, ticket_id, message_id=message["id"]) if standin.has_ticket(ticket_id) else {
        "clvdesk_schema": "1", "event": "ticket-message-created", "ticket_id": str(ticket_id),
        "customer_id": "None", "customer_email": "None", "message_id": str(message["id"]),
        "message_channel": "email", "message_from_agent": "False", "message_body_text": text,
    }
    return WebhookRequest(*integration_request(PROFILE_WEBHOOK_SECRET, body))


def _profile_event_id(standin: GorgiasStandin, ticket_id: int, text: str, announced: str) -> str:
    """Gorgias's events have no id of their own: clvdesk names each by its ticket and message."""
    message = _MESSAGES[standin][announced]
    return f"ticket:{message['ticket_id']}:message:{message['id']}"


PROFILE = StandinProfile(
    name="gorgias",
    standin=_profile_standin,
    env=_profile_env,
    add_ticket=_profile_add_ticket,
    webhook=_profile_webhook,
    notes=lambda standin, ticket_id: [note["body_text"] for note in standin.notes(ticket_id)] if standin.has_ticket(ticket_id) else [],
    note_method="POST",
    event_id=_profile_event_id,
)
