"""A customer's orders from the shop (their ledger) and the sufficient statistics the CLV models read from them.

The ledger keeps each order as it last stood, with its refunds by id, so applying an order again changes
nothing, an update replaces the order, and a refund delivered twice counts once. The statistics follow the
CLV engine's own rule (clvdesk.clv.summary): one purchase per day with an order that counts, its amount the
day's orders net of that day's refunds; a refund on another day lowers the historical spend only.

The rule for orders that do not count: a test order is never recorded; a cancelled, voided, unpaid or
failed order is recorded as not counting (so its cancellation takes back what it had added), and its refunds
count for nothing; a zero-value order that counts is a purchase of 0, as in `clv fit`.

A customer the shop has not sent orders for before, and whom `clv fit` scored, starts from their fitted
history (the seed): what happened on or before the fit's day is in it already, so only orders and refunds
dated after it are added. The seed's repeat spend is frequency × the fit's expected spend, the fitted
stand-in for the mean repeat order it does not store.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from clvdesk.shop.changes import Order, Refund


@dataclass(frozen=True)
class Statistics:
    first: date  # first purchase day
    last: date  # last purchase day
    frequency: int  # repeat purchase days
    historical_spend: float  # every amount, refunds taken off
    repeat_spend: float  # the repeat purchase days' amounts

    @property
    def monetary_value(self) -> float:
        return self.repeat_spend / self.frequency if self.frequency else 0.0


def order_key(platform: str, order_id: str) -> str:
    return f"{platform}:{order_id}"


def new_ledger(seed: Statistics | None = None, seed_day: date | None = None) -> dict:
    """An empty ledger, starting from a fitted history (`seed`, as of `seed_day`) where there is one."""
    doc: dict = {"orders": {}}
    if seed is not None:
        doc["seed"] = {"first": seed.first.isoformat(), "last": seed.last.isoformat(), "frequency": seed.frequency,
                       "spend": seed.historical_spend, "repeat_spend": seed.repeat_spend, "as_of": seed_day.isoformat()}
    return doc


def apply(doc: dict, change: Order | Refund) -> dict:
    """The ledger with `change` applied (a new dict; `doc` is left as it was)."""
    orders = {key: {**entry, "refunds": dict(entry["refunds"])} for key, entry in doc["orders"].items()}
    key = order_key(change.platform, change.order_id)
    if isinstance(change, Order):
        refunds = dict(orders.get(key, {}).get("refunds", {}))  # refunds/create may have come first
        for rid, (day, amount) in change.refunds.items():  # a refund seen before keeps the day first seen
            refunds[rid] = [refunds[rid][0] if rid in refunds else day.isoformat(), amount]
        orders[key] = {"day": change.day.isoformat(), "amount": change.amount, "counted": change.counted, "refunds": refunds}
    else:
        entry = orders[key]
        day = entry["refunds"].get(change.refund_id, [change.day.isoformat()])[0]
        entry["refunds"][change.refund_id] = [day, change.amount]
    return {**doc, "orders": orders}


def statistics(doc: dict) -> Statistics | None:
    """The customer's statistics from their ledger; None when nothing they bought counts."""
    seed = doc.get("seed")
    after = date.fromisoformat(seed["as_of"]) if seed else None
    amounts: dict[date, float] = defaultdict(float)
    purchases: set[date] = set()
    for entry in doc["orders"].values():
        if not entry["counted"]:
            continue
        rows = [(date.fromisoformat(entry["day"]), entry["amount"], True)]
        rows += [(date.fromisoformat(day), -amount, False) for day, amount in entry["refunds"].values()]
        for day, amount, purchase in rows:
            if after is not None and day <= after:
                continue
            amounts[day] += amount
            if purchase:
                purchases.add(day)
    days = sorted(purchases)
    spend = sum(amounts.values())
    if seed:
        return Statistics(first=date.fromisoformat(seed["first"]), last=max([date.fromisoformat(seed["last"]), *days]),
                          frequency=seed["frequency"] + len(days), historical_spend=seed["spend"] + spend,
                          repeat_spend=seed["repeat_spend"] + sum(amounts[day] for day in days))
    if not days:
        return None
    return Statistics(first=days[0], last=days[-1], frequency=len(days) - 1, historical_spend=spend,
                      repeat_spend=sum(amounts[day] for day in days[1:]))
