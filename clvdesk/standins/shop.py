"""Stand-in shops for tests and the demo: Shopify and WooCommerce as their contracts describe them
(../shared/shop/*/README.md): orders and refunds in each one's REST shape, and webhooks signed and headed
as each platform sends them, posted to a clvdesk over HTTP."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import math
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

from clvdesk.defaults import SHOPIFY_API_VERSION
from clvdesk.shop.signature import sign
from clvdesk.standins.server import StandinRequest, StandinServer, json_answer


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


# --- the shops' order APIs, for the backfill ----------------------------------------------------------------

GRAPHQL_MAX_FIRST = 250  # a connection's `first` may be at most 250 (Shopify's input limit)


class ShopifyStandin(StandinServer):
    """Shopify's GraphQL Admin API for orders: `orders(first:, after:)` cursor pages of the stored orders
    (REST-shaped, as ShopifyShop.order builds them, served in GraphQL's shape), the calculated-cost leaky
    bucket (`bucket` points, `restore_rate` a second) reported in `extensions.cost`, and THROTTLED when a
    query costs more than is left. `X-Shopify-Access-Token` must be `access_token`."""

    name = "shopify"

    def __init__(self, *, access_token: str, bucket: float = 1000, restore_rate: float = 50, **options):
        super().__init__(**options)
        self.access_token = access_token
        self.orders: list[dict] = []
        self.throttled = 0
        self._bucket, self._restore = bucket, restore_rate
        self._available, self._at = bucket, time.monotonic()
        self._cost_lock = threading.Lock()

    def drain(self) -> None:
        """Empty the cost bucket, as another app's queries on the same store would."""
        with self._cost_lock:
            self._available, self._at = 0.0, time.monotonic()

    def route(self, request: StandinRequest):
        if re.fullmatch(r"/admin/api/\d{4}-\d{2}/graphql\.json", request.path) and request.method == "POST":
            return self._graphql
        return None

    def refuse(self, request: StandinRequest, handler) -> object:
        token = next((value for name, value in request.headers.items() if name.lower() == "x-shopify-access-token"), "")
        if hmac.compare_digest(token.encode(), self.access_token.encode()):
            return None
        return json_answer(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})

    def _graphql(self, request: StandinRequest):
        body = request.json if isinstance(request.json, dict) else {}
        query, variables = body.get("query") or "", body.get("variables") or {}
        first = variables.get("first")
        if "orders(" not in query or not isinstance(first, int) or not 1 <= first <= GRAPHQL_MAX_FIRST:
            return json_answer(200, {"errors": [{"message": f"orders needs first between 1 and {GRAPHQL_MAX_FIRST}",
                                                 "extensions": {"code": "BAD_REQUEST"}}]})
        cost = 2 + first * 2  # the connection, and each order with its refunds
        with self._cost_lock:
            now = time.monotonic()
            self._available = min(self._bucket, self._available + (now - self._at) * self._restore)
            self._at = now
            status = {"maximumAvailable": self._bucket, "restoreRate": self._restore}
            if cost > self._available:
                self.throttled += 1
                return json_answer(200, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                         "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None,
                                                                 "throttleStatus": {**status, "currentlyAvailable": math.floor(self._available)}}}})
            self._available -= cost
            left = math.floor(self._available)
        start = int(base64.b64decode(variables["after"]).decode()) + 1 if variables.get("after") else 0
        page = self.orders[start:start + first]
        edges = [{"cursor": base64.b64encode(str(start + n).encode()).decode(), "node": _graphql_order(order)}
                 for n, order in enumerate(page)]
        return json_answer(200, {
            "data": {"orders": {"edges": edges, "pageInfo": {"hasNextPage": start + first < len(self.orders),
                                                             "endCursor": edges[-1]["cursor"] if edges else None}}},
            "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": cost,
                                    "throttleStatus": {**status, "currentlyAvailable": left}}},
        })


def _graphql_order(order: dict) -> dict:
    money = {"shopMoney": {"amount": order["total_price"], "currencyCode": order["currency"]}}
    refunds = [{"id": f"gid://shopify/Refund/{refund['id']}", "legacyResourceId": str(refund["id"]), "createdAt": refund["created_at"],
                "totalRefundedSet": {"shopMoney": {"amount": f"{sum(float(t['amount']) for t in refund['transactions']):.2f}",
                                                   "currencyCode": order["currency"]}}} for refund in order["refunds"]]
    customer = order.get("customer")
    return {
        "id": f"gid://shopify/Order/{order['id']}", "legacyResourceId": str(order["id"]), "createdAt": order["created_at"],
        "processedAt": order["processed_at"], "cancelledAt": order["cancelled_at"], "test": order["test"], "email": order["email"],
        "currencyCode": order["currency"], "displayFinancialStatus": order["financial_status"].upper(), "totalPriceSet": money,
        "refunds": refunds,
        "customer": customer and {"id": f"gid://shopify/Customer/{customer['id']}", "legacyResourceId": str(customer["id"]),
                                  "email": customer["email"]},
    }


WC_ORDER_ARGS = ("context", "page", "per_page", "search", "after", "before", "exclude", "include", "offset", "order",
                 "orderby", "parent", "parent_exclude", "status", "customer", "product", "dp")  # wc-v3-index.json
WC_MAX_PER_PAGE = 100


class WooCommerceStandin(StandinServer):
    """WooCommerce's `GET /wp-json/wc/v3/orders`: the stored orders, oldest first with order=asc, in pages
    with X-WP-Total, X-WP-TotalPages and a Link header; HTTP Basic with the consumer key and secret; with
    `requests_per_minute`, a host's throttle: 429 with Retry-After (wc/v3 itself has no limit)."""

    name = "woocommerce"

    def __init__(self, *, consumer_key: str, consumer_secret: str, **options):
        super().__init__(**options)
        self.credentials = f"{consumer_key}:{consumer_secret}"
        self.orders: list[dict] = []

    def route(self, request: StandinRequest):
        if request.path == "/wp-json/wc/v3/orders" and request.method == "GET":
            return self._orders
        return None

    def refuse(self, request: StandinRequest, handler) -> object:
        scheme, _, value = request.credentials.partition(" ")
        try:
            given = base64.b64decode(value, validate=True).decode() if scheme.lower() == "basic" else ""
        except (binascii.Error, ValueError):
            given = ""
        if hmac.compare_digest(given.encode(), self.credentials.encode()):
            return None
        return json_answer(401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
                                 "data": {"status": 401}})

    def rate_limited_answer(self, retry_after: int):
        return json_answer(429, {"code": "too_many_requests", "message": "Too Many Requests"}, {"Retry-After": str(retry_after)})

    def _orders(self, request: StandinRequest):
        args = {name: values[-1] for name, values in request.query.items()}
        unknown = sorted(set(args) - set(WC_ORDER_ARGS))
        problems = [f"{name} is not an argument of /wc/v3/orders" for name in unknown]
        try:
            page, per_page = int(args.get("page", 1)), int(args.get("per_page", 10))
        except ValueError:
            page, per_page = 0, 0
        if not 1 <= per_page <= WC_MAX_PER_PAGE or page < 1:
            problems.append(f"per_page must be between 1 and {WC_MAX_PER_PAGE} and page at least 1")
        if args.get("order", "desc") not in ("asc", "desc"):
            problems.append("order must be asc or desc")
        if problems:
            with self._lock:
                self.violations.append("; ".join(problems))
            return json_answer(400, {"code": "rest_invalid_param", "message": "; ".join(problems), "data": {"status": 400}})
        ordered = sorted(self.orders, key=lambda order: (order["date_created_gmt"], order["id"]),
                         reverse=args.get("order", "desc") == "desc")
        pages = max(1, math.ceil(len(ordered) / per_page))
        links = []
        if page < pages:
            links.append(f'<{self.url}{request.path}?{urlencode({**args, "page": page + 1})}>; rel="next"')
        links.append(f'<{self.url}{request.path}?{urlencode({**args, "page": pages})}>; rel="last"')
        return json_answer(200, ordered[(page - 1) * per_page: page * per_page],
                           {"X-WP-Total": str(len(ordered)), "X-WP-TotalPages": str(pages), "Link": ", ".join(links)})
