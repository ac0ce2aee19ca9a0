"""Replaying past tickets: from text or labels, in time order, with each customer's rolling budget."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from clvdesk.analysis import Sentiment, analyse
from clvdesk.customers import CustomerValue
from clvdesk.analysis.model import LABELS
from clvdesk.rules import RuleSet, Usage, classify, decide, load_rules
from clvdesk.simulation import SimulationError, Tickets, compare, read_tickets, replay, round_cents, seen_tickets, totals
from clvdesk.spending import SpendingLedger, Windows, given_amount

RULES = load_rules()
ANA = CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)  # $100 a ticket, $200 a month
ANGRY = "My order arrived broken. This is ridiculous, refund me or I will cancel my account!"


def test_text_is_analysed_and_tickets_replay_in_time_order():
    csv = (
        "ticket_id,customer,created,text\n"
        f'3,ana@example.com,2026-05-20,"{ANGRY}"\n'
        f'1,ana@example.com,2026-05-01,"{ANGRY}"\n'
        '2,ana@example.com,2026-05-10,"Thanks so much, all good now!"\n'
        f'4,ANA@example.com,2026-05-21,"{ANGRY}"\n'
    )
    tickets = read_tickets(io.StringIO(csv), analyse)
    assert len(tickets.sentiments) == 2  # one analysis per distinct text
    outcomes = replay(tickets, {"ana@example.com": ANA, "ANA@example.com": ANA}, RULES)
    assert tickets.frame["ticket_id"].tolist() == ["1", "2", "3", "4"]
    assert outcomes["amount"].tolist() == [100.0, 0.0, 100.0, 0.0]  # the fourth finds the budget spent
    assert outcomes["budget_hit"].tolist() == [False, False, True, True]


def test_totals_by_month_per_rule_set():
    csv = "ticket_id,customer,created,sentiment\n1,ana@example.com,2026-04-30,very_negative\n2,ana@example.com,2026-05-02,negative\n"
    data = RULES.model_dump()
    data["tiers"][0]["budget_share"] = 0.1
    draft = type(RULES).model_validate(data)
    compared = compare(read_tickets(io.StringIO(csv), analyse), {"ana@example.com": ANA}, RULES, draft)
    by_month = {(row["rules"], row["month"]): (row["spend"], row["cost"]) for row in totals(compared, "month")}
    assert by_month == {
        ("current", "2026-04"): (100.0, 100.0),
        ("current", "2026-05"): (75.0, 75.0),
        ("draft", "2026-04"): (50.0, 50.0),
        ("draft", "2026-05"): (37.5, 37.5),
    }


@pytest.mark.parametrize(
    "csv, message",
    [
        ("ticket_id,customer,sentiment\n1,a@b.co,negative\n", "missing column(s) created; the header has ticket_id, customer, sentiment"),
        ("ticket_id,customer,created,sentiment\n1,a@b.co,2026-01-01,cross\n", "line 2: sentiment 'cross' is not one of"),
        ("ticket_id,customer,created,sentiment,signals\n1,a@b.co,2026-01-01,negative,rage\n", "line 2: signal 'rage' is not one of"),
        ("ticket_id,customer,created,sentiment\n1,a@b.co,2026-01-01,negative\n1,a@b.co,2026-01-02,negative\n", "ticket '1' appears more than once"),
    ],
)
def test_bad_files_are_refused_with_the_reason(csv, message):
    with pytest.raises(SimulationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_tickets(io.StringIO(csv), analyse)


def test_no_seen_tickets_is_an_error_not_an_empty_answer():
    with pytest.raises(SimulationError, match="has not handled any ticket yet"):
        seen_tickets([])


def _per_ticket(tickets, customers, rules):
    """The reference: each ticket through `decide` with the usage the workers' ledger would read."""
    history = defaultdict(list)  # identity → (time, amount) appeasements so far
    stamps = [int(created.timestamp()) for created in tickets.frame["created"]]
    rows = []
    for key, stamp, index in zip(tickets.frame["customer"], stamps, tickets.frame["sentiment"]):
        customer = customers.get(key)
        identity = (customer.email or customer.customer_id) if customer else key
        windows = Windows.of(classify(rules, customer)[0])
        past = history[identity]
        spent = sum(amount for at, amount in past if windows.budget and at >= stamp - windows.budget)
        count = sum(1 for at, _ in past if windows.abuse and at >= stamp - windows.abuse)
        decision = decide(rules, customer, tickets.sentiments[index], Usage(spent=spent, appeasements=count))
        offer = decision.offer
        if offer.amount > 0:
            past.append((stamp, offer.amount))
        hit = offer.budget_left is not None and offer.budget_left <= 0
        rows.append((decision.tier, offer.instrument, offer.amount, offer.cost, offer.needs_approval, offer.flagged, hit))
    return rows


def _strict_rules() -> RuleSet:
    """The shipped rules with tight guardrails, odd shares, two adjustments and a tier without guardrails."""
    data = RULES.model_dump()
    data["tiers"][0]["rolling_budget"] = {"share": 0.37, "days": 9, "base_amount": 3.33}
    data["tiers"][0]["abuse_guard"] = {"max_appeasements": 2, "days": 5}
    data["tiers"][0]["category_instruments"] = {"billing": ["refund"], "late_delivery": ["free_shipping"]}
    data["tiers"][1]["budget_share"] = 0.173
    data["tiers"][1]["approval_above"] = 12.5
    data["tiers"][3]["rolling_budget"] = None
    data["tiers"][3]["abuse_guard"] = None
    data["tiers"][3]["min_amount"] = 7.77
    data["tiers"][3]["when"] = {"min_residual_clv": 50, "min_p_alive": 0.3, "segments": ["champions", "potential_loyalists"]}
    data["tiers"][2]["when"] = {"max_p_alive": 0.5, "value_tiers": ["top", "high"]}
    data["adjustments"] = [
        {"name": "leaving", "labels": ["very_negative", "negative"], "signals": ["churn_intent"], "budget_multiplier": 1.37},
        {"name": "furious", "signals": ["anger"], "budget_multiplier": 1.11},
    ]
    data["instrument_costs"]["refund"] = 1.0
    data["instrument_costs"]["free_shipping"] = 0.33
    return RuleSet.model_validate(data)


@pytest.mark.parametrize("seed", range(4))
def test_the_vectorised_replay_gives_every_ticket_what_decide_gives_it(seed):
    rng = random.Random(seed)
    customers = {}
    for n in range(60):
        value = CustomerValue(
            email=f"c{n}@example.com",
            customer_id=f"C-{n}" if n % 3 else None,
            residual_clv=rng.choice([0.0, -5.0, rng.uniform(1, 80), rng.uniform(80, 400), rng.lognormvariate(5, 1)]),
            historical_spend=rng.choice([0.0, rng.uniform(0, 600), rng.uniform(500, 5000)]),
            tier="champions" if n % 17 == 0 else None,
            p_alive=rng.choice([None, rng.random()]),
            segment=rng.choice([None, "champions", "potential_loyalists", "hibernating"]),
            value_tier=rng.choice([None, "top", "high", "low"]),
        )
        customers[value.email] = value
        if value.customer_id:
            customers[value.customer_id] = value  # one customer under two keys: one ledger
    keys = [*customers, "stranger@example.net", "other@example.net"]
    lines = ["ticket_id,customer,created,sentiment,category,signals"]
    for ticket in range(1500):
        key = rng.choice(keys[:5]) if rng.random() < 0.3 else rng.choice(keys)  # a few customers with many tickets
        created = f"2026-0{rng.randrange(1, 4)}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"
        signals = ";".join(s for s in ("churn_intent", "anger") if rng.random() < 0.3)
        category = rng.choice(["billing", "late_delivery", "other", "damaged_item"])
        lines.append(f"{ticket},{key},{created},{rng.choice(list(LABELS))},{category},{signals}")
    tickets = read_tickets(io.StringIO("\n".join(lines) + "\n"), analyse)
    for rules in (RULES, _strict_rules()):
        expected = _per_ticket(tickets, customers, rules)
        replayed = replay(tickets, customers, rules)
        assert list(replayed.drop(columns="counted").itertuples(index=False, name=None)) == expected
        assert replayed["counted"].tolist() == replayed["amount"].tolist()  # tickets from a file count as given
        assert replayed["flagged"].any() and replayed["budget_hit"].any()  # the guardrails were exercised


def test_cents_are_rounded_as_python_rounds_them():
    rng = random.Random(7)
    values = [rng.uniform(0, 1000) * rng.choice([1, 0.01, 0.37, 1.11]) for _ in range(20_000)]
    values += [k / 1000 for k in range(20_000)] + [k / 200 for k in range(20_000)]  # the halves: 2.675, 0.125, …
    assert round_cents(np.array(values)).tolist() == [round(value, 2) for value in values]


@pytest.mark.parametrize("seed", range(2))
def test_the_replay_counts_outcomes_as_the_workers_ledger_does(redis, seed):
    """Tickets over two months, each with an agent's outcome or none, decided one by one through the
    real ledger in Redis (the outcome settled right after): the replay offers and flags the same."""
    rng = random.Random(seed)
    customers = {
        f"c{n}@example.com": CustomerValue(email=f"c{n}@example.com", residual_clv=rng.uniform(20, 900),
                                           historical_spend=rng.choice([100.0, 2500.0]))
        for n in range(6)
    }
    keys = [*customers, "stranger@example.net"]
    rows, sentiments = [], [Sentiment(score=-0.9, label=label) for label in ("very_negative", "negative", "neutral")]
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for ticket in range(300):
        outcome = rng.choice([None, None, "applied", "changed", "declined"])
        given = round(rng.uniform(0, 80), 2) if outcome == "changed" else np.nan
        created = start + timedelta(seconds=rng.randrange(60 * 86400))
        rows.append((str(ticket), rng.choice(keys), created, rng.randrange(3), outcome, given))
    frame = pd.DataFrame(rows, columns=["ticket_id", "customer", "created", "sentiment", "outcome", "given"])
    tickets = Tickets(frame, sentiments)
    ledger = SpendingLedger(redis)
    for rules in (RULES, _strict_rules()):
        redis.flushdb()
        expected = []
        for row in tickets.frame.itertuples(index=False):
            customer = customers.get(row.customer)
            ticket, made = f"zendesk:acme:{row.ticket_id}", row.created.to_pydatetime()
            offer = ledger.decide(rules, customer, sentiments[row.sentiment], identity=row.customer, ticket=ticket, now=made).offer
            if isinstance(row.outcome, str):
                with redis.pipeline(transaction=True) as pipe:
                    ledger.settle(pipe, ticket, "evt", given_amount(row.outcome, offer.amount, row.given), made)
                    pipe.execute()
            expected.append((offer.amount, offer.flagged))
        replayed = replay(tickets, customers, rules, now=start + timedelta(days=61))
        assert list(zip(replayed["amount"], replayed["flagged"])) == expected
        assert replayed["flagged"].any() and (replayed["amount"] > 0).any()
        end = start + timedelta(days=61)
        for key in keys:  # what each customer's budget counts at the end: the replay's own `counted`
            windows = Windows.of(classify(rules, customers.get(key))[0])
            mine = (tickets.frame["customer"] == key) & (tickets.frame["created"] >= end - timedelta(seconds=windows.budget))
            assert ledger.usage(key, windows, end).spent == pytest.approx(replayed["counted"][mine].sum(), abs=1e-9)
