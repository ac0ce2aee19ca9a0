"""Receiving a Zendesk webhook: verify, validate, enqueue once, and decide the answer.

Free of any web framework: the webhook is the web process's busiest request, and its adapter
answers it in front of Flask, whose request cycle cost as much CPU as everything here together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from redis.exceptions import RedisError

from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError, parse_zendesk_webhook
from clvdesk.json_body import JsonBodyError, read_json
from clvdesk.logs import event_context
from clvdesk.metrics import Metrics
from clvdesk.signature import SignatureVerificationError, signed_digest, verify_signature

logger = logging.getLogger(__name__)
HELPDESK = "zendesk"


class Enqueuer(Protocol):
    def enqueue(self, event: TicketEvent, *, signed: str) -> tuple[str, bool]:
        """(job id, True) for a new event stored and queued, (job id, False) for one already there or
        for a replay of a request already received (`signed`: the digest its signature covers)."""


@dataclass(frozen=True)
class Answer:
    """What to tell the helpdesk: a status and a JSON object."""

    status: int
    body: dict[str, str]

    @classmethod
    def error(cls, status: int, code: str, message: str) -> Answer:
        return cls(status, {"error": code, "message": message})


@dataclass(frozen=True)
class Delivery:
    """One webhook request as received: the raw body and the headers that identify and sign it."""

    body: bytes
    signature: str | None
    timestamp: str | None
    invocation_id: str | None
    request_id: str


class WebhookReceiver:
    """Turns a delivery into a queued job (once) and an answer, counting and logging each outcome."""

    def __init__(self, secrets: tuple[str, ...] | list[str], enqueuer: Enqueuer, metrics: Metrics):
        self._secrets = secrets
        self._enqueuer = enqueuer
        self._metrics = metrics

    def receive(self, delivery: Delivery) -> Answer:
        """The answer; raises RedisError only if the event could not be stored (so it must be sent again)."""
        answer = None
        try:
            with self._metrics.batch():
                answer = self._receive(delivery)
        except RedisError:
            if answer is None:
                raise
        return answer  # if Redis failed after the answer was decided, only the count is lost

    def _receive(self, delivery: Delivery) -> Answer:
        try:
            verify_signature(delivery.body, delivery.signature, delivery.timestamp, self._secrets)
        except SignatureVerificationError as exc:
            return self._refuse(delivery, "unauthorized", 401, "invalid_signature", str(exc))
        try:
            body = read_json(delivery.body)
        except JsonBodyError as exc:
            return self._refuse(delivery, "invalid", 400, "malformed_json", f"body: {exc}")
        try:
            event = parse_zendesk_webhook(body, delivery.invocation_id)
        except WebhookPayloadError as exc:
            return self._refuse(delivery, "invalid", 400, "invalid_payload", str(exc))
        if isinstance(event, Ignored):
            self._outcome(delivery, "ignored", detail=event.reason)
            return Answer(200, {"status": "ignored", "reason": event.reason})

        event = event.model_copy(update={"received_at": datetime.now(timezone.utc)})
        signed = signed_digest(delivery.timestamp, delivery.body)  # verified above, so both are there
        job_id, created = self._enqueuer.enqueue(event, signed=signed)  # counts the delivery as it stores the job
        status = "queued" if created else "duplicate"
        self._outcome(delivery, status, event.event_id, f"job {job_id}", counted=True)
        return Answer(202 if created else 200, {"status": status, "job_id": job_id})

    def _refuse(self, delivery: Delivery, outcome: str, status: int, code: str, message: str) -> Answer:
        self._outcome(delivery, outcome, detail=message)
        return Answer.error(status, code, message)

    def _outcome(self, delivery: Delivery, outcome: str, event_id: str | None = None, detail: str = "",
                 *, counted: bool = False) -> None:
        """Count the delivery (unless the enqueue script did) and log one line that names its event."""
        if not counted:
            self._metrics.count("clvdesk_webhooks_total", helpdesk=HELPDESK, outcome=outcome)
        if logger.isEnabledFor(logging.INFO):
            with event_context(event_id, delivery.request_id):
                logger.info("webhook %s%s", outcome, f": {detail}" if detail else "")
