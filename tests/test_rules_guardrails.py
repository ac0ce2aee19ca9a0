"""The engine's guardrails, pure: caps, approval, adjustments, category choices, cost, rolling budget
and abuse guard. The shared budget under concurrent tickets is in test_rules_spending.py."""

from __future__ import annotations

from clvdesk.analysis import Sentiment
from clvdesk.analysis.model import Category, Signal
from clvdesk.customers import CustomerValue
from clvdesk.rules import RuleSet, Usage, decide, load_rules

RULES = load_rules()
FURIOUS = Sentiment(score=-0.9, label="very_negative")
LEAVING = Sentiment(
    score=-0.9, label="very_negative", signals=[Signal(name="churn_intent", label="Churn intent", evidence=["cancel"])]
)
LATE = Sentiment(score=-0.9, label="very_negative", category=Category(name="late_delivery", label="Late delivery"))


def customer(residual, spent=100.0, **scores):
    return CustomerValue(email="c@example.com", residual_clv=residual, historical_spend=spent, **scores)


def edited(**changes) -> RuleSet:
    """The default rules with top-level fields replaced, or tier fields as tier__field=value."""
    data = RULES.model_dump()
    for key, value in changes.items():
        if "__" in key:
            tier, field = key.split("__")
            next(t for t in data["tiers"] if t["name"] == tier)[field] = value
        else:
            data[key] = value
    return RuleSet.model_validate(data)


def rules_of(decision):
    return [reason.rule for reason in decision.reasons]


def test_every_figure_has_a_reason_naming_its_rule():
    decision = decide(RULES, customer(500), FURIOUS)
    assert rules_of(decision) == [
        "tiers.champions.when",
        "tiers.champions.budget_share",
        "sentiment_multipliers.very_negative",
        "tiers.champions.instruments",
        "instrument_costs.partial_refund",
    ]


def test_cap_then_approval_at_the_threshold():
    at_threshold = decide(RULES, customer(750), FURIOUS)  # 20% = $150, not above the threshold
    assert (at_threshold.offer.amount, at_threshold.offer.needs_approval) == (150.0, False)
    above = decide(RULES, customer(1000), FURIOUS)
    assert (above.offer.amount, above.offer.needs_approval) == (200.0, True)
    capped = decide(RULES, customer(10_000), FURIOUS)
    assert capped.offer.amount == 250.0 and "tiers.champions.max_amount" in rules_of(capped)


def test_minimum_amount_turns_the_offer_into_an_apology():
    rules = edited(potential_loyalists__min_amount=30)
    decision = decide(rules, customer(120), FURIOUS)  # 20% of $120 = $24 < $30
    assert (decision.offer.instrument, decision.offer.amount, decision.offer.cost) == ("apology_only", 0.0, 0.0)
    assert "tiers.potential_loyalists.min_amount" in rules_of(decision)


def test_store_credit_costs_less_than_its_face_value():
    decision = decide(RULES, customer(120, 150), FURIOUS)  # potential loyalists: store credit first
    assert (decision.offer.instrument, decision.offer.amount, decision.offer.cost) == ("store_credit", 24.0, 14.4)


def test_churn_adjustment_raises_the_budget_before_the_cap():
    rules = edited(
        adjustments=[{"name": "leaving", "labels": ["very_negative"], "signals": ["churn_intent"], "budget_multiplier": 1.5}]
    )
    assert decide(rules, customer(200), FURIOUS).offer.amount == 40.0  # no churn intent: unchanged
    leaving = decide(rules, customer(200), LEAVING)
    assert leaving.offer.amount == 60.0 and "adjustments.leaving" in rules_of(leaving)
    assert decide(rules, customer(1500), LEAVING).offer.amount == 250.0  # still capped at the tier maximum


def test_late_delivery_gets_free_shipping_first():
    decision = decide(RULES, customer(20, 30), LATE)
    assert decision.offer.instrument == "free_shipping"
    assert "tiers.new.category_instruments.late_delivery" in rules_of(decision)
    assert decide(RULES, customer(20, 30), FURIOUS).offer.instrument == "discount_next_order"


def test_rolling_budget_limits_the_offer_to_what_is_left():
    # Champions may receive 40% of residual CLV in 30 days: $200 for a $500 customer.
    fresh = decide(RULES, customer(500), FURIOUS, Usage(spent=0))
    assert (fresh.offer.amount, fresh.offer.budget_left) == (100.0, 100.0)
    partly = decide(RULES, customer(500), FURIOUS, Usage(spent=130, appeasements=1))
    assert (partly.offer.amount, partly.offer.budget_left) == (70.0, 0.0)
    assert "tiers.champions.rolling_budget" in rules_of(partly)
    spent = decide(RULES, customer(500), FURIOUS, Usage(spent=197, appeasements=2))  # $3 left < $5 minimum
    assert (spent.offer.instrument, spent.offer.amount) == ("apology_only", 0.0)


def test_abuse_guard_gives_an_apology_and_flags():
    below = decide(RULES, customer(500), FURIOUS, Usage(spent=0, appeasements=3))
    assert below.offer.amount == 100.0 and not below.offer.flagged
    guarded = decide(RULES, customer(500), FURIOUS, Usage(spent=0, appeasements=4))
    assert (guarded.offer.instrument, guarded.offer.amount, guarded.offer.flagged) == ("apology_only", 0.0, True)
    assert "tiers.champions.abuse_guard" in rules_of(guarded)


def test_conditions_on_p_alive_segment_and_value_tier():
    rules = edited(
        tiers=[
            {**RULES.tier("champions").model_dump(), "when": {"value_tiers": ["top"], "min_p_alive": 0.5}},
            {**RULES.tier("cant_lose_them").model_dump(), "when": {"segments": ["cant_lose_them", "lost_high_value"]}},
            RULES.tier("new").model_dump(),
        ]
    )
    assert decide(rules, customer(50, value_tier="top", p_alive=0.9), FURIOUS).tier == "champions"
    assert decide(rules, customer(50, value_tier="top", p_alive=0.3, segment="lost_high_value"), FURIOUS).tier == (
        "cant_lose_them"
    )
    assert decide(rules, customer(5000), FURIOUS).tier == "new"  # imported without scores: no condition holds
