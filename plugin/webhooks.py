"""POST /webhooks/<helpdesk>, answered in front of Flask: authenticate, validate, enqueue once, within milliseconds.

The webhook is the web process's busiest request, and Flask's request cycle (context, routing, hooks,
response object) cost as much CPU as verifying, validating and storing the event together
(`python -m bench.ingest`). So this WSGI layer answers that one path through the framework-free
`WebhookReceiver` and hands every other request to the Flask app, with the same JSON errors and headers.
A name that is no configured helpdesk is answered 404 here too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from urllib.parse import parse_qsl

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from clvdesk.defaults import MAX_WEBHOOK_BYTES
from clvdesk.helpdesk.interface import Delivery, Headers
from clvdesk.receiver import Answer, WebhookReceiver
from plugin.errors import INTERNAL_ERROR, STORAGE_RETRY, STORAGE_UNAVAILABLE, too_large
from plugin.headers import REQUEST_ID_HEADER, SECURITY_HEADERS, request_id

logger = logging.getLogger(__name__)
PREFIX = "/webhooks/"
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
_FIXED_HEADERS = [("Content-Type", "application/json"), *SECURITY_HEADERS.items()]


_REQUEST_ID = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


class _Refused(Exception):
    """The request is answered before the receiver sees it (a wrong method, a body it must not read)."""

    def __init__(self, answer: Answer, *headers: tuple[str, str]):
        self.answer, self.headers = answer, headers


class WebhookEndpoint:
    """WSGI middleware: answers POST /webhooks/<name> itself, passes everything else to `app`."""

    def __init__(self, app: WSGIApp, receiver: WebhookReceiver, max_bytes: int = MAX_WEBHOOK_BYTES, *,
                 others_to_app: bool = False):
        """`others_to_app`: a name the receiver does not know goes on to `app` (a layer in front of another)."""
        self._app = app
        self._others_to_app = others_to_app
        self._receiver = receiver
        self._max_bytes = max_bytes

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        name = path.removeprefix(PREFIX)
        if not path.startswith(PREFIX) or (self._others_to_app and name not in self._receiver.adapters):
            return self._app(environ, start_response)
        request = request_id(environ.get(_REQUEST_ID))
        extra: tuple[tuple[str, str], ...] = ()
        try:
            if name not in self._receiver.adapters:
                known = ", ".join(PREFIX + known for known in self._receiver.adapters) or "none"
                raise _Refused(Answer.error(404, "not_found", f"no helpdesk webhook at {path[:80]}; configured: {known}"))
            if environ.get("REQUEST_METHOD") != "POST":
                raise _Refused(Answer.error(405, "method_not_allowed", f"{path} accepts POST only"), ("Allow", "POST"))
            answer = self._receiver.receive(name, Delivery(
                body=self._body(environ),
                headers=Headers.from_environ(environ),
                query=dict(parse_qsl(environ.get("QUERY_STRING") or "", keep_blank_values=True)),
                request_id=request,
            ))
        except _Refused as refused:
            answer, extra = refused.answer, refused.headers
        except (RedisConnectionError, RedisTimeoutError) as exc:
            logger.error("redis unreachable: %s", exc)
            answer, extra = Answer.error(503, *STORAGE_UNAVAILABLE), tuple(STORAGE_RETRY.items())
        except Exception:
            logger.exception("unhandled error on %s %s", environ.get("REQUEST_METHOD"), path[:80])
            answer = Answer.error(500, *INTERNAL_ERROR)
        payload = json.dumps(answer.body, separators=(",", ":")).encode()
        status = HTTPStatus(answer.status)
        start_response(f"{status.value} {status.phrase}", [
            *_FIXED_HEADERS, ("Content-Length", str(len(payload))), (REQUEST_ID_HEADER, request), *extra,
        ])
        return [payload]

    def _body(self, environ: dict) -> bytes:
        """The raw body, at most `max_bytes` of it: a longer one is refused, unread if its length is declared."""
        stream, length = environ["wsgi.input"], environ.get("CONTENT_LENGTH")
        body = None
        if not length:  # chunked: read one byte past the limit to know whether it was passed
            body = stream.read(self._max_bytes + 1) if environ.get("wsgi.input_terminated") else b""
            size = len(body)
        elif length.isascii() and length.isdigit():  # not only isdigit(): "²".isdigit() too
            size = int(length)
        else:
            raise _Refused(Answer.error(400, "bad_request", f"Content-Length is not a number: {length[:20]!r}"))
        if size > self._max_bytes:
            raise _Refused(Answer.error(413, *too_large(self._max_bytes)))
        return body if body is not None else stream.read(size)
