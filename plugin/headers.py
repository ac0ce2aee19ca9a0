"""What every answer of the web process carries: a request id and the security headers."""

from __future__ import annotations

import re
import uuid

from clvdesk.defaults import MAX_REQUEST_ID_CHARS

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_REQUEST_ID_CHARS}}}")

# The API answers JSON only and is framed by no one; the sidebar page sets its own policy.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def request_id(sent: str | None) -> str:
    """The caller's request id, or a new one, to follow the request through the logs.

    It is echoed and logged, so only a short id of plain characters is kept: anything else (line
    breaks, quotes, a kilobyte) is replaced, never shown."""
    return sent if sent is not None and _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
