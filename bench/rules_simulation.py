"""Seconds to simulate a draft against the current rules on N past tickets (default 100,000), next to
a baseline that replays the same tickets through `decide` (the workers' call, reasons and all).

Tickets come as CSV (ids, customer emails, dates, labels, categories, signals) from 20,000 customers
over a year, all of them in a scratch Redis customer store; the clvdesk figure covers reading the CSV,
looking every customer up in Redis, replaying both rule sets with rolling budgets and abuse guards,
and the totals by tier, instrument and month. Usage: python -m bench.rules_simulation [N]
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections import defaultdict

from bench.harness import scratch_redis, table
from clvdesk.analysis import analyse
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.rules import RuleSet, Usage, classify, decide, load_rules
from clvdesk.simulation import compare, read_tickets, seconds, totals
from clvdesk.spending import Windows

CUSTOMERS = 20_000
LABELS = ("very_negative", "negative", "neutral", "positive")
CATEGORIES = ("late_delivery", "damaged_item", "billing", "other")
SEED = 5


def tickets_csv(count: int, rng: random.Random) -> str:
    lines = ["ticket_id,customer,created,sentiment,category,signals"]
    for ticket in range(count):
        day = rng.randrange(365)
        signals = "churn_intent" if rng.random() < 0.1 else ""
        lines.append(
            f"{ticket},c{rng.randrange(CUSTOMERS)}@example.com,2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d},"
            f"{rng.choice(LABELS)},{rng.choice(CATEGORIES)},{signals}"
        )
    return "\n".join(lines) + "\n"


def draft_of(rules: RuleSet) -> RuleSet:
    data = rules.model_dump()
    data["tiers"][0]["max_amount"] = 120
    data["adjustments"] = [{"name": "leaving", "signals": ["churn_intent"], "budget_multiplier": 1.5}]
    return RuleSet.model_validate(data)


def baseline(tickets, customers, rules: RuleSet) -> list[float]:
    """The same replay with `decide` per ticket: what simulating with the workers' call would cost.
    Returns each ticket's amount."""
    history: dict[str, list[tuple[float, float]]] = defaultdict(list)
    frame = tickets.frame
    amounts = []
    for key, stamp, index in zip(frame["customer"].to_numpy(), seconds(frame["created"]), frame["sentiment"].to_numpy()):
        customer = customers.get(key)
        windows = Windows.of(classify(rules, customer)[0])
        past = history[key]
        spent = sum(amount for at, amount in past if windows.budget and at >= stamp - windows.budget)
        count = sum(1 for at, _ in past if windows.abuse and at >= stamp - windows.abuse)
        amount = decide(rules, customer, tickets.sentiments[index], Usage(spent=spent, appeasements=count)).offer.amount
        if amount > 0:
            past.append((stamp, amount))
        amounts.append(amount)
    return amounts


def main(count: int) -> None:
    rng = random.Random(SEED)
    text = tickets_csv(count, rng)
    current = load_rules()
    draft = draft_of(current)
    with scratch_redis() as (_, redis, _):
        store = CustomerStore(redis)
        store.replace_all(
            CustomerValue(email=f"c{n}@example.com", residual_clv=rng.lognormvariate(4, 1.2), historical_spend=rng.lognormvariate(5, 1))
            for n in range(CUSTOMERS)
        )
        started = time.perf_counter()
        tickets = read_tickets(io.StringIO(text), analyse)
        read = time.perf_counter()
        customers = store.find_many(tickets.frame["customer"].unique().tolist())
        looked_up = time.perf_counter()
        compared = compare(tickets, customers, current, draft)
        replayed = time.perf_counter()
        summary = [totals(compared, by) for by in (None, "tier", "instrument", "month")]
        done = time.perf_counter()

        base_started = time.perf_counter()
        per_ticket = {name: baseline(tickets, customers, rules) for name, rules in (("current", current), ("draft", draft))}
        base = time.perf_counter() - base_started

    ours = done - started
    spend = {row["rules"]: row["spend"] for row in summary[0]}
    for name, amounts in per_ticket.items():
        differ = int((compared[f"{name}_amount"].to_numpy() != amounts).sum())
        assert differ == 0, f"{differ} tickets differ from decide() under the {name} rules"
    print(
        table(
            f"Simulation of {count:,} past tickets ({CUSTOMERS:,} customers), current vs draft rules",
            ["step", "seconds"],
            [
                ["read CSV", f"{read - started:.2f}"],
                ["look customers up in Redis", f"{looked_up - read:.2f}"],
                ["replay both rule sets", f"{replayed - looked_up:.2f}"],
                ["totals by tier, instrument, month", f"{done - replayed:.2f}"],
                ["clvdesk simulation, total", f"{ours:.2f}"],
                ["baseline: decide() per ticket, both rule sets", f"{base:.2f}"],
                ["speed-up against the baseline", f"{base / ours:.1f}×"],
            ],
        )
    )
    print(f"spend: current {spend['current']:,.2f}, draft {spend['draft']:,.2f}; every ticket's amount equals decide()'s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
