"""Budgets count what customers received: outcomes recorded through the sidebar's API settle each
suggestion's entry in the customer's ledger, and the next ticket's offer, the report and the
simulation all see the same figures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from clvdesk.analysis import Sentiment
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.defaults import PENDING_OFFER_HOLD_SECONDS
from clvdesk.rules import load_rules
from clvdesk.spending import SpendingLedger, Windows
from clvdesk.standins.zendesk import ticket_created_event
from tests.conftest import ADMIN_TOKEN, API_TOKEN

AGENT = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."
RULES = load_rules()
CHAMPIONS = Windows.of(RULES.tier("champions"))  # $100 a ticket for ana, $200 within 30 days, 4 appeasements


@pytest.fixture
def handle(redis, standin, deliver, work, client):
    """Handle a new ticket of `email` through the webhook and the worker; returns the sidebar's suggestion."""
    CustomerStore(redis).replace_all([
        CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300),
        CustomerValue(email="zed@example.com", residual_clv=5000, historical_spend=9000),  # $250 a ticket, $2,000
    ])
    users = {"ana@example.com": 901, "zed@example.com": 902}
    for email, user in users.items():
        standin.add_user(user, email)

    def ticket(ticket_id: int, email: str = "ana@example.com") -> dict:
        standin.add_ticket(ticket_id, requester_id=users[email])
        deliver(ticket_created_event(ticket_id=ticket_id, requester_id=users[email], subject="Broken",
                                     description=ANGRY, event_id=f"evt-{ticket_id}"))
        work()
        shown = client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers=AGENT)
        assert shown.status_code == 200, shown.json
        return shown.json

    return ticket


def record(client, ticket_id, outcome, **fields):
    answer = client.post(f"/api/v1/zendesk/tickets/{ticket_id}/outcome",
                         json={"outcome": outcome, "agent_id": 377, **fields}, headers=AGENT)
    assert answer.status_code == 200, answer.json
    return answer.json


def spent(redis, email="ana@example.com") -> float:
    return SpendingLedger(redis).usage(email, CHAMPIONS, datetime.now(timezone.utc)).spent


def test_a_declined_offer_leaves_the_budget_untouched(client, redis, handle):
    first = handle(101)
    assert first["offer"]["amount"] == 100.0 and spent(redis) == 100.0  # pending until an agent records
    record(client, 101, "declined", reason="the customer wanted a replacement")
    assert spent(redis) == 0.0
    second = handle(102)
    assert (second["offer"]["amount"], second["offer"]["budget_left"]) == (100.0, 100.0)
    record(client, 102, "declined", reason="not wanted")
    third = handle(103)  # the old ledger had spent $200 on two declined suggestions: an apology only
    assert (third["offer"]["amount"], third["offer"]["budget_left"]) == (100.0, 100.0)


def test_declined_offers_do_not_trip_the_abuse_guard(client, redis, handle):
    for ticket in range(201, 205):
        assert handle(ticket, "zed@example.com")["offer"]["amount"] == 250.0
        record(client, ticket, "declined", reason="kept for review")
    fifth = handle(205, "zed@example.com")  # four appeasements suggested, none given
    assert fifth["offer"]["flagged"] is False and fifth["offer"]["amount"] == 250.0


def approve(client, ticket_id):
    answer = client.post(f"/api/v1/zendesk/tickets/{ticket_id}/approval", json={"agent_id": 12}, headers=AGENT)
    assert answer.status_code == 200, answer.json


def test_applied_and_pending_offers_count_up_to_the_guard(client, redis, handle):
    for ticket in range(201, 203):
        assert handle(ticket, "zed@example.com")["offer"]["needs_approval"]  # $250: above the tier's threshold
        approve(client, ticket)
        record(client, ticket, "applied")
    handle(203, "zed@example.com")
    handle(204, "zed@example.com")  # two given, two pending: four appeasements
    fifth = handle(205, "zed@example.com")
    assert fifth["offer"]["flagged"] is True and fifth["offer"]["amount"] == 0.0


def test_an_applied_offer_counts_and_a_changed_one_counts_the_amount_given(client, redis, handle):
    handle(101)
    record(client, 101, "applied")
    assert spent(redis) == 100.0
    record(client, 101, "changed", amount=30, currency="USD")  # the agent corrected it: replaces, never adds
    assert spent(redis) == 30.0
    second = handle(102)
    assert (second["offer"]["amount"], second["offer"]["budget_left"]) == (100.0, 70.0)
    record(client, 102, "changed", amount=45.5, currency="USD")
    assert spent(redis) == 75.5
    third = handle(103)
    assert (third["offer"]["amount"], third["offer"]["budget_left"]) == (100.0, 24.5)


def test_recording_twice_counts_once(client, redis, handle):
    handle(101)
    for _ in range(2):
        record(client, 101, "changed", amount=30, currency="USD")
    assert spent(redis) == 30.0
    record(client, 101, "applied")
    record(client, 101, "applied")
    assert spent(redis) == 100.0
    record(client, 101, "declined", reason="refund reversed")
    assert spent(redis) == 0.0


def test_a_new_comment_after_an_outcome_keeps_what_was_given(client, redis, handle, deliver, work):
    handle(101)
    record(client, 101, "changed", amount=30, currency="USD")
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken",
                                 description="Still broken, and now the lid is missing!!", event_id="evt-101b"))
    work()
    again = client.get("/api/v1/zendesk/tickets/101/suggestion", headers=AGENT).json
    assert again["event_id"] == "evt-101b" and again["offer"]["budget_left"] == 200.0 - 30.0 - again["offer"]["amount"]
    assert spent(redis) == 30.0 + again["offer"]["amount"]  # the $30 given plus the new pending offer
    [totals] = client.get("/api/v1/admin/report", headers=ADMIN).json["totals"]
    assert (totals["given_amount"], totals["counted_amount"]) == (30.0, spent(redis))


def test_a_pending_suggestion_counts_until_the_hold_passes(redis):
    ledger = SpendingLedger(redis)
    ana = CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)
    made = datetime(2026, 11, 1, tzinfo=timezone.utc)
    hold = timedelta(seconds=PENDING_OFFER_HOLD_SECONDS)
    furious = Sentiment(score=-0.9, label="very_negative")

    def offer(ticket, now):
        return ledger.decide(RULES, ana, furious, identity=ana.email, ticket=f"zendesk:acme:{ticket}", now=now).offer.amount

    assert offer(1, made) == 100.0
    assert offer(2, made + timedelta(days=1)) == 100.0
    assert offer(3, made + timedelta(days=2)) == 0.0  # both still pending: the $200 is taken
    assert ledger.usage(ana.email, CHAMPIONS, made + hold - timedelta(seconds=1)).spent == 200.0
    assert ledger.usage(ana.email, CHAMPIONS, made + hold).spent == 100.0  # the first released, the second held
    assert offer(4, made + hold + timedelta(hours=1)) == 100.0
    assert ledger.usage(ana.email, CHAMPIONS, made + hold + timedelta(days=2)).spent == 100.0  # only ticket 4 now


def test_simulation_and_report_show_the_spend_the_budget_counts(client, redis, handle):
    handle(101)
    record(client, 101, "applied")  # $100 given
    handle(102)
    record(client, 102, "changed", amount=30, currency="USD")  # $30 given of $100 suggested
    assert handle(103)["offer"]["amount"] == 70.0
    record(client, 103, "declined", reason="no")
    assert handle(104)["offer"]["amount"] == 70.0  # pending
    budget = spent(redis)
    assert budget == 200.0

    [totals] = client.get("/api/v1/admin/report", headers=ADMIN).json["totals"]
    assert (totals["suggested_amount"], totals["given_amount"], totals["pending_amount"]) == (340.0, 130.0, 70.0)
    assert totals["counted_amount"] == budget

    current = json.dumps(RULES.model_dump(mode="json"))
    simulated = client.post("/api/v1/admin/rules/simulate", data={"draft": current}, headers=ADMIN).json
    assert simulated["changed"] == 0
    for row in simulated["totals"]:
        assert (row["spend"], row["counted"]) == (totals["suggested_amount"], budget)
