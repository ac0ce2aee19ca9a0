"""POST /webhooks/zendesk: verify, validate, enqueue once, answer within milliseconds.

A new or repeated event costs one Redis round trip: the script that stores its job also counts it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from flask import Blueprint, current_app, g, jsonify, request
from redis.exceptions import RedisError

from clvdesk.events import INVOCATION_HEADER, Ignored, WebhookPayloadError, parse_zendesk_webhook
from clvdesk.logs import event_context
from clvdesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureVerificationError, verify_signature
from plugin.errors import error
from workers.queue import EventEnqueuer

bp = Blueprint("webhooks", __name__)
ENQUEUER = "clvdesk.webhooks.enqueuer"


@bp.record_once
def _build_enqueuer(setup) -> None:
    state = setup.app.extensions["clvdesk"]
    setup.app.extensions[ENQUEUER] = EventEnqueuer(
        state.redis, state.metrics, helpdesk="zendesk", timeout=state.settings.job_timeout_seconds
    )


def _outcome(outcome: str, event_id: str | None = None, detail: str = "", *, counted: bool = False) -> None:
    """Count the delivery (unless the enqueue script did) and log one line that names its event."""
    if not counted:
        current_app.extensions["clvdesk"].metrics.count("clvdesk_webhooks_total", helpdesk="zendesk", outcome=outcome)
    if current_app.logger.isEnabledFor(logging.INFO):
        with event_context(event_id, g.request_id):
            current_app.logger.info("webhook %s%s", outcome, f": {detail}" if detail else "")


@bp.post("/webhooks/zendesk")
def zendesk():
    state = current_app.extensions["clvdesk"]
    answer = None
    try:
        with state.metrics.batch():
            answer = _receive(state)
    except RedisError:
        if answer is None:
            raise  # nothing was stored: 503, and Zendesk delivers again
    return answer  # if Redis failed after the answer was decided, only the count is lost


def _receive(state):
    raw = request.get_data(cache=False)
    try:
        verify_signature(
            raw,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            state.settings.webhook_secrets,
        )
    except SignatureVerificationError as exc:
        _outcome("unauthorized", detail=str(exc))
        return error(401, "invalid_signature", str(exc))

    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _outcome("invalid", detail="malformed JSON")
        return error(400, "malformed_json", f"body is not JSON: {exc}")
    try:
        event = parse_zendesk_webhook(body, request.headers.get(INVOCATION_HEADER))
    except WebhookPayloadError as exc:
        _outcome("invalid", detail=str(exc))
        return error(400, "invalid_payload", str(exc))
    if isinstance(event, Ignored):
        _outcome("ignored", detail=event.reason)
        return jsonify(status="ignored", reason=event.reason), 200

    event = event.model_copy(update={"received_at": datetime.now(timezone.utc)})
    job_id, created = current_app.extensions[ENQUEUER].enqueue(event)
    _outcome("queued" if created else "duplicate", event.event_id, f"job {job_id}", counted=True)
    if created:
        return jsonify(status="queued", job_id=job_id), 202
    return jsonify(status="duplicate", job_id=job_id), 200
