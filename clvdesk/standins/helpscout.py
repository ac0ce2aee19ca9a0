"""A stand-in Help Scout: the Mailbox API 2.0 calls clvdesk makes, and its signed webhooks and Dynamic App calls.

Built from Help Scout's documentation (../shared/helpdesk/helpscout/README.md and notes/helpscout.md
give the pages): client-credentials tokens from POST /v2/oauth2/token that lapse after `expires_in`;
HAL answers (application/hal+json) with lists under `_embedded` and pages linked by `_links.next`; a
note is a thread (201, empty body, its id in Resource-ID); the tags call replaces the whole list
(204), and Help Scout lowercases tags; 429 with X-RateLimit-Retry-After, and the minute's budget in
X-RateLimit-Limit-Minute and X-RateLimit-Remaining-Minute on every answer. Help Scout publishes no
API description, so `contract` holds the documented paths and bodies, and every request is checked
against it. The shapes follow the v2 Conversation and Thread objects; the ids and people are made up.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qs

from clvdesk.helpdesk.helpscout.signature import SIGNATURE_HEADER, compute_signature
from clvdesk.helpdesk.helpscout.webhook import CONVERSATION_CREATED, CUSTOMER_REPLIED, EVENT_HEADER, plain_text
from clvdesk.standins.scenario import DemoRequest, DemoScenario, OnNote, StandinProfile, WebhookRequest
from clvdesk.standins.server import Answer, ContractViolation, Handler, StandinRequest, StandinServer

HAL = "application/hal+json"
TOKEN_PATH = "/v2/oauth2/token"
DEFAULT_TOKEN_SECONDS = 172_800  # what Help Scout's token endpoint answers today: 48 hours
PAGE_SIZE = 50  # threads a page (List Threads)
NOTE_FIELDS = {"text", "user", "status", "imported", "createdAt", "attachments"}  # Create Note's body
NOTE_STATUSES = {"active", "all", "closed", "open", "pending", "spam"}
_ROUTES = (  # the documented calls clvdesk makes: method, path, the handler's name
    ("POST", re.compile(r"/v2/oauth2/token"), "_token"),
    ("GET", re.compile(r"/v2/conversations/(\d+)"), "_show_conversation"),
    ("GET", re.compile(r"/v2/conversations/(\d+)/threads"), "_list_threads"),
    ("POST", re.compile(r"/v2/conversations/(\d+)/notes"), "_create_note"),
    ("PUT", re.compile(r"/v2/conversations/(\d+)/tags"), "_update_tags"),
    ("GET", re.compile(r"/v2/customers/(\d+)"), "_show_customer"),
)

CUSTOMER = {"id": 9001, "first": "Jane", "last": "Doe", "email": "jane@acme.example.com"}


def stamp(moment: datetime | None = None) -> str:
    """Help Scout's times: UTC, whole seconds, a Z."""
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def customer_thread(thread_id: int, text: str, *, customer: dict = CUSTOMER, created_at: str | None = None) -> dict:
    """A message the customer wrote, as List Threads shows it (its body is HTML)."""
    person = {key: customer[key] for key in ("id", "first", "last", "email") if key in customer}
    return {
        "id": thread_id, "type": "customer", "status": "active", "state": "published", "body": text,
        "source": {"type": "email", "via": "customer"}, "customer": person,
        "createdBy": {**person, "type": "customer"}, "to": [], "cc": [], "bcc": [],
        "createdAt": created_at or stamp(), "_embedded": {"attachments": []},
    }


def note_thread(thread_id: int, body: str, *, created_at: str | None = None) -> dict:
    """A note an agent (or clvdesk, through the API) wrote."""
    return {
        "id": thread_id, "type": "note", "status": "active", "state": "published", "body": body,
        "source": {"type": "api", "via": "user"},
        "createdBy": {"id": 77, "type": "user", "first": "clvdesk", "last": "Bot", "email": "bot@shop.example.com"},
        "to": [], "cc": [], "bcc": [], "createdAt": created_at or stamp(), "_embedded": {"attachments": []},
    }


def conversation(
    conversation_id: int,
    threads: list[dict] | None,
    *,
    subject: str = "Order arrived broken",
    customer: dict = CUSTOMER,
    tags: list[str] = (),
    state: str = "published",
) -> dict:
    """The v2 Conversation object, as a webhook body; `threads` newest first, or None to leave them out."""
    newest = threads[0] if threads else None
    waiting = newest["createdAt"] if newest and newest["type"] == "customer" else stamp()
    body = {
        "id": conversation_id, "number": conversation_id + 1000, "threads": len(threads or ()), "type": "email",
        "folderId": 11, "status": "active", "state": state, "subject": subject,
        "preview": (newest or {}).get("body", "")[:100], "mailboxId": 13, "assignee": None,
        "createdBy": {"id": customer["id"], "type": "customer", "email": customer.get("email")},
        "createdAt": threads[-1]["createdAt"] if threads else waiting, "userUpdatedAt": waiting,
        "customerWaitingSince": {"time": waiting, "friendly": "Just now"},
        "source": {"type": "email", "via": "customer"},
        "tags": [{"id": 9150 + n, "color": "#929499", "tag": tag} for n, tag in enumerate(tags)],
        "cc": [], "bcc": [], "primaryCustomer": {**customer, "type": "customer"}, "customFields": [],
        "_links": {"self": {"href": f"https://api.helpscout.net/v2/conversations/{conversation_id}"}},
    }
    if threads is not None:
        body["_embedded"] = {"threads": threads}
    return body


def signed_delivery(secret: str, event: str, body: dict | bytes) -> tuple[bytes, dict[str, str]]:
    """A webhook request as Help Scout sends it: the raw body and its two headers."""
    payload = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", EVENT_HEADER: event, SIGNATURE_HEADER: compute_signature(secret, payload)}
    return payload, headers


def dynamic_app_call(secret: str, conversation_id: int | None, *, customer: dict = CUSTOMER) -> tuple[bytes, dict[str, str]]:
    """The POST Help Scout makes to a Dynamic App when an agent opens a conversation (None: a draft)."""
    ticket = False if conversation_id is None else {"id": conversation_id, "number": conversation_id + 1000,
                                                    "subject": "Order arrived broken"}
    body = {
        "ticket": ticket,
        "customer": {"id": customer["id"], "fname": customer.get("first", ""), "lname": customer.get("last", ""),
                     "email": customer.get("email"), "emails": [customer["email"]] if customer.get("email") else []},
        "user": {"fname": "Sam", "lname": "Agent", "id": 4, "role": "user", "convRedirect": 0},
        "mailbox": {"id": 13, "email": "help@shop.example.com"},
    }
    payload = json.dumps(body, separators=(",", ":")).encode()
    return payload, {"Content-Type": "application/json", SIGNATURE_HEADER: compute_signature(secret, payload)}


def _hal(status: int, payload: object | None = None, headers: dict[str, str] | None = None) -> Answer:
    body = b"" if payload is None else json.dumps(payload).encode()
    return Answer(status, body, HAL if payload is not None else "", dict(headers or {}))


def _error(status: int, message: str, errors: list[dict] | None = None) -> Answer:
    """Help Scout's error body (developer.helpscout.com/mailbox-api/overview/errors)."""
    payload: dict = {"logRef": secrets.token_hex(8), "message": message}
    if errors:
        payload["_embedded"] = {"errors": [{**error, "source": "JSON"} for error in errors]}
    return _hal(status, payload)


def contract(request: StandinRequest) -> None:
    """Raise ContractViolation for a request Help Scout's documentation does not allow."""
    route = next((r for r in _ROUTES if r[0] == request.method and r[1].fullmatch(request.path)), None)
    if route is None:
        raise ContractViolation(f"{request.method} {request.path} is not a documented Mailbox API 2.0 call clvdesk makes")
    content_type = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if request.method in ("POST", "PUT") and route[2] != "_token" and not content_type.startswith("application/json"):
        raise ContractViolation(f"{request.method} {request.path} must send JSON, sent {content_type or 'no Content-Type'}")
    body = request.json
    if route[2] == "_create_note":
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
            raise ContractViolation("Create Note: text is required and may not be empty")
        if set(body) - NOTE_FIELDS:
            raise ContractViolation(f"Create Note: unknown fields {sorted(set(body) - NOTE_FIELDS)}")
        if "status" in body and body["status"] not in NOTE_STATUSES:
            raise ContractViolation(f"Create Note: status must be one of {sorted(NOTE_STATUSES)}")
    if route[2] == "_update_tags":
        if not (isinstance(body, dict) and set(body) == {"tags"} and isinstance(body["tags"], list)
                and all(isinstance(tag, str) and tag for tag in body["tags"])):
            raise ContractViolation('Update Tags: the body is {"tags": [names]}, the whole list')
    if request.method == "GET" and request.body:
        raise ContractViolation(f"GET {request.path} carries a body")


class HelpScoutStandin(StandinServer):
    """Help Scout's Mailbox API for one account, with conversations, customers and tokens in memory."""

    name = "helpscout"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        token_seconds: float = DEFAULT_TOKEN_SECONDS,
        page_size: int = PAGE_SIZE,
        requests_per_minute: int | None = None,
        rate_window_seconds: float = 60,
        on_note: Callable[[int, dict], None] | None = None,
        **options,
    ):
        super().__init__(validate=options.pop("validate", contract), requests_per_minute=requests_per_minute,
                         rate_window_seconds=rate_window_seconds, **options)
        self._credentials = (app_id, app_secret)
        self.token_seconds = token_seconds
        self._page_size = page_size
        self._tokens: dict[str, float] = {}  # token -> when it lapses (monotonic)
        self.tokens_issued = 0
        self._conversations: dict[int, dict] = {}
        self._customers: dict[int, dict] = {}
        self._next_thread = 80_000
        self._merged: dict[int, int] = {}  # old conversation id -> the one it was merged into
        self._on_note = on_note  # called with the conversation's id and the note's thread, once it is stored

    # -- the account's state (tests set it up and read it back) ------------------------------------

    def add_customer(self, customer_id: int, email: str | None, *, first: str = "Jane", last: str = "Doe") -> dict:
        customer = {"id": customer_id, "first": first, "last": last, "email": email}
        with self._lock:
            self._customers[customer_id] = customer
        return customer

    def add_conversation(self, conversation_id: int, customer_id: int, *, subject: str = "Order arrived broken",
                         tags: list[str] = ()) -> None:
        with self._lock:
            self._conversations[conversation_id] = {"subject": subject, "customer": customer_id,
                                                    "tags": [tag.lower() for tag in tags], "threads": []}

    def customer_wrote(self, conversation_id: int, text: str) -> dict:
        """A message from the conversation's customer; returns its thread."""
        with self._lock:
            conversation = self._conversations[conversation_id]
            thread = customer_thread(self._thread_id(), text, customer=self._customers[conversation["customer"]])
            conversation["threads"].insert(0, thread)
        return thread

    def agent_replied(self, conversation_id: int, text: str) -> dict:
        """An agent's reply to the customer; returns its thread."""
        with self._lock:
            reply = {**note_thread(self._thread_id(), text), "type": "reply", "source": {"type": "web", "via": "user"}}
            self._conversations[conversation_id]["threads"].insert(0, reply)
        return reply

    def webhook_body(self, conversation_id: int, *, with_threads: bool = True) -> dict:
        """The conversation as Help Scout's convo.* webhooks send it."""
        with self._lock:
            return self._conversation(conversation_id, embed=with_threads)

    def customer(self, customer_id: int) -> dict | None:
        with self._lock:
            return self._customers.get(customer_id)

    def notes(self, conversation_id: int) -> list[dict]:
        """The conversation's note threads, newest first (none for a conversation it does not have)."""
        with self._lock:
            threads = self._conversations.get(conversation_id, {}).get("threads", [])
            return [thread for thread in threads if thread["type"] == "note"]

    def tags(self, conversation_id: int) -> list[str]:
        with self._lock:
            return list(self._conversations[conversation_id]["tags"])

    def set_tags(self, conversation_id: int, tags: list[str]) -> None:
        """An agent's edit of the tags."""
        with self._lock:
            self._conversations[conversation_id]["tags"] = [tag.lower() for tag in tags]

    def merge(self, conversation_id: int, into: int) -> None:
        """An agent merges the conversation into another: its threads move there, and its old id answers
        reads with 301 to the new one and writes with 404."""
        with self._lock:
            merged = self._conversations.pop(conversation_id)
            target = self._conversations[into]
            target["threads"] = sorted([*target["threads"], *merged["threads"]], key=lambda t: t["createdAt"], reverse=True)
            self._merged[conversation_id] = into

    def expire_tokens(self) -> None:
        """Every token issued so far lapses now, as after `expires_in`."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def _thread_id(self) -> int:
        self._next_thread += 1
        return self._next_thread

    def _conversation(self, conversation_id: int, *, embed: bool) -> dict:
        stored = self._conversations[conversation_id]
        customer = self._customers[stored["customer"]]
        return conversation(conversation_id, list(stored["threads"]) if embed else None, subject=stored["subject"],
                            customer=customer, tags=stored["tags"])

    # -- the StandinServer hooks -------------------------------------------------------------------

    def route(self, request: StandinRequest) -> Handler | None:
        for method, pattern, name in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                handler = getattr(self, name)
                return (lambda r: handler(r, int(match.group(1)))) if match.groups() else handler
        return None

    def refuse(self, request: StandinRequest, handler: Handler) -> Answer | None:
        if request.path == TOKEN_PATH:
            return None
        scheme, _, token = request.credentials.partition(" ")
        with self._lock:
            lapses = self._tokens.get(token) if scheme == "Bearer" else None
        if lapses is None or time.monotonic() >= lapses:
            return _error(401, "Unauthorized" if lapses is None else "The access token expired")
        return None

    def exempt_from_faults(self, request: StandinRequest) -> bool:
        return request.path == TOKEN_PATH

    def fault_answer(self, status: int, retry_after: int | None) -> Answer:
        answer = _error(status, HTTPStatus(status).phrase)
        if status == 429:
            answer.headers.update({"X-RateLimit-Remaining-Minute": "0", "X-RateLimit-Retry-After": str(retry_after or 1)})
        return answer

    def rate_limited_answer(self, retry_after: int) -> Answer:
        answer = self.fault_answer(429, retry_after)
        answer.headers["X-RateLimit-Limit-Minute"] = str(self._limit)
        return answer

    def not_found_answer(self) -> Answer:
        return _error(404, "Not Found")

    def served_headers(self, used: int, limit: int) -> dict[str, str]:
        return {"X-RateLimit-Limit-Minute": str(limit), "X-RateLimit-Remaining-Minute": str(max(0, limit - used))}

    # -- the calls ---------------------------------------------------------------------------------

    def _token(self, request: StandinRequest) -> Answer:
        """Client credentials as a form, JSON or query, as the authentication page allows."""
        fields = request.json if isinstance(request.json, dict) else {
            key: values[-1] for key, values in {**parse_qs(request.body.decode("utf-8", "replace")), **request.query}.items()}
        if fields.get("grant_type") != "client_credentials":
            return _hal(400, {"error": "unsupported_grant_type"})
        if (fields.get("client_id"), fields.get("client_secret")) != self._credentials:
            return _hal(401, {"error": "invalid_client", "error_description": "Bad client credentials"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_seconds
            self.tokens_issued += 1
        return _hal(200, {"token_type": "bearer", "access_token": token, "expires_in": self.token_seconds})

    def _moved(self, conversation_id: int, suffix: str = "") -> Answer | None:
        """A merged conversation's old id, read: 301 to the conversation it lives in now, without a body."""
        into = self._merged.get(conversation_id)
        return None if into is None else _hal(301, None, {"Location": f"{self.url}/v2/conversations/{into}{suffix}"})

    def _show_conversation(self, request: StandinRequest, conversation_id: int) -> Answer:
        with self._lock:
            if moved := self._moved(conversation_id):
                return moved
            if conversation_id not in self._conversations:
                return self.not_found_answer()
            return _hal(200, self._conversation(conversation_id, embed=False))

    def _list_threads(self, request: StandinRequest, conversation_id: int) -> Answer:
        with self._lock:
            if moved := self._moved(conversation_id, "/threads"):
                return moved
            if conversation_id not in self._conversations:
                return self.not_found_answer()
            threads = list(self._conversations[conversation_id]["threads"])
        try:
            number = int(request.query.get("page", ["1"])[-1])
        except ValueError:
            return _error(400, "Bad request", [{"path": "page", "message": "Invalid number"}])
        pages = max(1, -(-len(threads) // self._page_size))
        href = f"{self.url}/v2/conversations/{conversation_id}/threads"
        links = {"self": {"href": f"{href}?page={number}"}, "first": {"href": f"{href}?page=1"},
                 "last": {"href": f"{href}?page={pages}"}}
        if number < pages:
            links["next"] = {"href": f"{href}?page={number + 1}"}
        shown = threads[(number - 1) * self._page_size:number * self._page_size]
        return _hal(200, {"_embedded": {"threads": shown}, "_links": links,
                          "page": {"size": self._page_size, "totalElements": len(threads), "totalPages": pages, "number": number}})

    def _create_note(self, request: StandinRequest, conversation_id: int) -> Answer:
        with self._lock:
            if conversation_id not in self._conversations:
                return self.not_found_answer()
            thread = note_thread(self._thread_id(), request.json["text"])
            self._conversations[conversation_id]["threads"].insert(0, thread)
        if self._on_note is not None:
            self._on_note(conversation_id, thread)
        return _hal(201, None, {"Resource-ID": str(thread["id"])})

    def _update_tags(self, request: StandinRequest, conversation_id: int) -> Answer:
        with self._lock:
            if conversation_id not in self._conversations:
                return self.not_found_answer()
            self._conversations[conversation_id]["tags"] = list(dict.fromkeys(tag.lower() for tag in request.json["tags"]))
        return _hal(204)

    def _show_customer(self, request: StandinRequest, customer_id: int) -> Answer:
        with self._lock:
            customer = self._customers.get(customer_id)
        if customer is None:
            return self.not_found_answer()
        emails = [{"id": 1, "value": customer["email"], "type": "work"}] if customer["email"] else []
        return _hal(200, {
            "id": customer_id, "firstName": customer["first"], "lastName": customer["last"],
            "_embedded": {"emails": emails, "phones": [], "properties": []},
            "_links": {"self": {"href": f"{self.url}/v2/customers/{customer_id}"}},
        })


DEMO_CONVERSATIONS = (101, 102, 103)
DEMO_CUSTOMER_IDS = (9001, 9002, 9003)


def demo_scenario(customers: Sequence[tuple[str, str]], on_note: OnNote) -> DemoScenario:
    """Three conversations, announced as Help Scout does: a new conversation, a customer's reply to an
    agent, and a reply whose body carries no threads (the conversation's preview is all it says)."""
    app_id, app_secret, webhook_secret = (secrets.token_urlsafe(16) for _ in range(3))
    standin = HelpScoutStandin(app_id=app_id, app_secret=app_secret,
                               on_note=lambda conversation_id, note: on_note(str(conversation_id), note["body"]))
    standin.start()
    for conversation_id, customer_id, (email, _) in zip(DEMO_CONVERSATIONS, DEMO_CUSTOMER_IDS, customers):
        first, _, last = email.partition("@")[0].partition(".")
        standin.add_customer(customer_id, email, first=first.title(), last=last.title())
        standin.add_conversation(conversation_id, customer_id, subject="")
    (_, ana_says), (_, ben_says), (_, dana_says) = customers
    standin.customer_wrote(101, "My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account.")
    standin.customer_wrote(102, "Where is my parcel?")
    standin.agent_replied(102, "Let me look into it.")
    standin.customer_wrote(102, "The parcel is a few days late, any news?")
    standin.customer_wrote(103, "Still waiting for my order after two weeks. This is unacceptable.")
    bodies = [
        (f"conversation 101 ({ana_says})", CONVERSATION_CREATED, standin.webhook_body(101)),
        (f"conversation 102 ({ben_says})", CUSTOMER_REPLIED, standin.webhook_body(102)),
        (f"conversation 103 ({dana_says}; no threads in the body)", CUSTOMER_REPLIED,
         standin.webhook_body(103, with_threads=False)),
    ]
    env = {
        "CLVDESK_HELPSCOUT_APP_ID": app_id,
        "CLVDESK_HELPSCOUT_APP_SECRET": app_secret,
        "CLVDESK_HELPSCOUT_WEBHOOK_SECRET": webhook_secret,
        "CLVDESK_HELPSCOUT_API_URL": standin.url,
    }
    requests = [DemoRequest(label, *signed_delivery(webhook_secret, event, body)) for label, event, body in bodies]
    return DemoScenario(standin, env, requests)


# --- the profile the delivery tests and bench.load_and_faults drive it by --------------------------

PROFILE_APP_ID = "hs-app-test"
PROFILE_APP_SECRET = "hs-app-secret-test-0123456789"
PROFILE_WEBHOOK_SECRET = "hs-webhook-secret-0123456789"
PROFILE_SIDEBAR_SECRET = "hs-sidebar-secret-0123456789"
PROFILE_CUSTOMERS = 800_000  # the customer of conversation N is customer PROFILE_CUSTOMERS + N


def profile_thread_id(event_id: str) -> int:
    """Help Scout names no event: the customer's thread does. The same event id gives the same thread."""
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:12], 16) + 1


def _profile_event_id(standin: HelpScoutStandin, conversation_id: int, text: str, given: str) -> str:
    """The event id clvdesk makes of the profile's event `given` on conversation N."""
    return f"{conversation_id}:{profile_thread_id(given)}"


def _profile_env(standin: HelpScoutStandin) -> dict[str, str]:
    return {
        "CLVDESK_HELPSCOUT_APP_ID": PROFILE_APP_ID,
        "CLVDESK_HELPSCOUT_APP_SECRET": PROFILE_APP_SECRET,
        "CLVDESK_HELPSCOUT_WEBHOOK_SECRET": PROFILE_WEBHOOK_SECRET,
        "CLVDESK_HELPSCOUT_SIDEBAR_SECRET": PROFILE_SIDEBAR_SECRET,
        "CLVDESK_HELPSCOUT_API_URL": standin.url,
    }


def _profile_add_ticket(standin: HelpScoutStandin, conversation_id: int, email: str) -> None:
    standin.add_customer(PROFILE_CUSTOMERS + conversation_id, email)
    standin.add_conversation(conversation_id, PROFILE_CUSTOMERS + conversation_id)


def _profile_webhook(standin: HelpScoutStandin, conversation_id: int, text: str, given: str) -> WebhookRequest:
    """The signed convo.customer.reply.created Help Scout sends when the conversation's customer wrote
    `text` (also for a conversation the stand-in does not have: its API then answers 404)."""
    customer = standin.customer(PROFILE_CUSTOMERS + conversation_id) or {"id": PROFILE_CUSTOMERS + conversation_id,
                                                                         "first": "Ana"}
    thread = customer_thread(profile_thread_id(given), text, customer=customer)
    body = conversation(conversation_id, [thread], subject="", customer=customer)
    return WebhookRequest(*signed_delivery(PROFILE_WEBHOOK_SECRET, CUSTOMER_REPLIED, body))


PROFILE = StandinProfile(
    name="helpscout",
    standin=lambda **options: HelpScoutStandin(app_id=PROFILE_APP_ID, app_secret=PROFILE_APP_SECRET, **options),
    env=_profile_env,
    add_ticket=_profile_add_ticket,
    webhook=_profile_webhook,
    notes=lambda standin, conversation_id: [plain_text(note["body"]) for note in standin.notes(conversation_id)],
    note_method="POST",
    event_id=_profile_event_id,
)
