"""POST /webhooks/zendesk: verify, validate, enqueue once, answer within milliseconds."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from clvdesk.events import INVOCATION_HEADER, Ignored, WebhookPayloadError, parse_zendesk_webhook
from clvdesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureVerificationError, verify_signature
from plugin.errors import error
from workers.queue import enqueue_event

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/zendesk")
def zendesk():
    state = current_app.extensions["clvdesk"]
    raw = request.get_data(cache=False)
    try:
        verify_signature(
            raw,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            state.settings.webhook_secrets,
        )
    except SignatureVerificationError as exc:
        return error(401, "invalid_signature", str(exc))

    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return error(400, "malformed_json", f"body is not JSON: {exc}")
    try:
        event = parse_zendesk_webhook(body, request.headers.get(INVOCATION_HEADER))
    except WebhookPayloadError as exc:
        return error(400, "invalid_payload", str(exc))
    if isinstance(event, Ignored):
        return jsonify(status="ignored", reason=event.reason), 200

    job_id, created = enqueue_event(state.queue, event)
    if created:
        return jsonify(status="queued", job_id=job_id), 202
    return jsonify(status="duplicate", job_id=job_id), 200
