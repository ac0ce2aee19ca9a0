"""JSON log lines that carry the event id from webhook to note, and never an email address or secret.

The event being handled is kept in a context variable, so every line logged while it is handled
(by clvdesk, the helpdesk client or RQ) says which event it belongs to.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

_event_id: ContextVar[str | None] = ContextVar("clvdesk_event_id", default=None)
_request_id: ContextVar[str | None] = ContextVar("clvdesk_request_id", default=None)
_helpdesk: ContextVar[str | None] = ContextVar("clvdesk_helpdesk", default=None)  # "helpdesk:account"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_SECRET_WORDS = re.compile(
    r"(?i)(authorization|token|secret|password)([\"']?\s*[:=]\s*[\"']?)((?:basic|bearer)\s+)?([^\s\"',}]+)"
)


def email_digest(email: str | None) -> str:
    """What logs say instead of an email address."""
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:12] if email else "-"


def scrub(text: str) -> str:
    """Hash email addresses and blank anything that looks like a credential."""
    text = _EMAIL.sub(lambda match: email_digest(match.group(0)), text)
    return _SECRET_WORDS.sub(lambda match: f"{match.group(1)}{match.group(2)}[redacted]", text)


@contextmanager
def event_context(
    event_id: str | None = None, request_id: str | None = None, helpdesk: str | None = None
) -> Iterator[None]:
    """Name the event, request and helpdesk account ("helpdesk:account") on every log line within."""
    tokens = [(_event_id, _event_id.set(event_id)), (_request_id, _request_id.set(request_id)),
              (_helpdesk, _helpdesk.set(helpdesk))]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in (("event_id", _event_id.get()), ("request_id", _request_id.get()), ("helpdesk", _helpdesk.get())):
            if value:
                line[key] = value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Send every logger's records, as JSON lines, to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("werkzeug", "rq.worker", "rq.scheduler"):
        logging.getLogger(name).setLevel(level)
