"""Outcomes in the domain: each suggestion's durable record, outcomes that replace rather than add up,
the report's figures, and the reply text."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from clvdesk.analysis import Sentiment
from clvdesk.defaults import OUTCOME_RETENTION_DAYS, PENDING_OFFER_HOLD_SECONDS
from clvdesk.outcomes import CurrencyMismatch, OutcomeBody, StaleSuggestion, outcome_report, outcome_report_csv
from clvdesk.replies import suggested_reply
from clvdesk.rules import Offer, Reason
from clvdesk.suggestions import CustomerView, Suggestion, SuggestionStore

DAY = datetime(2026, 3, 10, 14, 30, tzinfo=timezone.utc)


def suggestion(ticket="7", event="evt-1", *, tier="champions", instrument="partial_refund", amount=100.0,
               created=DAY, language="en", email="ana@example.com", residual_clv=500.0, cost=None) -> Suggestion:
    return Suggestion(
        ticket_id=ticket, helpdesk="zendesk", account="acme.zendesk.com", event_id=event, created_at=created, rules_version="v1",
        customer=CustomerView(email=email, customer_id=None, known=True, residual_clv=residual_clv,
                              historical_spend=900, tier=tier, tier_label=tier.title(), currency="USD"),
        sentiment=Sentiment(score=-0.8, label="very_negative", language=language),
        offer=Offer(instrument=instrument, instrument_label=instrument, amount=amount, currency="USD",
                    budget=amount, needs_approval=False, cost=amount if cost is None else cost),
        reasons=[Reason(rule="tiers.x", text="because")],
    )


@pytest.fixture
def store(redis) -> SuggestionStore:
    return SuggestionStore(redis)


def body(**fields) -> OutcomeBody:
    return OutcomeBody.model_validate({"agent_id": 377, **fields})


def test_each_saved_suggestion_is_recorded_for_the_report_even_when_a_newer_one_replaces_it(store):
    store.save(suggestion(event="evt-1"))
    store.save(suggestion(event="evt-2", amount=60))  # the customer wrote again: the sidebar shows this one
    assert store.latest("zendesk:acme.zendesk.com", "7").event_id == "evt-2"
    records = store.log.records(DAY.date(), DAY.date())
    assert sorted(record["event_id"] for record in records) == ["evt-1", "evt-2"]
    assert [record["event_id"] for record in store.log.records(DAY.date() + timedelta(days=1), date(2027, 1, 1))] == []


def test_recording_again_replaces_the_outcome_and_counts_once(store):
    shown = suggestion()
    store.save(shown)
    store.log.record(shown, body(outcome="declined", reason="asked for nothing"))
    again = store.log.record(shown, body(outcome="changed", amount=40, currency="usd"))
    assert again.given_amount == 40 and again.reason is None and again.agent_id == "377"
    assert store.log.outcome(shown) == again
    report = outcome_report(store.log.records(DAY.date(), DAY.date()), DAY.date(), DAY.date())
    assert report["totals"] == [{
        "currency": "USD", "suggestions": 1, "outcomes": 1, "applied": 0, "changed": 1, "declined": 0,
        "suggested_amount": 100.0, "suggested_amount_with_outcome": 100.0, "given_amount": 40.0,
        "pending_amount": 0.0, "counted_amount": 40.0, "cost": 40.0, "residual_clv": 500.0,
        "spend_share_of_residual_clv": 0.08,
    }]


def test_an_outcome_for_a_replaced_suggestion_or_in_another_currency_is_refused(store):
    shown = suggestion(event="evt-2")
    store.save(shown)
    with pytest.raises(StaleSuggestion, match="evt-1 was replaced by evt-2"):
        store.log.record(shown, body(outcome="applied", event_id="evt-1"))
    with pytest.raises(CurrencyMismatch, match="must be the suggestion's, USD, not EUR"):
        store.log.record(shown, body(outcome="changed", amount=10, currency="EUR"))
    assert store.log.outcome(shown) is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"outcome": "changed"}, "a changed outcome needs the amount actually given and its currency"),
    ({"outcome": "changed", "amount": -1, "currency": "USD"}, "greater than or equal to 0"),
    ({"outcome": "changed", "amount": float("inf"), "currency": "USD"}, "finite number"),
    ({"outcome": "changed", "amount": 5, "currency": "dollars"}, "should match pattern"),
    ({"outcome": "declined"}, "a declined outcome needs a reason"),
    ({"outcome": "declined", "reason": "   "}, "at least 1 character"),
    ({"outcome": "applied", "amount": 5, "currency": "USD"}, "amount and currency belong to a changed outcome"),
    ({"outcome": "applied", "comment": "hi"}, "Extra inputs are not permitted"),
    ({"outcome": "accepted"}, "'applied', 'changed' or 'declined'"),
])
def test_outcome_bodies_are_checked(fields, message):
    with pytest.raises(ValidationError, match=message):
        body(**fields)


def test_a_record_whose_suggestion_outlived_the_log_is_written_again_with_the_outcome(store, redis):
    shown = suggestion()
    store.save(shown)
    redis.delete(*redis.keys("clvdesk:suggestion-log:zendesk:*"))  # expired, or saved before the log existed
    store.log.record(shown, body(outcome="applied"))
    [record] = store.log.records(DAY.date(), DAY.date())
    assert record["outcome"] == "applied" and record["given_amount"] == "100.0" and record["tier"] == "champions"
    assert 0 < redis.ttl("clvdesk:suggestion-log:zendesk:acme.zendesk.com:7:evt-1") <= OUTCOME_RETENTION_DAYS * 86400


def test_report_sums_by_tier_and_instrument_and_the_csv_by_both(store):
    made = [
        suggestion("1", tier="champions", amount=100),
        suggestion("2", tier="champions", amount=50, instrument="store_credit"),
        suggestion("3", tier="new", amount=10, instrument="discount_next_order"),
        suggestion("4", tier="new", amount=0, instrument="apology_only"),
    ]
    for each in made:
        store.save(each)
    store.log.record(made[0], body(outcome="applied"))
    store.log.record(made[1], body(outcome="changed", amount=20, currency="USD"))
    store.log.record(made[2], body(outcome="declined", reason="no"))
    records = store.log.records(DAY.date(), DAY.date())

    report = outcome_report(records, DAY.date(), DAY.date())
    tiers = {row["tier"]: row for row in report["by_tier"]}
    assert tiers["champions"]["suggestions"] == 2 and tiers["champions"]["given_amount"] == 120.0
    assert tiers["champions"]["suggested_amount"] == 150.0 and tiers["champions"]["applied"] == 1
    assert tiers["new"]["outcomes"] == 1 and tiers["new"]["declined"] == 1 and tiers["new"]["given_amount"] == 0
    assert tiers["new"]["suggested_amount_with_outcome"] == 10.0
    instruments = {row["instrument"]: row["suggestions"] for row in report["by_instrument"]}
    assert instruments == {"apology_only": 1, "discount_next_order": 1, "partial_refund": 1, "store_credit": 1}

    rows = list(csv.DictReader(io.StringIO(outcome_report_csv(records))))
    assert [(row["tier"], row["instrument"]) for row in rows] == [
        ("champions", "partial_refund"), ("champions", "store_credit"),
        ("new", "apology_only"), ("new", "discount_next_order"),
    ]
    assert rows[1]["given_amount"] == "20.00" and rows[1]["changed"] == "1"


def test_an_empty_range_reports_nothing():
    assert outcome_report([], DAY.date(), DAY.date())["by_tier"] == []
    assert outcome_report_csv([]).splitlines() == [
        "tier,instrument,currency,suggestions,outcomes,applied,changed,declined,"
        "suggested_amount,suggested_amount_with_outcome,given_amount,pending_amount,counted_amount,"
        "cost,residual_clv,spend_share_of_residual_clv"
    ]


def test_the_reply_speaks_the_tickets_language_and_names_the_offer():
    english = suggested_reply(suggestion().offer, "en")
    assert english.language == "en" and english.text.endswith("I have refunded $100.00 to your original payment method.")
    danish = suggested_reply(suggestion(amount=1240.5, instrument="store_credit").offer, "da")
    assert danish.language == "da" and "1.240,50\u00a0US$ i tilgodehavende" in danish.text
    assert suggested_reply(suggestion().offer, "de").language == "en"  # clvdesk writes English and Danish
    apology = suggested_reply(suggestion(amount=0, instrument="apology_only").offer, "en")
    assert apology.text == "I'm sorry about the trouble, and thank you for your patience while we put it right."


def test_the_report_counts_what_budgets_count_pending_offers_until_the_hold_passes(store):
    store.save(suggestion("1", amount=100))  # no outcome yet: pending
    store.save(suggestion("2", event="evt-1", amount=80))
    store.save(suggestion("2", event="evt-2", amount=60, created=DAY + timedelta(minutes=5)))  # replaces evt-1
    store.save(suggestion("3", amount=50))
    store.log.record(suggestion("3", amount=50), body(outcome="declined", reason="no"))
    records = store.log.records(DAY.date(), DAY.date())

    def totals(now):
        [row] = outcome_report(records, DAY.date(), DAY.date(), now=now)["totals"]
        return row["suggested_amount"], row["given_amount"], row["pending_amount"], row["counted_amount"]

    assert totals(DAY + timedelta(days=1)) == (290.0, 0.0, 160.0, 160.0)  # ticket 2 counts its latest offer only
    assert totals(DAY + timedelta(seconds=PENDING_OFFER_HOLD_SECONDS)) == (290.0, 0.0, 60.0, 60.0)  # ticket 1 released
    assert totals(DAY + timedelta(days=8)) == (290.0, 0.0, 0.0, 0.0)


def test_the_report_gives_cost_spend_against_residual_clv_by_month_and_customer_equity(store):
    april = DAY + timedelta(days=31)
    shown = [
        suggestion("1", amount=100, cost=40),  # a refund of $100 costs the company $40 (its cost share 0.4)
        suggestion("2", amount=50, cost=50, created=DAY + timedelta(hours=1), residual_clv=700),  # ana again, richer
        suggestion("3", amount=80, cost=8, email="ben@example.com", residual_clv=2000, created=april),
    ]
    for one in shown:
        store.save(one)
    store.log.record(shown[0], body(outcome="changed", amount=60, currency="USD"))
    store.log.record(shown[1], body(outcome="applied"))
    store.log.record(shown[2], body(outcome="declined", reason="no"))
    records = store.log.records(DAY.date(), april.date())

    report = outcome_report(records, DAY.date(), april.date(), customer_equity=27_000.0)
    [total] = report["totals"]
    assert (total["given_amount"], total["cost"]) == (110.0, 74.0)  # 60 × 0.4 + 50 × 1.0 + 0
    assert total["residual_clv"] == 2700.0  # each customer once, at their latest suggestion: 700 + 2,000
    assert total["spend_share_of_residual_clv"] == pytest.approx(110 / 2700, abs=1e-6)
    assert (total["customer_equity"], total["spend_share_of_customer_equity"]) == (27_000.0, pytest.approx(110 / 27_000, abs=1e-6))
    by_month = {row["month"]: row for row in report["by_month"]}
    assert sorted(by_month) == ["2026-03", "2026-04"]
    assert (by_month["2026-03"]["given_amount"], by_month["2026-03"]["residual_clv"]) == (110.0, 700.0)
    assert (by_month["2026-04"]["declined"], by_month["2026-04"]["spend_share_of_residual_clv"]) == (1, 0.0)
    assert "customer_equity" not in outcome_report(records, DAY.date(), april.date())["totals"][0]  # no fit, none

    header, *rows = outcome_report_csv(records).splitlines()
    assert header.endswith(",cost,residual_clv,spend_share_of_residual_clv") and len(rows) == 1  # one tier, one instrument
