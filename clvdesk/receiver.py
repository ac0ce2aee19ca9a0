"""Receiving a helpdesk's webhook: authenticate, validate, enqueue once, and decide the answer.

Free of any web framework: the webhook is the web process's busiest request, and its adapter
answers it in front of Flask, whose request cycle cost as much CPU as everything here together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from collections.abc import Mapping
from typing import Protocol

from redis.exceptions import RedisError

from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.interface import Delivery, WebhookAdapter
from clvdesk.json_body import JsonBodyError, read_json
from clvdesk.logs import event_context
from clvdesk.metrics import Metrics

logger = logging.getLogger(__name__)


class Enqueuer(Protocol):
    def enqueue(self, event: TicketEvent, *, signed: str | None) -> tuple[str, bool]:
        """(job id, True) for a new event stored and queued, (job id, False) for one already there or
        for a replay of a request already received (`signed`: the digest its signature covers, if any)."""


@dataclass(frozen=True)
class Answer:
    """What to tell the helpdesk: a status and a JSON object."""

    status: int
    body: dict[str, str]

    @classmethod
    def error(cls, status: int, code: str, message: str) -> Answer:
        return cls(status, {"error": code, "message": message})


class WebhookReceiver:
    """Turns a delivery into a queued job (once) and an answer, counting and logging each outcome.

    `adapters`: the configured helpdesks' webhook adapters, by the name in the path (/webhooks/<name>)."""

    def __init__(self, adapters: Mapping[str, WebhookAdapter], enqueuer: Enqueuer, metrics: Metrics):
        self.adapters = adapters
        self._enqueuer = enqueuer
        self._metrics = metrics

    def receive(self, name: str, delivery: Delivery) -> Answer:
        """The answer; raises RedisError only if the event could not be stored (so it must be sent again).
        `name` must be one of `adapters` (the web layer answers 404 for others)."""
        answer = None
        try:
            with self._metrics.batch():
                answer = self._receive(self.adapters[name], delivery)
        except RedisError:
            if answer is None:
                raise
        return answer  # if Redis failed after the answer was decided, only the count is lost

    def _receive(self, adapter: WebhookAdapter, delivery: Delivery) -> Answer:
        try:
            adapter.authenticate(delivery)
        except WebhookAuthError as exc:
            return self._refuse(adapter, delivery, "unauthorized", 401, "invalid_signature", str(exc))
        try:
            body = read_json(delivery.body)
        except JsonBodyError as exc:
            return self._refuse(adapter, delivery, "invalid", 400, "malformed_json", f"body: {exc}")
        try:
            event = adapter.parse(body, delivery)
        except WebhookPayloadError as exc:
            return self._refuse(adapter, delivery, "invalid", 400, "invalid_payload", str(exc))
        if isinstance(event, Ignored):
            self._outcome(adapter, delivery, "ignored", detail=event.reason)
            return Answer(200, {"status": "ignored", "reason": event.reason})

        event = event.model_copy(update={"received_at": datetime.now(timezone.utc)})
        job_id, created = self._enqueuer.enqueue(event, signed=adapter.replay_key(delivery))  # counts it as it stores
        status = "queued" if created else "duplicate"
        self._outcome(adapter, delivery, status, event.event_id, f"job {job_id}", counted=True)
        return Answer(202 if created else 200, {"status": status, "job_id": job_id})

    def _refuse(
        self, adapter: WebhookAdapter, delivery: Delivery, outcome: str, status: int, code: str, message: str
    ) -> Answer:
        self._outcome(adapter, delivery, outcome, detail=message)
        return Answer.error(status, code, message)

    def _outcome(self, adapter: WebhookAdapter, delivery: Delivery, outcome: str, event_id: str | None = None,
                 detail: str = "", *, counted: bool = False) -> None:
        """Count the delivery (unless the enqueue script did) and log one line that names its event."""
        if not counted:
            self._metrics.count("clvdesk_webhooks_total", helpdesk=adapter.helpdesk, account=adapter.account, outcome=outcome)
        if logger.isEnabledFor(logging.INFO):
            with event_context(event_id, delivery.request_id, f"{adapter.helpdesk}:{adapter.account}"):
                logger.info("webhook %s%s", outcome, f": {detail}" if detail else "")
