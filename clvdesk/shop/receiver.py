"""Receiving a shop's webhook as the helpdesk webhooks are received: verify the signature, read the payload,
enqueue its change once (deduplicated by the delivery's identity), answer at once. Free of any web framework.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Protocol

from redis.exceptions import RedisError

from clvdesk.events import Ignored
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.interface import Delivery
from clvdesk.json_body import JsonBodyError, read_json
from clvdesk.logs import event_context
from clvdesk.metrics import Metrics
from clvdesk.receiver import Answer
from clvdesk.shop import shopify, woocommerce
from clvdesk.shop.changes import Change, ShopPayloadError, to_job
from clvdesk.shop.settings import ShopifySettings, WooCommerceSettings
from clvdesk.shop.signature import check_signature

logger = logging.getLogger(__name__)


class ShopEnqueuer(Protocol):
    def enqueue(self, shop: str, dedupe: str, change: dict) -> tuple[str, bool]:
        """(job id, True) for a change queued now, (job id, False) for a delivery already queued."""


class ShopWebhook:
    """A configured shop's webhook: its account (host) and the secrets its deliveries are signed with."""

    platform = ""
    SIGNATURE = ""

    def __init__(self, settings: ShopifySettings | WooCommerceSettings):
        self.account = settings.account
        self._secrets = settings.webhook_secrets


class ShopifyWebhook(ShopWebhook):
    platform = shopify.PLATFORM
    SIGNATURE = "X-Shopify-Hmac-Sha256"

    def read(self, delivery: Delivery) -> tuple[str, Change | Ignored | None]:
        """(dedupe key, change); WebhookAuthError, JsonBodyError or ShopPayloadError for a bad delivery."""
        check_signature(delivery.headers, self.SIGNATURE, delivery.body, self._secrets)
        domain = delivery.headers.get("X-Shopify-Shop-Domain", "")
        if domain.lower() != self.account:
            raise WebhookAuthError(f"X-Shopify-Shop-Domain {domain[:80]!r} is not this clvdesk's shop")
        topic, webhook_id = (delivery.headers.get(name, "").strip() for name in ("X-Shopify-Topic", "X-Shopify-Webhook-Id"))
        if not topic or not webhook_id:
            raise ShopPayloadError("missing X-Shopify-Topic or X-Shopify-Webhook-Id header")
        return webhook_id, shopify.parse(topic, read_json(delivery.body), shop=self.account, webhook_id=webhook_id)


class WooCommerceWebhook(ShopWebhook):
    platform = woocommerce.PLATFORM
    SIGNATURE = "X-WC-Webhook-Signature"

    def read(self, delivery: Delivery) -> tuple[str, Change | Ignored | None]:
        if self.SIGNATURE not in delivery.headers and delivery.body.startswith(b"webhook_id="):
            return "", None  # the unsigned ping WooCommerce sends when a webhook is saved: it wants a 200
        check_signature(delivery.headers, self.SIGNATURE, delivery.body, self._secrets)
        topic = delivery.headers.get("X-WC-Webhook-Topic", "").strip()
        if not topic:
            raise ShopPayloadError("missing X-WC-Webhook-Topic header")
        body = read_json(delivery.body)
        change = woocommerce.parse(topic, body)
        # The delivery id is new on every delivery: an event is its topic, resource and modification time.
        event = f"{topic}:{body.get('id')}:{body.get('date_modified_gmt')}" if isinstance(body, dict) else topic
        return hashlib.sha256(event.encode()).hexdigest()[:32], change


class ShopReceiver:
    """A shop delivery → one queued job and an answer. `adapters`: the configured shops by path name."""

    def __init__(self, adapters: Mapping[str, ShopWebhook], enqueuer: ShopEnqueuer, metrics: Metrics):
        self.adapters = adapters
        self._enqueuer = enqueuer
        self._metrics = metrics

    def receive(self, name: str, delivery: Delivery) -> Answer:
        adapter = self.adapters[name]
        try:
            dedupe, change = adapter.read(delivery)
        except WebhookAuthError as exc:
            return self._answer(adapter, delivery, "unauthorized", Answer.error(401, "invalid_signature", str(exc)))
        except JsonBodyError as exc:
            return self._answer(adapter, delivery, "invalid", Answer.error(400, "malformed_json", f"body: {exc}"))
        except ShopPayloadError as exc:
            return self._answer(adapter, delivery, "invalid", Answer.error(400, "invalid_payload", str(exc)))
        if change is None:
            return self._answer(adapter, delivery, "ping", Answer(200, {"status": "ping"}))
        if isinstance(change, Ignored):
            return self._answer(adapter, delivery, "ignored", Answer(200, {"status": "ignored", "reason": change.reason}))
        job_id, created = self._enqueuer.enqueue(f"{adapter.platform}:{adapter.account}", dedupe, to_job(change))
        status = "queued" if created else "duplicate"
        return self._answer(adapter, delivery, status, Answer(202 if created else 200, {"status": status, "job_id": job_id}))

    def _answer(self, adapter, delivery: Delivery, outcome: str, answer: Answer) -> Answer:
        try:
            self._metrics.count("clvdesk_shop_webhooks_total", shop=adapter.platform, account=adapter.account, outcome=outcome)
        except RedisError:
            pass  # the answer stands; only the count is lost
        with event_context(None, delivery.request_id, f"{adapter.platform}:{adapter.account}"):
            detail = answer.body.get("message") or answer.body.get("reason") or answer.body.get("job_id") or ""
            logger.info("shop webhook %s%s", outcome, f": {detail}" if detail else "")
        return answer
