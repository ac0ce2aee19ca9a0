"""`clvdesk demo send`: a ticket of your own text, delivered to the running demo as its helpdesk would.

The running demo is found through its state file, `demo.json` in its scratch directory
($TMPDIR/clvdesk-demo-*/, mode 700, the file 600): the web URL, the embedded Redis, and the stand-in
Zendesk's webhook secret and API credentials. `demo send` signs Zendesk's trigger body (the one the
README asks admins to paste, which names the requester's email) with that secret, posts it to clvdesk's
webhook, and reads the ticket's comments on the stand-in until clvdesk's private note is there. The
stand-in creates a ticket the first time clvdesk names it, so any new ticket id works.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests

from clvdesk.connection import connect
from clvdesk.defaults import DEMO_FIRST_SENT_TICKET, DEMO_NOTE_POLL_SECONDS, KEY_PREFIX
from clvdesk.standins.scenario import DEMO_CUSTOMERS
from clvdesk.standins.zendesk import signed_request, trigger_body

STATE_FILE = "demo.json"
SCRATCH_PREFIX = "clvdesk-demo-"
TICKET_COUNTER = f"{KEY_PREFIX}:demo:sent-tickets"  # in the demo's embedded Redis
PREVIEW_PATH = "/admin/preview/zendesk/{ticket_id}"
HTTP_TIMEOUT_SECONDS = 5
DEFAULT_CUSTOMER = DEMO_CUSTOMERS[0][0]  # ana, the valuable customer


class DemoSendError(Exception):
    """No running demo, or the ticket could not be delivered; the message says which."""


@dataclass(frozen=True)
class DemoState:
    """What another process needs to talk to a running demo. It holds the demo's generated secrets."""

    pid: int
    web_url: str
    redis_url: str
    webhook_secret: str  # the stand-in Zendesk's
    zendesk_url: str
    zendesk_email: str
    zendesk_token: str

    def write(self, scratch: Path) -> None:
        path = scratch / STATE_FILE
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(asdict(self), handle)

    @classmethod
    def read(cls, path: Path) -> DemoState:
        return cls(**json.loads(path.read_text()))

    def preview_url(self, ticket_id: int, language: str | None = None) -> str:
        query = f"?{urlencode({'locale': language})}" if language else ""
        return self.web_url + PREVIEW_PATH.format(ticket_id=ticket_id) + query


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running_demo(temp_dir: Path | None = None) -> DemoState:
    """The state of the newest running demo of this user whose Zendesk stand-in serves `demo send`."""
    found = []
    for path in Path(temp_dir or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*/{STATE_FILE}"):
        try:
            if path.stat().st_uid != os.getuid():
                continue
            state = DemoState.read(path)
        except (OSError, ValueError, TypeError):
            continue  # a demo starting or stopping at this moment, or another user's
        if _alive(state.pid):
            found.append((path.stat().st_mtime, state))
    if not found:
        raise DemoSendError("no running demo with a Zendesk stand-in was found; start one with `clvdesk demo` "
                            "(or `clvdesk demo --helpdesk zendesk`) and keep it running")
    return max(found, key=lambda pair: pair[0])[1]


def next_ticket_id(state: DemoState) -> int:
    """A ticket id no `demo send` used before in this demo (counted in its embedded Redis)."""
    with connect(state.redis_url) as redis:
        return DEMO_FIRST_SENT_TICKET - 1 + int(redis.incr(TICKET_COUNTER))


@dataclass(frozen=True)
class Sent:
    ticket_id: int
    status: int
    answer: dict
    note: str | None  # None when it did not come within the timeout


def send_ticket(state: DemoState, text: str, *, customer: str, ticket_id: int, timeout: float) -> Sent:
    """Deliver "`customer` wrote `text` on ticket `ticket_id`" and wait up to `timeout` s for the note."""
    body = trigger_body(ticket_id=ticket_id, subject="", latest_comment=text, requester_email=customer)
    payload, headers = signed_request(state.webhook_secret, body)
    try:
        answer = requests.post(f"{state.web_url}/webhooks/zendesk", data=payload, headers=headers,
                               timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise DemoSendError(f"the demo's web process at {state.web_url} did not answer: {exc}") from None
    if answer.status_code >= 300:
        raise DemoSendError(f"clvdesk refused the ticket: {answer.status_code} {answer.text.strip()}")
    return Sent(ticket_id, answer.status_code, answer.json(), _wait_for_note(state, ticket_id, timeout))


def _wait_for_note(state: DemoState, ticket_id: int, timeout: float) -> str | None:
    """The body of the first private comment on the ticket, read from the stand-in's Zendesk API."""
    url = f"{state.zendesk_url}/api/v2/tickets/{ticket_id}/comments"
    auth = (f"{state.zendesk_email}/token", state.zendesk_token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = requests.get(url, auth=auth, timeout=HTTP_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise DemoSendError(f"the demo's stand-in Zendesk at {state.zendesk_url} did not answer: {exc}") from None
        notes = [comment["body"] for comment in answer.json().get("comments", []) if not comment["public"]] if answer.ok else []
        if notes:
            return notes[0]
        time.sleep(DEMO_NOTE_POLL_SECONDS)
    return None
