"""`clvdesk web`: the production HTTP server, waitress with deadlines on reading a request.

gunicorn's sync workers (and its gthread workers too) hand a connection to a worker or thread as soon as it
is accepted, and that one reads the request: a client sending a byte a second holds it for as long as it
likes, so two such clients took a two-worker server offline. Waitress reads every request in one
asynchronous I/O loop and gives it to a thread only once it is whole, so a slow client costs a socket and a
buffer, not a thread (`python -m bench.slow_clients` measures both). Waitress closes a connection only
after it has been idle for a while, which a client trickling a byte a second never is; this server also
closes one whose headers, or whose body, take longer than a deadline to arrive.
"""

from __future__ import annotations

import json
import time

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge

from clvdesk.defaults import (
    MAX_WEBHOOK_BYTES,
    SIMULATION_MAX_UPLOAD_BYTES,
    WEB_BODY_TIMEOUT_SECONDS,
    WEB_CONNECTION_LIMIT,
    WEB_DEADLINE_CHECK_SECONDS,
    WEB_HEADER_TIMEOUT_SECONDS,
    WEB_IDLE_TIMEOUT_SECONDS,
    WEB_MAX_HEADER_BYTES,
    WEB_THREADS,
)
from plugin.errors import too_large
from plugin.headers import SECURITY_HEADERS
from plugin.webhooks import WSGIApp


ADMIN_PATHS = ("/admin", "/api/v1/admin")  # the admin page and API, which take a CSV of past tickets


def body_limit(path: str) -> int:
    """The largest body the app accepts on `path`: what it would refuse, the server does not buffer."""
    admin = any(path == prefix or path.startswith(prefix + "/") for prefix in ADMIN_PATHS)
    return SIMULATION_MAX_UPLOAD_BYTES if admin else MAX_WEBHOOK_BYTES


class _TimedRequest(HTTPRequestParser):
    """A request being read, with when its first byte came and when its headers were complete, and refused
    as soon as its body is known to pass the limit of its path."""

    def __init__(self, adj):
        super().__init__(adj)
        self.started_at = time.time()  # waitress's own clock for channel activity
        self.headers_at: float | None = None

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self.headers_finished and self.headers_at is None:
            self.headers_at = time.time()
        if self.headers_finished and self.error is None and not self.empty:  # refused unread, as waitress does
            limit = body_limit(self.path)
            if max(self.content_length, self.body_bytes_received) > limit:
                self.error = RequestEntityTooLarge(f"exceeds max_body of {limit}")
                self.completed = True
        return consumed

    def overdue(self, now: float) -> bool:
        if self.completed:
            return False
        if self.headers_at is None:
            return now - self.started_at > WEB_HEADER_TIMEOUT_SECONDS
        return now - self.headers_at > WEB_BODY_TIMEOUT_SECONDS


class _JsonError(ErrorTask):
    """A request waitress refuses before the app sees it (too large, malformed), answered as the app would."""

    def execute(self) -> None:
        error = self.request.error
        if error.code == 413:
            code, message = too_large(body_limit(getattr(self.request, "path", "")))
        else:
            code, message = error.reason.lower().replace(" ", "_"), error.body
        body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), *SECURITY_HEADERS.items()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _TimedChannel(HTTPChannel):
    parser_class = _TimedRequest
    error_task_class = _JsonError


class DeadlineServer(TcpWSGIServer):
    """Waitress's TCP server that also closes connections whose request is read too slowly."""

    channel_class = _TimedChannel

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and not channel.requests and request.overdue(now):
                channel.will_close = True


def serve(app: WSGIApp, *, host: str, port: int, threads: int = WEB_THREADS) -> None:
    """Serve `app` until the process is stopped."""
    server = DeadlineServer(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=WEB_CONNECTION_LIMIT,
        channel_timeout=WEB_IDLE_TIMEOUT_SECONDS,
        cleanup_interval=WEB_DEADLINE_CHECK_SECONDS,
        max_request_header_size=WEB_MAX_HEADER_BYTES,
        max_request_body_size=SIMULATION_MAX_UPLOAD_BYTES + 1,  # waitress refuses this and above; paths less
        asyncore_use_poll=True,  # select() stops at file descriptor 1024
        clear_untrusted_proxy_headers=False,  # X-Forwarded-* are the app's to trust or not (CLVDESK_TRUSTED_PROXIES)
        ident="clvdesk",
    )
    server.print_listen("clvdesk web on http://{}:{}")
    server.run()
