"""Applying a shop's change to the customer store: the worker's side of the shop webhooks and the backfill.

Each change is computed from a snapshot of the customer's ledger and record and committed in one atomic
step that fails if anything moved meanwhile (then it is computed again): two orders of one customer at
once both count, and an order applied twice changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from redis import Redis

from clvdesk.customers import CustomerStore, CustomerValue, LedgerSnapshot, ShopLedgers, StoreConflict
from clvdesk.defaults import SHOP_COMMIT_ATTEMPTS, SHOP_CUTOFF_SAMPLE
from clvdesk.shop import history
from clvdesk.shop.changes import Change, CustomerRef, EmailChange, Order, PrivacyRequest, Refund
from clvdesk.shop.valuing import Population, seed_of, value

log = logging.getLogger("clvdesk.shop")


class ShopUpdater:
    """`exports`: where a data request's export is written (a directory, created when first needed)."""

    def __init__(self, redis: Redis, *, exports: Path):
        self.store = CustomerStore(redis)
        self.ledgers = ShopLedgers(self.store)
        self.exports = exports
        self._population: tuple[str | None, Population | None] = (None, None)

    def apply(self, change: Change, *, now: datetime | None = None) -> str:
        """What became of `change`: "counted", "unchanged", "ignored: ...", "erased", "exported"; raises
        CurrencyMismatch for an order in another currency than the store's."""
        now = now or datetime.now(timezone.utc)
        if isinstance(change, PrivacyRequest):
            return self._privacy(change)
        if isinstance(change, EmailChange):
            return self._with_retries(lambda: self._email(change))
        if isinstance(change, Refund):
            customer = self.ledgers.owner(history.order_key(change.platform, change.order_id))
            if customer is None:
                return f"ignored: a refund of order {change.order_id}, which no order webhook has brought (its next update carries it)"
            return self._with_retries(lambda: self._order(customer, CustomerRef(), change, now))
        return self._with_retries(lambda: self._order(change.customer.key, change.customer, change, now))

    def _with_retries(self, attempt) -> str:
        for _ in range(SHOP_COMMIT_ATTEMPTS - 1):
            try:
                return attempt()
            except StoreConflict:
                continue
        return attempt()

    def _order(self, customer: str, ref: CustomerRef, change: Order | Refund, now: datetime) -> str:
        snapshot = self.ledgers.snapshot(customer, email=ref.email, customer_id=ref.customer_id)
        valuation = self.store.valuation(snapshot.version.encode()) if snapshot.version else None
        doc = json.loads(snapshot.ledger) if snapshot.ledger else self._start(snapshot, valuation)
        updated = history.apply(doc, change)
        known = snapshot.record
        identity = {"email": ref.email or doc.get("email") or (known and known.email),
                    "customer_id": ref.customer_id or doc.get("customer_id") or (known and known.customer_id)}
        updated.update({key: found for key, found in identity.items() if found})
        if updated == doc and snapshot.ledger:
            return "unchanged"
        stats = history.statistics(updated)
        # nothing the shop sent counts (now): a record the ledger made goes, one it did not make stays
        record = snapshot.record if history.statistics(doc) is None else None
        if stats is not None:
            record = value(stats, email=updated.get("email"), customer_id=updated.get("customer_id"), valuation=valuation,
                           population=self._cutoffs(snapshot.version, valuation), now=now, before=snapshot.record)
        self.ledgers.commit(customer, snapshot, ledger=json.dumps(updated, sort_keys=True), record=record,
                            orders=list(updated["orders"]), currency=change.currency)
        return "counted"

    def _start(self, snapshot: LedgerSnapshot, valuation) -> dict:
        """A new ledger: from the customer's fitted history when `clv fit` scored them."""
        seed = seed_of(snapshot.record, valuation) if snapshot.record and valuation else None
        return history.new_ledger(seed, valuation.as_of.date() if seed else None)

    def _cutoffs(self, version: str | None, valuation) -> Population | None:
        """The population the segment and tier cutoffs come from, sampled once per store version."""
        if valuation is None:
            return None
        if self._population[0] != version:
            drawn_version, customers = self.ledgers.sample(SHOP_CUTOFF_SAMPLE)
            self._population = (drawn_version, Population.of(customers) if customers else None)
        return self._population[1]

    def _email(self, change: EmailChange) -> str:
        customer = change.customer.key
        snapshot = self.ledgers.snapshot(customer, email=None, customer_id=change.customer.customer_id)
        record = snapshot.record
        if record is None or record.email == change.customer.email:
            return "unchanged" if record else "ignored: clvdesk holds nothing of this customer"
        doc = json.loads(snapshot.ledger) if snapshot.ledger else None
        if doc is not None:
            doc["email"] = change.customer.email
        self.ledgers.commit(customer, snapshot, ledger=json.dumps(doc, sort_keys=True) if doc else None,
                            record=record.model_copy(update={"email": change.customer.email}),
                            orders=list(doc["orders"]) if doc else [])
        return "counted"

    def _privacy(self, request: PrivacyRequest) -> str:
        if request.action == "shop_redact":
            erased = sum(self._erase(key) for key in list(self.ledgers.customers())
                         if any(order.startswith(f"{request.platform}:") for order in self._orders(key)))
            log.info("privacy request %s (shop/redact of %s): %d customer(s) erased", request.request_id, request.shop, erased)
            return "erased"
        ref = request.customer
        if request.action == "redact":
            self._erase(ref.key, ref)
            log.info("privacy request %s (customers/redact): the customer's record and orders erased", request.request_id)
            return "erased"
        snapshot = self.ledgers.snapshot(ref.key, email=ref.email, customer_id=ref.customer_id)
        self.exports.mkdir(parents=True, exist_ok=True)
        path = self.exports / f"{request.platform}-{_safe(request.request_id)}.json"
        path.write_text(json.dumps({"request": request.request_id, "shop": request.shop,
                                    "record": snapshot.record.model_dump(mode="json") if snapshot.record else None,
                                    "orders": json.loads(snapshot.ledger)["orders"] if snapshot.ledger else {}}, indent=1))
        log.info("privacy request %s (customers/data_request): exported to %s", request.request_id, path.name)
        return "exported"

    def _orders(self, customer: str) -> list[str]:
        snapshot = self.ledgers.snapshot(customer, email=None, customer_id=None)
        return list(json.loads(snapshot.ledger)["orders"]) if snapshot.ledger else []

    def _erase(self, customer: str, ref: CustomerRef | None = None) -> bool:
        """Delete the customer's ledger and record; True if there was either."""
        def attempt() -> bool:
            snapshot = self.ledgers.snapshot(customer, email=ref and ref.email, customer_id=ref and ref.customer_id)
            doc = json.loads(snapshot.ledger) if snapshot.ledger else {"orders": {}}
            email, customer_id = (ref.email, ref.customer_id) if ref else (doc.get("email"), doc.get("customer_id"))
            old = snapshot.record or CustomerValue(email=email, customer_id=customer_id, residual_clv=0, historical_spend=0)
            self.ledgers.commit(customer, snapshot, ledger=None, record=None, orders=list(doc["orders"]), old=old)
            return bool(snapshot.ledger or snapshot.record)
        return self._with_retries(attempt)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:80]
