"""What every answer of the web process carries: a request id and the security headers."""

from __future__ import annotations

import uuid

REQUEST_ID_HEADER = "X-Request-Id"
MAX_REQUEST_ID = 64  # characters kept of a caller's own request id

# The API answers JSON only and is framed by no one; the sidebar page sets its own policy.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def request_id(sent: str | None) -> str:
    """The caller's request id (shortened), or a new one, to follow the request through the logs."""
    return (sent or "")[:MAX_REQUEST_ID] or uuid.uuid4().hex
