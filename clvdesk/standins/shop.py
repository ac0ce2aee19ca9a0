"""Stand-in shops for tests and the demo: Shopify and WooCommerce as their contracts describe them
(../shared/shop/*/README.md): orders and refunds in each one's REST shape, and webhooks signed and headed
as each platform sends them, posted to a clvdesk over HTTP."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from clvdesk.shop.signature import sign

SHOPIFY_API_VERSION = "2025-01"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class ShopifyShop:
    """A Shopify store: `order()` builds an order as its webhooks carry it; `send()` delivers a topic as
    Shopify does (X-Shopify-* headers, HMAC-SHA256 of the raw body with the app's secret)."""

    def __init__(self, shop: str, secret: str, currency: str = "USD"):
        self.shop, self.secret, self.currency = shop, secret, currency
        self._ids = itertools.count(820982911946154508)  # past 2^53, as Shopify's are

    def order(self, *, email: str, customer_id: int, total: str, created_at: str, financial_status: str = "paid",
              refunds: list[dict] = (), cancelled_at: str | None = None, test: bool = False, order_id: int | None = None,
              currency: str | None = None) -> dict:
        currency = currency or self.currency
        return {
            "id": order_id or next(self._ids), "email": email, "created_at": created_at, "processed_at": created_at,
            "currency": currency, "total_price": total, "financial_status": financial_status, "test": test,
            "cancelled_at": cancelled_at, "total_price_set": {"shop_money": {"amount": total, "currency_code": currency},
                                                              "presentment_money": {"amount": total, "currency_code": currency}},
            "customer": {"id": customer_id, "email": email}, "refunds": list(refunds), "line_items": [],
        }

    def refund(self, order: dict, *, amount: str, created_at: str, refund_id: int | None = None) -> dict:
        return {"id": refund_id or next(self._ids), "order_id": order["id"], "created_at": created_at, "processed_at": created_at,
                "transactions": [{"kind": "refund", "status": "success", "amount": amount, "currency": order["currency"]}]}

    def delivery(self, topic: str, payload: dict, *, webhook_id: str | None = None, secret: str | None = None) -> tuple[bytes, dict]:
        body = json.dumps(payload).encode()
        return body, {
            "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(secret or self.secret, body),
            "X-Shopify-Shop-Domain": self.shop, "X-Shopify-API-Version": SHOPIFY_API_VERSION,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
        }

    def send(self, url: str, topic: str, payload: dict, **options) -> tuple[int, dict]:
        body, headers = self.delivery(topic, payload, **options)
        return _post(url, body, headers)


class WooCommerceShop:
    """A WooCommerce site: orders in the wc/v3 REST shape, webhooks with X-WC-* headers and the
    base64 HMAC-SHA256 of the body with the webhook's secret; refunds arrive as order.updated."""

    def __init__(self, url: str, secret: str, currency: str = "EUR"):
        self.url, self.secret, self.currency = url, secret, currency
        self._ids = itertools.count(1001)

    def order(self, *, email: str, customer_id: int, total: str, created_at: str, status: str = "processing",
              refunds: list[dict] = (), order_id: int | None = None, modified_at: str | None = None) -> dict:
        return {"id": order_id or next(self._ids), "status": status, "currency": self.currency, "total": total,
                "date_created_gmt": created_at, "date_modified_gmt": modified_at or created_at, "customer_id": customer_id,
                "billing": {"email": email}, "refunds": list(refunds), "line_items": []}

    def delivery(self, topic: str, payload: dict, *, secret: str | None = None) -> tuple[bytes, dict]:
        body = json.dumps(payload, separators=(",", ":")).encode()
        resource, event = topic.split(".", 1)
        return body, {
            "X-WC-Webhook-Source": self.url + "/", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event, "X-WC-Webhook-Signature": sign(secret or self.secret, body), "X-WC-Webhook-ID": "7",
            "X-WC-Webhook-Delivery-ID": hashlib.md5(f"7{time.time()}".encode()).hexdigest(),
            "User-Agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)",
        }

    def send(self, url: str, topic: str, payload: dict, **options) -> tuple[int, dict]:
        body, headers = self.delivery(topic, payload, **options)
        return _post(url, body, headers)

    @staticmethod
    def ping(url: str) -> tuple[int, dict]:
        request = urllib.request.Request(url, data=b"webhook_id=7", method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
