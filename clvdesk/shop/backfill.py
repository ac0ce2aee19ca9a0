"""`clvdesk shop import`: a shop's order history pulled once, page by page, into an orders CSV for `clv fit`.

Each page is written to its own file and then the checkpoint (the next cursor or page) is moved on, each by
an atomic rename, so a run killed at any point resumes at the first page it had not finished and no order
is written twice. Orders become rows by the webhooks' own rules (clvdesk.shop.shopify / woocommerce): test
orders are left out, an order that does not count is no row, a refund is a negative row on its own day.

Shopify is read through the GraphQL Admin API's cursor-paged `orders` query, paced by the cost figures
each answer carries (a THROTTLED answer waits for the bucket to refill); WooCommerce through
`/wp-json/wc/v3/orders` pages, oldest first, so orders placed during the run only add pages at the end.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from clvdesk.defaults import HTTP_RETRY_AFTER_MAX_SECONDS, SHOPIFY_API_VERSION, SHOPIFY_PAGE_SIZE, WOOCOMMERCE_PAGE_SIZE
from clvdesk.events import Ignored
from clvdesk.helpdesk.errors import HelpdeskError
from clvdesk.helpdesk.transport import ApiHooks, ApiTransport
from clvdesk.shop import shopify, woocommerce
from clvdesk.shop.changes import Order

ORDER_COLUMNS = ("customer_id", "email", "date", "amount")  # clv fit's default columns
CHECKPOINT = "checkpoint.json"
MERGED = "orders.csv"
MAX_THROTTLED_WAITS = 20  # THROTTLED answers in a row before the import gives up


class BackfillError(Exception):
    """The import cannot go on; the message says why and that running it again resumes."""


@dataclass(frozen=True)
class Page:
    orders: list[Order]
    next: object | None  # the cursor or page number of the next page; None after the last
    total: int | None = None  # pages in all, where the API says


ORDERS_QUERY = """query Orders($first: Int!, $after: String) {
  orders(first: $first, after: $after, sortKey: CREATED_AT) {
    edges { cursor node {
      legacyResourceId createdAt processedAt cancelledAt test email currencyCode displayFinancialStatus
      totalPriceSet { shopMoney { amount currencyCode } }
      refunds(first: 50) { legacyResourceId createdAt totalRefundedSet { shopMoney { amount } } }
      customer { legacyResourceId email }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


class ShopifyOrders:
    """Pages of a Shopify store's orders, oldest first."""

    def __init__(self, api_url: str, access_token: str, *, page_size: int = SHOPIFY_PAGE_SIZE,
                 sleep: Callable[[float], None] = time.sleep):
        hooks = ApiHooks(auth_headers=lambda: {"X-Shopify-Access-Token": access_token})
        self._api = ApiTransport(api_url, hooks, helpdesk="shopify", account=api_url, sleep=sleep)
        self._path = f"/admin/api/{SHOPIFY_API_VERSION}/graphql.json"
        self._page_size, self._sleep = page_size, sleep

    def page(self, cursor: str | None) -> Page:
        for _ in range(MAX_THROTTLED_WAITS):
            answer = self._api.call("POST", self._path, json={"query": ORDERS_QUERY,
                                                              "variables": {"first": self._page_size, "after": cursor}}).json()
            cost = (answer.get("extensions") or {}).get("cost") or {}
            throttle = cost.get("throttleStatus") or {}
            errors = answer.get("errors") or []
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                self._sleep(_refill_seconds(cost.get("requestedQueryCost", 0), throttle))
                continue
            if errors:
                raise BackfillError(f"Shopify refused the orders query: {errors[0].get('message', errors[0])}")
            connection = answer["data"]["orders"]
            # pace the next page: wait until the bucket holds what this one cost
            self._sleep(_refill_seconds(cost.get("actualQueryCost") or 0, throttle))
            orders = [_counted(shopify.order(_rest_shape(edge["node"]))) for edge in connection["edges"]
                      if edge["node"].get("test") is not True]
            info = connection["pageInfo"]
            return Page([order for order in orders if order is not None], info["endCursor"] if info["hasNextPage"] else None)
        raise BackfillError(f"Shopify stayed throttled through {MAX_THROTTLED_WAITS} waits; run the import again to resume")


def _refill_seconds(cost: float, throttle: dict) -> float:
    """How long until the bucket holds `cost` points again."""
    available, rate = throttle.get("currentlyAvailable"), throttle.get("restoreRate")
    if available is None or not rate or available >= cost:
        return 0.0
    return min((cost - available) / rate, HTTP_RETRY_AFTER_MAX_SECONDS)


def _rest_shape(node: dict) -> dict:
    """A GraphQL order node in the REST (webhook) shape the Shopify parser reads, so both follow one rule."""
    customer = node.get("customer") or {}
    return {
        "id": node["legacyResourceId"], "created_at": node["createdAt"], "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"), "test": node.get("test"), "email": node.get("email"),
        "currency": node["currencyCode"], "financial_status": (node.get("displayFinancialStatus") or "").lower(),
        "total_price_set": {"shop_money": node["totalPriceSet"]["shopMoney"]},
        "customer": {"id": customer.get("legacyResourceId"), "email": customer.get("email")},
        "refunds": [{"id": refund["legacyResourceId"], "created_at": refund["createdAt"], "transactions": [
            {"kind": "refund", "status": "success", "amount_set": {"shop_money": refund["totalRefundedSet"]["shopMoney"]}}]}
            for refund in node.get("refunds") or []],
    }


class WooCommerceOrders:
    """Pages of a WooCommerce store's orders, oldest first (`cursor`: the page number)."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *, page_size: int = WOOCOMMERCE_PAGE_SIZE,
                 sleep: Callable[[float], None] = time.sleep):
        basic = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
        hooks = ApiHooks(auth_headers=lambda: {"Authorization": f"Basic {basic}"})
        self._api = ApiTransport(url, hooks, helpdesk="woocommerce", account=url, sleep=sleep)
        self._page_size = page_size

    def page(self, cursor: int | None) -> Page:
        number = cursor or 1
        answer = self._api.call("GET", "/wp-json/wc/v3/orders", params={
            "per_page": self._page_size, "page": number, "orderby": "date", "order": "asc"})
        total = int(answer.headers.get("X-WP-TotalPages") or 1)
        orders = [_counted(woocommerce.order(body)) for body in answer.json()]
        return Page([order for order in orders if order is not None], number + 1 if number < total else None, total)


def _counted(order: Order | Ignored) -> Order | None:
    return order if isinstance(order, Order) and order.counted else None


def rows(order: Order) -> Iterator[tuple[str, str, str, str]]:
    """The order's rows in clv fit's layout: the order, then each refund as a negative amount on its day."""
    who = (order.customer.customer_id or order.customer.email, order.customer.email or "")
    yield (*who, order.day.isoformat(), repr(order.amount))
    for day, amount in order.refunds.values():
        yield (*who, day.isoformat(), repr(-amount))


def run(source: ShopifyOrders | WooCommerceOrders, directory: Path, *,
        progress: Callable[[int, int | None, int], None] = lambda page, total, orders: None) -> Path:
    """Pull every page not pulled yet into `directory`, then merge them into orders.csv (its path);
    BackfillError for a second currency (one customer store holds one)."""
    directory.mkdir(parents=True, exist_ok=True)
    state = _load(directory)
    while not state["done"]:
        try:
            page = source.page(state["cursor"])
        except (HelpdeskError, KeyError, TypeError, ValueError) as exc:
            raise BackfillError(f"page {state['pages'] + 1}: {exc}; run the import again to resume there") from exc
        currencies = {order.currency for order in page.orders} | ({state["currency"]} if state["currency"] else set())
        if len(currencies) > 1:
            raise BackfillError(f"orders in {', '.join(sorted(currencies))}: one customer store holds one currency")
        _atomic(directory / f"{state['pages']:06d}.csv",
                lambda out: csv.writer(out).writerows(row for order in page.orders for row in rows(order)))
        state = {"cursor": page.next, "pages": state["pages"] + 1, "done": page.next is None,
                 "currency": next(iter(currencies), None), "orders": state["orders"] + len(page.orders)}
        _atomic(directory / CHECKPOINT, lambda out: json.dump(state, out))
        progress(state["pages"], page.total, state["orders"])
    merged = directory / MERGED

    def merge(out) -> None:
        writer = csv.writer(out)
        writer.writerow(ORDER_COLUMNS)
        for number in range(state["pages"]):
            with (directory / f"{number:06d}.csv").open(newline="") as part:
                writer.writerows(csv.reader(part))

    _atomic(merged, merge)
    return merged


def _load(directory: Path) -> dict:
    try:
        return json.loads((directory / CHECKPOINT).read_text())
    except FileNotFoundError:
        return {"cursor": None, "pages": 0, "done": False, "currency": None, "orders": 0}


def _atomic(path: Path, write: Callable) -> None:
    temporary = path.with_name(path.name + ".partial")
    with temporary.open("w", newline="") as out:
        write(out)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
