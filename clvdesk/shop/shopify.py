"""Shopify's webhooks read into clvdesk.shop.changes: orders, refunds, customers' emails, privacy requests.

Webhook bodies are the REST Admin API's objects (../shared/shop/shopify/README.md). Amounts come from the
shop's money (`*_set.shop_money`), so every order is in the store's own currency whatever the buyer paid in.
An order counts as a purchase once paid or authorized (financial_status authorized, partially_paid, paid,
partially_refunded, refunded) and not cancelled; a pending, voided or expired one does not (yet).
"""

from __future__ import annotations

from clvdesk.events import Ignored
from clvdesk.shop.changes import (
    Change, CustomerRef, Order, PrivacyRequest, Refund, ShopPayloadError, amount_of, currency_of, day_of,
    email_change, email_of, id_of, items, mapping,
)

PLATFORM = "shopify"
ORDER_TOPICS = ("orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/edited")
PRIVACY_TOPICS = {"customers/redact": "redact", "customers/data_request": "data_request", "shop/redact": "shop_redact"}
TOPICS = (*ORDER_TOPICS, "refunds/create", "customers/update", *PRIVACY_TOPICS)
COUNTED_STATUSES = ("authorized", "partially_paid", "paid", "partially_refunded", "refunded")


def parse(topic: str, body: object, *, shop: str, webhook_id: str) -> Change | Ignored:
    """The change a delivery of `topic` carries, Ignored for a topic or an order that changes nothing,
    ShopPayloadError naming the field that breaks the contract."""
    body = mapping(body, "the body")
    if topic in ORDER_TOPICS:
        if body.get("test") is True:
            return Ignored("a test order: test orders never count")
        return order(body)
    if topic == "refunds/create":
        return refund(body)
    if topic == "customers/update":
        return email_change(PLATFORM, body)
    if topic in PRIVACY_TOPICS:
        customer = None
        if topic != "shop/redact":
            person = mapping(body.get("customer"), "customer")
            customer = CustomerRef(_optional_id(person.get("id"), "customer.id"), email_of(person.get("email")))
            if not customer.customer_id and not customer.email:
                raise ShopPayloadError("customer has neither an id nor an email")
        request = body.get("data_request", {}).get("id") if isinstance(body.get("data_request"), dict) else None
        return PrivacyRequest(PLATFORM, shop, PRIVACY_TOPICS[topic], str(request or webhook_id), customer)
    return Ignored(f"topic {topic[:60]} changes no customer's value")


def order(body: dict) -> Order | Ignored:
    order_id = id_of(body.get("id"), "id")
    person = body.get("customer") if isinstance(body.get("customer"), dict) else {}
    customer = CustomerRef(_optional_id(person.get("id"), "customer.id"), email_of(body.get("email")) or email_of(person.get("email")))
    if not customer.customer_id and not customer.email:
        return Ignored(f"order {order_id} has no customer id or email: nobody to count it for")
    total = _shop_money(body.get("total_price_set"), "total_price_set") if body.get("total_price_set") is not None \
        else amount_of(body.get("total_price"), "total_price")
    if total < 0:
        raise ShopPayloadError(f"total_price {total} is negative")
    status = body.get("financial_status")
    counted = body.get("cancelled_at") in (None, "") and status in COUNTED_STATUSES
    refunds = {}
    for index, item in enumerate(items(body.get("refunds"), "refunds")):
        item = mapping(item, f"refunds[{index}]")
        found = refund({**item, "order_id": order_id})
        refunds[found.refund_id] = (found.day, found.amount)
    return Order(PLATFORM, order_id, customer, day_of(body.get("processed_at") or body.get("created_at"), "created_at"),
                 total, currency_of(body.get("currency"), "currency"), counted, refunds)


def refund(body: dict) -> Refund:
    amount = 0.0
    currency = None
    for index, transaction in enumerate(items(body.get("transactions"), "transactions")):
        transaction = mapping(transaction, f"transactions[{index}]")
        if transaction.get("kind") != "refund" or transaction.get("status") not in ("success", None):
            continue
        if transaction.get("amount_set") is not None:
            amount += _shop_money(transaction["amount_set"], f"transactions[{index}].amount_set")
        else:
            amount += amount_of(transaction.get("amount"), f"transactions[{index}].amount")
            currency = currency_of(transaction["currency"], f"transactions[{index}].currency") if transaction.get("currency") else None
    if amount < 0:
        raise ShopPayloadError(f"refund {body.get('id')} totals {amount}, less than nothing")
    return Refund(PLATFORM, id_of(body.get("order_id"), "order_id"), id_of(body.get("id"), "id"),
                  day_of(body.get("processed_at") or body.get("created_at"), "created_at"), amount, currency)


def _shop_money(value: object, what: str) -> float:
    shop_money = mapping(mapping(value, what).get("shop_money"), f"{what}.shop_money")
    return amount_of(shop_money.get("amount"), f"{what}.shop_money.amount")


def _optional_id(value: object, what: str) -> str | None:
    return None if value in (None, "", 0) else id_of(value, what)
