"""A stand-in Freshdesk (API v2) for tests and the demo: contacts, tickets and conversations in memory.

It follows the contract in ../shared/helpdesk/freshdesk/README.md: Basic auth with the API key as the
user name (any password), JSON bodies, 201 for a note, the conversations list paged with `page` and
`per_page` (at most 100) and a `Link: <…>; rel="next"` header while more remain, PUT /tickets/{id}
replacing the tag list, the X-RateLimit-* headers on every answer and 429 with Retry-After past the
budget, and 400 {"description": "Validation failed", "errors": [{field, message, code}]} for bodies that
break the documented fields. Such a request is also recorded in `violations`: a test fails if clvdesk
sends one. Bodies Freshdesk does not document (401, 404, 429) are plain guesses, kept short.

It also builds the webhooks Freshdesk's automation rules send with the README's body.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from html import escape

from clvdesk.helpdesk.freshdesk.webhook import BASIC_USER, SECRET_HEADER, parse_freshdesk_webhook
from clvdesk.html_text import html_to_text
from clvdesk.standins.scenario import DemoRequest, DemoScenario, OnNote, StandinProfile, WebhookRequest
from clvdesk.standins.server import Answer, Handler, StandinRequest, StandinServer, json_answer, text_answer

AGENT_ID = 43_000_000_007  # the API key's agent
FIRST_CONVERSATION_ID = 43_001_000_001
DEFAULT_PAGE_SIZE = 30  # Freshdesk's per_page when none is given
MAX_PAGE_SIZE = 100
NOTE_FIELDS = {"body": str, "private": bool, "incoming": bool, "notify_emails": list, "user_id": int}
TICKET_FIELDS = {"tags": list, "subject": str, "status": int, "priority": int, "type": str, "responder_id": int,
                 "group_id": int, "custom_fields": dict}  # the documented fields clvdesk might send
SOURCE_NOTE, SOURCE_EMAIL = 2, 0  # a conversation's `source` as the samples give it
UNAUTHENTICATED = {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
RATE_LIMITED = {"message": "You have exceeded the limit of requests per minute"}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validation_failed(*errors: tuple[str, str, str]) -> Answer:
    return json_answer(400, {"description": "Validation failed", "errors": [
        {"field": field, "message": message, "code": code} for field, message, code in errors
    ]})


def _check_fields(body: object, fields: dict[str, type], required: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """Freshdesk's validation of a JSON body against its documented fields."""
    if not isinstance(body, dict):
        return [("body", "The request body must be a JSON object", "invalid_json")]
    errors = [(name, "It should not be blank as this is a mandatory field.", "missing_field")
              for name in required if not body.get(name)]
    for name, value in body.items():
        kind = fields.get(name)
        if kind is None:
            errors.append((name, "Unexpected/invalid field in request", "invalid_field"))
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            errors.append((name, f"It should be a/an {kind.__name__}", "datatype_mismatch"))
    return errors


class FreshdeskStandin(StandinServer):
    """Contacts, tickets and their conversations in memory, served over HTTP; safe from any thread."""

    name = "freshdesk"

    def __init__(
        self,
        *,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_note: Callable[[int, dict], None] | None = None,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60,
    ):
        super().__init__(host=host, port=port, requests_per_minute=requests_per_minute,
                         rate_window_seconds=rate_window_seconds)
        self.api_key = api_key
        self._on_note = on_note
        self._ids = itertools.count(FIRST_CONVERSATION_ID)
        self._contacts: dict[int, dict] = {}
        self._tickets: dict[int, dict] = {}
        self._conversations: dict[int, list[dict]] = {}

    # -- seeding and inspection --------------------------------------------------------------------

    def add_contact(self, contact_id: int, email: str | None, *, name: str = "", external_id: str | None = None) -> dict:
        now = _now()
        contact = {
            "id": contact_id, "name": name or email or "", "email": email, "other_emails": [], "phone": None,
            "mobile": None, "unique_external_id": external_id, "company_id": None, "active": True, "deleted": False,
            "language": "en", "time_zone": "UTC", "custom_fields": {}, "created_at": now, "updated_at": now,
        }
        with self._lock:
            if contact_id in self._contacts:
                raise ValueError(f"contact {contact_id} exists")
            self._contacts[contact_id] = contact
            return copy.deepcopy(contact)

    def add_ticket(
        self, ticket_id: int, *, requester_id: int, subject: str = "", description: str = "", tags: Sequence[str] = ()
    ) -> dict:
        """A ticket whose description (HTML) the requester wrote."""
        now = _now()
        ticket = {
            "id": ticket_id, "subject": subject, "description": description,
            "description_text": html_to_text(description), "requester_id": requester_id, "responder_id": None,
            "group_id": None, "status": 2, "priority": 1, "source": 1, "type": None, "tags": list(tags),
            "custom_fields": {}, "created_at": now, "updated_at": now,
        }
        with self._lock:
            if ticket_id in self._tickets:
                raise ValueError(f"ticket {ticket_id} exists")
            if requester_id not in self._contacts:
                raise ValueError(f"no contact {requester_id} to request ticket {ticket_id}")
            self._tickets[ticket_id] = ticket
            self._conversations[ticket_id] = []
            return copy.deepcopy(ticket)

    def add_reply(self, ticket_id: int, body: str) -> dict:
        """The requester replies by e-mail, in Freshdesk itself (not through the API)."""
        with self._lock:
            ticket = self._tickets[ticket_id]
            contact = self._contacts[ticket["requester_id"]]
            reply = self._conversation(ticket_id, body, user_id=contact["id"], private=False, incoming=True,
                                       source=SOURCE_EMAIL, from_email=contact["email"])
            ticket["updated_at"] = reply["created_at"]
            return copy.deepcopy(reply)

    def notes(self, ticket_id: int | None = None) -> list[dict]:
        """Private notes posted through the API, oldest first."""
        with self._lock:
            return [copy.deepcopy(item) for tid, items in self._conversations.items() if ticket_id in (None, tid)
                    for item in items if item["private"]]

    def tags(self, ticket_id: int) -> list[str]:
        with self._lock:
            return list(self._tickets[ticket_id]["tags"])

    def set_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        """An agent edits the tags in Freshdesk."""
        with self._lock:
            self._tickets[ticket_id].update(tags=list(tags), updated_at=_now())

    # -- serving -----------------------------------------------------------------------------------

    def route(self, request: StandinRequest) -> Handler | None:
        known = False
        for method, pattern, serve in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match:
                known = True
                if request.method == method:
                    return lambda request: serve(self, request, int(match.group(1)))
        if known:
            return lambda request: json_answer(405, {"code": "method_not_allowed", "message": "Method not allowed"})
        return None

    def refuse(self, request: StandinRequest, handler: Handler) -> Answer | None:
        scheme, _, value = request.credentials.partition(" ")
        try:
            user = base64.b64decode(value, validate=True).decode().partition(":")[0] if scheme.lower() == "basic" else ""
        except (binascii.Error, ValueError):
            user = ""
        return None if hmac.compare_digest(user.encode(), self.api_key.encode()) else json_answer(401, UNAUTHENTICATED)

    def fault_answer(self, status: int, retry_after: int | None) -> Answer:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return json_answer(status, RATE_LIMITED if status == 429 else {"code": "error", "message": f"HTTP {status}"}, headers)

    def rate_limited_answer(self, retry_after: int) -> Answer:
        return json_answer(429, RATE_LIMITED, {
            "Retry-After": str(retry_after), "X-RateLimit-Total": str(self._limit), "X-RateLimit-Remaining": "0",
        })

    def not_found_answer(self) -> Answer:
        return text_answer(404, "")

    def served_headers(self, used: int, limit: int) -> dict[str, str]:
        return {"X-RateLimit-Total": str(limit), "X-RateLimit-Remaining": str(limit - used),
                "X-RateLimit-Used-CurrentRequest": "1"}

    def _invalid(self, request: StandinRequest, errors: list[tuple[str, str, str]]) -> Answer:
        with self._lock:
            self.violations.append(f"{request.method} {request.path}: " + "; ".join(f"{f} {c}" for f, _, c in errors))
        return _validation_failed(*errors)

    def _show_ticket(self, request: StandinRequest, ticket_id: int) -> Answer:
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            return json_answer(200, copy.deepcopy(ticket)) if ticket else self.not_found_answer()

    def _update_ticket(self, request: StandinRequest, ticket_id: int) -> Answer:
        errors = _check_fields(request.json, TICKET_FIELDS)
        if not errors and not all(isinstance(tag, str) and tag for tag in request.json.get("tags", [])):
            errors = [("tags", "It should contain elements of type string only", "datatype_mismatch")]
        if errors:
            return self._invalid(request, errors)
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return self.not_found_answer()
            ticket.update(copy.deepcopy(request.json), updated_at=_now())
            return json_answer(200, copy.deepcopy(ticket))

    def _create_note(self, request: StandinRequest, ticket_id: int) -> Answer:
        errors = _check_fields(request.json, NOTE_FIELDS, required=("body",))
        if errors:
            return self._invalid(request, errors)
        with self._lock:
            if ticket_id not in self._tickets:
                return self.not_found_answer()
            note = self._conversation(ticket_id, request.json["body"], user_id=request.json.get("user_id", AGENT_ID),
                                      private=request.json.get("private", True), incoming=request.json.get("incoming", False),
                                      source=SOURCE_NOTE, from_email=None)
            self._tickets[ticket_id]["updated_at"] = note["created_at"]
            answer = copy.deepcopy(note)
        if self._on_note is not None:
            self._on_note(ticket_id, answer)
        return json_answer(201, answer)

    def _list_conversations(self, request: StandinRequest, ticket_id: int) -> Answer:
        try:
            page = int(request.query.get("page", ["1"])[0])
            size = int(request.query.get("per_page", [str(DEFAULT_PAGE_SIZE)])[0])
        except ValueError:
            return self._invalid(request, [("page", "It should be a/an Positive Integer", "datatype_mismatch")])
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return self._invalid(request, [("per_page", f"It should be a Positive Integer less than or equal to {MAX_PAGE_SIZE}", "invalid_value")])
        with self._lock:
            if ticket_id not in self._tickets:
                return self.not_found_answer()
            items = self._conversations[ticket_id]
            shown = copy.deepcopy(items[(page - 1) * size: page * size])
            more = len(items) > page * size
        headers = {"Link": f'<{self.url}{request.path}?page={page + 1}&per_page={size}>; rel="next"'} if more else {}
        return json_answer(200, shown, headers)

    def _show_contact(self, request: StandinRequest, contact_id: int) -> Answer:
        with self._lock:
            contact = self._contacts.get(contact_id)
            return json_answer(200, copy.deepcopy(contact)) if contact else self.not_found_answer()

    def _conversation(self, ticket_id: int, body: str, *, user_id: int, private: bool, incoming: bool, source: int,
                      from_email: str | None) -> dict:
        """A new conversation; callers hold the lock."""
        now = _now()
        item = {
            "id": next(self._ids), "ticket_id": ticket_id, "user_id": user_id, "body": body,
            "body_text": html_to_text(body), "private": private, "incoming": incoming, "source": source,
            "from_email": from_email, "to_emails": [], "cc_emails": [], "bcc_emails": [], "attachments": [],
            "created_at": now, "updated_at": now,
        }
        self._conversations[ticket_id].append(item)
        return item


_RECORD = r"/([1-9][0-9]{0,18})"
_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = [
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD), FreshdeskStandin._show_ticket),
    ("PUT", re.compile(r"/api/v2/tickets" + _RECORD), FreshdeskStandin._update_ticket),
    ("POST", re.compile(r"/api/v2/tickets" + _RECORD + "/notes"), FreshdeskStandin._create_note),
    ("GET", re.compile(r"/api/v2/tickets" + _RECORD + "/conversations"), FreshdeskStandin._list_conversations),
    ("GET", re.compile(r"/api/v2/contacts" + _RECORD), FreshdeskStandin._show_contact),
]


# --- webhook requests as Freshdesk's automation rules send them -----------------------------------

# The body the README tells admins to paste into both rules, with `clvdesk_event` and `text` set per rule.
RULE_BODY = {
    "clvdesk_event": "",
    "ticket_id": "{{ticket.id}}",
    "subject": "{{ticket.subject}}",
    "text": "",
    "requester_email": "{{ticket.requester.email}}",
    "requester_id": "{{ticket.requester.id}}",
    "updated_at": "{{ticket.modified_on}}",
}
RULE_TEXT = {"ticket_created": "{{ticket.description}}", "customer_replied": "{{ticket.latest_public_comment}}"}


def rule_body(event: str, **values: str) -> dict:
    """The README's body for `event`, rendered as Freshdesk would: `values` fill its placeholders by field
    name (ticket_id=…, text=…); a placeholder not given stays as written, as Freshdesk leaves unknown ones."""
    body = {**RULE_BODY, "clvdesk_event": event, "text": RULE_TEXT[event]}
    return {name: values.get(name, template) if name != "clvdesk_event" else template for name, template in body.items()}


def webhook_request(secret: str, body: dict | bytes, *, auth: str = "header") -> tuple[bytes, dict[str, str]]:
    """The request a rule sends: the JSON body and the secret in the custom header, or as Basic auth."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if auth == "header":
        headers[SECRET_HEADER] = secret
    else:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{BASIC_USER}:{secret}".encode()).decode()
    return payload, headers


def html_paragraphs(text: str) -> str:
    """Plain text as the HTML Freshdesk renders a customer's message in."""
    return "".join(f"<div>{escape(line)}</div>" for line in text.split("\n"))


# --- `clvdesk demo --helpdesk freshdesk` -----------------------------------------------------------

DEMO_CONTACTS = (43_000_009_001, 43_000_009_002, 43_000_009_003)
DEMO_TICKETS = (101, 102, 103)
DEMO_MODIFIED_ON = "2026-12-04T09:15:02Z"


def demo_scenario(customers: Sequence[tuple[str, str]], on_note: OnNote) -> DemoScenario:
    """Three tickets, announced as the README's two rules do: a new ticket, a reply (with the quoted
    thread an e-mail client adds), and a new ticket whose rule sends the secret as Basic auth and
    renders no requester id (the e-mail alone names the customer)."""
    api_key, secret = secrets.token_urlsafe(24), secrets.token_hex(32)
    standin = FreshdeskStandin(api_key=api_key, on_note=lambda ticket_id, note: on_note(str(ticket_id), note["body"]))
    standin.start()
    for contact_id, ticket_id, (email, _) in zip(DEMO_CONTACTS, DEMO_TICKETS, customers):
        standin.add_contact(contact_id, email)
        standin.add_ticket(ticket_id, requester_id=contact_id)
    (ana, ana_says), (ben, ben_says), (dana, dana_says) = customers
    requests = [
        (f"ticket 101 ({ana_says})", "header", rule_body(
            "ticket_created", ticket_id="101", subject="Blender arrived broken", requester_email=ana,
            requester_id=str(DEMO_CONTACTS[0]), updated_at=DEMO_MODIFIED_ON,
            text=html_paragraphs("My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account."),
        )),
        (f"ticket 102 ({ben_says})", "header", rule_body(
            "customer_replied", ticket_id="102", subject="Re: Where is my parcel?", requester_email=ben,
            requester_id=str(DEMO_CONTACTS[1]), updated_at=DEMO_MODIFIED_ON,
            text=html_paragraphs("The parcel is a few days late, any news?")
            + "<blockquote><div>----- Original message -----</div><div>It ships tomorrow.</div></blockquote>",
        )),
        (f"ticket 103 ({dana_says})", "basic", rule_body(
            "ticket_created", ticket_id="103", subject="Still waiting", requester_email=dana,
            text=html_paragraphs("Still waiting for my order after two weeks. This is unacceptable."),
        )),
    ]
    env = {
        "CLVDESK_FRESHDESK_URL": standin.url,
        "CLVDESK_FRESHDESK_API_KEY": api_key,
        "CLVDESK_FRESHDESK_WEBHOOK_SECRET": secret,
    }
    return DemoScenario(standin, env, [
        DemoRequest(label, *webhook_request(secret, body, auth=auth)) for label, auth, body in requests
    ])


# --- the profile the delivery tests and bench.load_and_faults drive it by --------------------------

PROFILE_API_KEY = "fd-api-key-test-0123456789"
PROFILE_WEBHOOK_SECRET = "fd-webhook-secret-test-0123456789abcdef"
PROFILE_REQUESTERS = 43_000_000_000  # the requester of ticket N is contact PROFILE_REQUESTERS + N
PROFILE_MODIFIED_FROM = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def _profile_env(standin: FreshdeskStandin) -> dict[str, str]:
    return {
        "CLVDESK_FRESHDESK_URL": standin.url,
        "CLVDESK_FRESHDESK_API_KEY": PROFILE_API_KEY,
        "CLVDESK_FRESHDESK_WEBHOOK_SECRET": PROFILE_WEBHOOK_SECRET,
    }


def _profile_add_ticket(standin: FreshdeskStandin, ticket_id: int, email: str) -> None:
    standin.add_contact(PROFILE_REQUESTERS + ticket_id, email)
    standin.add_ticket(ticket_id, requester_id=PROFILE_REQUESTERS + ticket_id)


def _modified_on(event_id: str) -> str:
    """A ticket modification time per event id: Freshdesk has no event id, the time tells firings apart."""
    seconds = int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16)
    return (PROFILE_MODIFIED_FROM + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _profile_body(ticket_id: int, text: str, event_id: str) -> dict:
    """The README's rule body, the requester named by id only, so the worker looks the contact up."""
    return rule_body("ticket_created", ticket_id=str(ticket_id), text=html_paragraphs(text),
                     requester_id=str(PROFILE_REQUESTERS + ticket_id), updated_at=_modified_on(event_id))


def _profile_webhook(standin: FreshdeskStandin, ticket_id: int, text: str, event_id: str) -> WebhookRequest:
    return WebhookRequest(*webhook_request(PROFILE_WEBHOOK_SECRET, _profile_body(ticket_id, text, event_id)))


def _profile_event_id(standin: FreshdeskStandin, ticket_id: int, text: str, event_id: str) -> str:
    """Freshdesk sends no event id: clvdesk derives it from the body, as the receiver does."""
    return parse_freshdesk_webhook(_profile_body(ticket_id, text, event_id), "test").event_id


PROFILE = StandinProfile(
    name="freshdesk",
    standin=lambda **options: FreshdeskStandin(api_key=PROFILE_API_KEY, **options),
    env=_profile_env,
    add_ticket=_profile_add_ticket,
    webhook=_profile_webhook,
    notes=lambda standin, ticket_id: [note["body"] for note in standin.notes(ticket_id)],
    note_method="POST",
    event_id=_profile_event_id,
)
