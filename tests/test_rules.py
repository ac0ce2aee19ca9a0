"""The default tier rules and the engine that applies them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clvdesk.analysis import Sentiment
from clvdesk.customers import CustomerValue
from clvdesk.rules import RuleSet, decide, load_rules

RULES = load_rules()
FURIOUS = Sentiment(score=-0.9, label="very_negative")
UPSET = Sentiment(score=-0.4, label="negative")
HAPPY = Sentiment(score=0.8, label="positive")


def customer(residual, spent=100.0, tier=None):
    return CustomerValue(email="c@example.com", residual_clv=residual, historical_spend=spent, tier=tier)


@pytest.mark.parametrize("residual, budget", [(200, 40.0), (500, 100.0)])
def test_budget_is_a_fifth_of_residual_clv(residual, budget):
    # The seeds' policy: a $200 customer gets up to $40, a $500 one up to $100.
    decision = decide(RULES, customer(residual), FURIOUS)
    assert decision.offer.budget == budget
    assert decision.offer.amount == budget


@pytest.mark.parametrize(
    "residual, spent, tier, instrument",
    [
        (1000, 3000, "champions", "partial_refund"),  # refunds for the top tier
        (80, 900, "cant_lose_them", "discount_next_order"),  # a discount for customers at risk
        (10, 900, "lost_high_value", "discount_next_order"),  # a small coupon for lost customers
        (120, 150, "potential_loyalists", "store_credit"),
        (20, 30, "new", "discount_next_order"),
    ],
)
def test_tiers_and_their_instruments(residual, spent, tier, instrument):
    decision = decide(RULES, customer(residual, spent), FURIOUS)
    assert (decision.tier, decision.offer.instrument) == (tier, instrument)


def test_unknown_customer_is_new_and_gets_a_small_coupon_at_most():
    decision = decide(RULES, None, FURIOUS)
    assert decision.tier == "new"
    assert decision.offer.amount == 5.0
    assert decision.reasons[0].rule == "unknown_customer_tier"


def test_cap_and_approval_threshold():
    decision = decide(RULES, customer(5000, 9000), FURIOUS)
    assert decision.offer.budget == 250.0
    assert decision.offer.needs_approval is True
    rules = [reason.rule for reason in decision.reasons]
    assert "tiers.champions.max_amount" in rules and "tiers.champions.approval_above" in rules


def test_calmer_tickets_use_less_of_the_budget():
    assert decide(RULES, customer(500), UPSET).offer.amount == 75.0
    happy = decide(RULES, customer(500), HAPPY)
    assert (happy.offer.instrument, happy.offer.amount) == ("apology_only", 0.0)


def test_imported_tier_wins_over_conditions():
    decision = decide(RULES, customer(10, tier="champions"), FURIOUS)
    assert decision.tier == "champions"
    assert decision.offer.instrument == "apology_only"  # 20% of $10 is below the tier minimum


def test_negative_residual_clv_gives_no_budget():
    assert decide(RULES, customer(-50, 600), FURIOUS).offer.budget == 5.0  # only the base amount


def test_rules_are_validated_with_paths():
    data = RULES.model_dump()
    data["tiers"][0]["min_amount"] = 999
    data["tiers"][1]["instruments"] = ["cash"]
    data["unknown_customer_tier"] = "nobody"
    with pytest.raises(ValidationError) as info:
        RuleSet.model_validate(data)
    locations = {tuple(error["loc"]) for error in info.value.errors()}
    assert ("tiers", 0, "min_amount") in locations  # the field itself, so the admin API can point at it
    assert ("tiers", 1, "instruments", 0) in locations
