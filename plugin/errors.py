"""Every error the web process answers is JSON: {"error": code, "message": what is wrong}."""

from __future__ import annotations

from flask import Flask, jsonify, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

from clvdesk.defaults import REDIS_DOWN_RETRY_AFTER_SECONDS
from clvdesk.json_body import JsonBodyError, read_json

# (code, message) of the answers that the webhook endpoint, in front of Flask, gives as well.
STORAGE_UNAVAILABLE = ("storage_unavailable", "the queue is unreachable; nothing was stored, retry later")
INTERNAL_ERROR = ("internal_error", "clvdesk failed to handle the request; it is logged")
STORAGE_RETRY = {"Retry-After": str(REDIS_DOWN_RETRY_AFTER_SECONDS)}


def too_large(limit: int) -> tuple[str, str]:
    return "payload_too_large", f"the body is larger than {limit} bytes"


def error(status: int, code: str, message: str, **headers: str):
    response = jsonify(error=code, message=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def invalid(code: str, errors: list[dict]):
    """422: each problem at its path in `errors`, and all of them in the one message."""
    response = jsonify(error=code, message="; ".join(
        f"{item['path']}: {item['message']}" if item["path"] else item["message"] for item in errors
    ), errors=errors)
    response.status_code = 422
    return response


def json_object() -> tuple[dict | None, object]:
    """The request's JSON object, read within clvdesk's bounds, or None and the 400 answer to send instead."""
    if not request.is_json:
        return None, error(400, "invalid_json", "send a JSON object with Content-Type: application/json")
    try:
        data = read_json(request.get_data())
    except JsonBodyError as exc:
        return None, error(400, "invalid_json", f"body: {exc}")
    if not isinstance(data, dict):
        return None, error(400, "invalid_json", f"body: expected a JSON object, got {type(data).__name__}")
    return data, None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code == 413:
            return error(413, *too_large(request.max_content_length))
        return error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def _redis_down(exc: Exception):
        app.logger.error("redis unreachable: %s", exc)
        return error(503, *STORAGE_UNAVAILABLE, **STORAGE_RETRY)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error(500, *INTERNAL_ERROR)
