"""WooCommerce's webhooks read into clvdesk.shop.changes (../shared/shop/woocommerce/README.md).

WooCommerce has no paid or refund topic: order.created and order.updated carry the order as it stands, its
`refunds[]` included (each `total` a negative string), so a refund arrives as an update of its order.
An order counts as a purchase in processing, on-hold, completed or refunded status; pending (awaiting
payment), failed, cancelled, draft and trash do not. Guests (customer_id 0) are known by billing email.
"""

from __future__ import annotations

from clvdesk.events import Ignored
from clvdesk.shop.changes import (
    Change, CustomerRef, Order, ShopPayloadError, amount_of, currency_of, day_of, email_change, email_of, id_of,
    items, mapping,
)

PLATFORM = "woocommerce"
TOPICS = ("order.created", "order.updated", "order.restored", "order.deleted", "customer.updated")
COUNTED_STATUSES = ("processing", "on-hold", "completed", "refunded")


def parse(topic: str, body: object) -> Change | Ignored:
    body = mapping(body, "the body")
    if topic in ("order.created", "order.updated", "order.restored"):
        return order(body)
    if topic == "customer.updated":
        return email_change(PLATFORM, body)
    return Ignored(f"topic {topic[:60]} changes no customer's value")


def order(body: dict) -> Order | Ignored:
    order_id = id_of(body.get("id"), "id")
    billing = body.get("billing") if isinstance(body.get("billing"), dict) else {}
    customer_id = body.get("customer_id")
    customer = CustomerRef(None if customer_id in (0, "0", None, "") else id_of(customer_id, "customer_id"),
                           email_of(billing.get("email")))
    if not customer.customer_id and not customer.email:
        return Ignored(f"order {order_id} has no customer id or billing email: nobody to count it for")
    total = amount_of(body.get("total"), "total")
    if total < 0:
        raise ShopPayloadError(f"total {total} is negative")
    modified = body.get("date_modified_gmt") or body.get("date_created_gmt")
    refunds = {}
    for index, item in enumerate(items(body.get("refunds"), "refunds")):
        item = mapping(item, f"refunds[{index}]")
        amount = -amount_of(item.get("total"), f"refunds[{index}].total")
        if amount < 0:
            raise ShopPayloadError(f"refunds[{index}].total is positive; WooCommerce sends refunds as negative totals")
        refunds[id_of(item.get("id"), f"refunds[{index}].id")] = (day_of(modified, "date_modified_gmt"), amount)
    return Order(PLATFORM, order_id, customer, day_of(body.get("date_created_gmt"), "date_created_gmt"), total,
                 currency_of(body.get("currency"), "currency"), body.get("status") in COUNTED_STATUSES, refunds)
