"""The rolling budget and abuse guard across tickets, kept in a real Redis, under concurrent tickets."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from clvdesk.analysis import Sentiment
from clvdesk.connection import connect
from clvdesk.customers import CustomerValue
from clvdesk.rules import load_rules
from clvdesk.spending import SpendingLedger

RULES = load_rules()
FURIOUS = Sentiment(score=-0.9, label="very_negative")
ANA = CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)  # champions: $200 in 30 days
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def decide(ledger, ticket, now=NOW, customer=ANA):
    return ledger.decide(RULES, customer, FURIOUS, identity=customer.email, ticket=ticket, now=now)


def test_tickets_share_the_rolling_budget_and_old_ones_expire(redis):
    ledger = SpendingLedger(redis)
    amounts = [decide(ledger, f"t{n}").offer.amount for n in range(3)]
    assert amounts == [100.0, 100.0, 0.0]  # $200 in 30 days, then an apology
    later = decide(ledger, "t3", now=NOW + timedelta(days=31))
    assert later.offer.amount == 100.0


def test_a_ticket_counts_once_however_often_it_is_decided(redis):
    ledger = SpendingLedger(redis)
    assert [decide(ledger, "t1").offer.amount for _ in range(3)] == [100.0, 100.0, 100.0]
    assert decide(ledger, "t2").offer.budget_left == 0.0


def test_concurrent_tickets_cannot_spend_the_same_budget(redis, redis_url):
    """Eight tickets of one customer decided at the same moment by eight threads, each with its own
    connection: together they never exceed the $200 budget, and exactly two get $100."""
    barrier = threading.Barrier(8)
    offers: dict[str, float] = {}

    def handle(ticket: str) -> None:
        ledger = SpendingLedger(connect(redis_url))
        barrier.wait()
        offers[ticket] = decide(ledger, ticket).offer.amount

    threads = [threading.Thread(target=handle, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(offers.values(), reverse=True) == [100.0, 100.0] + [0.0] * 6


def test_abuse_guard_counts_appeasements_across_tickets(redis):
    generous = CustomerValue(email="zed@example.com", residual_clv=5000, historical_spend=9000)  # $2,000 budget
    ledger = SpendingLedger(redis)
    decisions = [
        ledger.decide(RULES, generous, FURIOUS, identity=generous.email, ticket=f"t{n}", now=NOW + timedelta(hours=n))
        for n in range(6)
    ]
    assert [d.offer.flagged for d in decisions] == [False] * 4 + [True] * 2  # champions: 4 in 30 days
    assert [d.offer.amount for d in decisions[4:]] == [0.0, 0.0]
