"""A customer who cannot pay on time gets a payment instrument scaled by their value, through the real
pipeline (real Redis, real RQ worker, stand-in Zendesk), and a reply in their language that treats them
with respect; the rules, the simulation and the replies know the new instruments."""

from __future__ import annotations

import io

import pytest

from clvdesk.analysis import analyse
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.replies import suggested_reply
from clvdesk.rules import INSTRUMENT_LABELS, decide, load_rules
from clvdesk.simulation import compare, read_tickets, replay, totals
from tests.conftest import API_TOKEN

DANISH = "Jeg har mistet mit job og kan ikke betale fakturaen denne måned. Kan vi lave en afdragsordning?"
ENGLISH = "I lost my job last week and I can't pay this month's invoice. Could I pay a bit later?"


@pytest.fixture
def shop(redis, standin):
    CustomerStore(redis).replace_all(
        [CustomerValue(email="ana@example.com", customer_id="C-1", residual_clv=500, historical_spend=2300)]
    )
    standin.add_user(901, "ana@example.com")
    standin.add_user(903, "stranger@example.net")
    standin.add_ticket(101, requester_id=901)
    standin.add_ticket(103, requester_id=903)
    return standin


def suggestion(client, ticket_id):
    answer = client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200
    return answer.json


def test_payment_difficulty_gets_a_plan_for_high_value_and_a_deferral_for_low_value(shop, deliver, work, client):
    assert deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Faktura", description=DANISH,
                                        event_id="evt-da")).status_code == 202
    assert deliver(ticket_created_event(ticket_id=103, requester_id=903, subject="Invoice", description=ENGLISH,
                                        event_id="evt-en")).status_code == 202
    work()

    high = suggestion(client, 101)
    assert high["sentiment"]["language"] == "da"
    assert high["sentiment"]["category"]["name"] == "payment_difficulty"
    assert "hardship" in [signal["name"] for signal in high["sentiment"]["signals"]]
    assert high["customer"]["tier"] == "champions"
    assert high["offer"]["instrument"] == "payment_plan"
    assert high["offer"]["amount"] > 0
    assert high["offer"]["cost"] == round(high["offer"]["amount"] * 0.5, 2)  # a plan costs half its face value
    assert "afdragsordning" in high["reply"]["text"] and "Tak, fordi du fortæller" in high["reply"]["text"]
    assert "beklager besværet" not in high["reply"]["text"]
    [note] = shop.notes(101)
    assert note["body"].startswith("clvdesk suggestion: Payment plan, fees waived:")

    low = suggestion(client, 103)
    assert low["sentiment"]["language"] == "en"
    assert low["sentiment"]["category"]["name"] == "payment_difficulty"
    assert low["customer"] is None or low["customer"].get("tier") in (None, "new")
    assert low["offer"]["instrument"] == "payment_deferral"
    assert low["offer"]["amount"] > 0  # the hardship adjustment lifts the budget above the tier's minimum
    assert low["reply"]["language"] == "en" and "moved your payment date back" in low["reply"]["text"]
    [note] = shop.notes(103)
    assert note["body"].startswith("clvdesk suggestion: Payment deferral:")


def test_each_payment_instrument_has_a_cost_a_label_and_a_reply_in_both_languages():
    rules = load_rules()
    for instrument in ("payment_plan", "payment_deferral", "fee_waiver"):
        assert instrument in INSTRUMENT_LABELS and instrument in rules.instrument_costs
    customer = CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)
    decision = decide(rules, customer, analyse("I can't afford the invoice right now, I'm behind on my payments"))
    for language in ("en", "da"):
        for instrument in ("payment_plan", "payment_deferral", "fee_waiver"):
            offer = decision.offer.model_copy(update={"instrument": instrument})
            text = suggested_reply(offer, language).text
            assert "{amount}" not in text and ("$" in text or "USD" in text)


def test_a_potential_loyalist_in_difficulty_gets_the_fee_waived():
    customer = CustomerValue(email="ben@example.com", residual_clv=200, historical_spend=90)
    decision = decide(load_rules(), customer, analyse("Jeg har fået en rykker, men kan ikke betale før næste måned"))
    assert decision.tier == "potential_loyalists"
    assert decision.offer.instrument == "fee_waiver"
    assert "tiers.potential_loyalists.category_instruments.payment_difficulty" in [r.rule for r in decision.reasons]


def test_the_simulation_replays_payment_difficulty_as_decide_decides_it():
    csv = (
        "ticket_id,customer,created,sentiment,category,signals\n"
        "1,ana@example.com,2026-05-01,negative,payment_difficulty,hardship\n"
        "2,new@example.com,2026-05-02,negative,payment_difficulty,hardship\n"
        "3,ben@example.com,2026-05-03,negative,payment_difficulty,\n"
    )
    customers = {
        "ana@example.com": CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300),
        "ben@example.com": CustomerValue(email="ben@example.com", residual_clv=200, historical_spend=90),
    }
    rules = load_rules()
    tickets = read_tickets(io.StringIO(csv), analyse)
    outcomes = replay(tickets, customers, rules)
    assert outcomes["instrument"].tolist() == ["payment_plan", "payment_deferral", "fee_waiver"]
    for row, sentiment in enumerate(tickets.sentiments[code] for code in tickets.frame["sentiment"]):
        decision = decide(rules, customers.get(tickets.frame["customer"][row]), sentiment)
        assert (decision.offer.instrument, decision.offer.amount, decision.offer.cost) == (
            outcomes["instrument"][row], outcomes["amount"][row], outcomes["cost"][row]
        )
    by_instrument = {row["instrument"]: row["cost"] for row in totals(compare(tickets, customers, rules, rules), "instrument")
                     if row["rules"] == "current"}
    assert set(by_instrument) == {"payment_plan", "payment_deferral", "fee_waiver"}
