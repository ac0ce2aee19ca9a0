"""Replaying past tickets: from text or labels, in time order, with each customer's rolling budget."""

from __future__ import annotations

import io

import pytest

from clvdesk.analysis import analyse
from clvdesk.customers import CustomerValue
from clvdesk.rules import load_rules
from clvdesk.simulation import SimulationError, compare, read_tickets, replay, seen_tickets, totals

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
