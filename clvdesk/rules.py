"""Tier rules: which tier a customer is in and what appeasement their ticket earns, with the reasons.

The budget for one ticket is a share of the customer's residual CLV (what they are still worth),
capped per tier; how upset the customer is decides how much of that budget the offer uses.
Every reason names the rule that produced it, so an agent or admin can trace any figure.
"""

from __future__ import annotations

import json
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from clvdesk.customers import CustomerValue
from clvdesk.money import format_money
from clvdesk.sentiment import LABELS, Label, Sentiment

Instrument = Literal[
    "refund", "partial_refund", "store_credit", "discount_next_order", "free_shipping", "apology_only"
]
INSTRUMENT_LABELS: dict[str, str] = {
    "refund": "Refund",
    "partial_refund": "Partial refund",
    "store_credit": "Store credit",
    "discount_next_order": "Discount on the next order",
    "free_shipping": "Free shipping",
    "apology_only": "Apology only",
}
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierCondition(_Strict):
    """All given bounds must hold; an empty condition matches every customer."""

    min_residual_clv: float | None = None
    max_residual_clv: float | None = None
    min_historical_spend: float | None = None
    max_historical_spend: float | None = None

    def matches(self, customer: CustomerValue) -> bool:
        bounds = (
            (self.min_residual_clv, customer.residual_clv, 1),
            (self.max_residual_clv, customer.residual_clv, -1),
            (self.min_historical_spend, customer.historical_spend, 1),
            (self.max_historical_spend, customer.historical_spend, -1),
        )
        return all(bound is None or (value - bound) * sign >= 0 for bound, value, sign in bounds)

    def describe(self, currency: str) -> str:
        parts = []
        for field, text in (
            ("min_residual_clv", "residual CLV ≥ {}"),
            ("max_residual_clv", "residual CLV ≤ {}"),
            ("min_historical_spend", "spend so far ≥ {}"),
            ("max_historical_spend", "spend so far ≤ {}"),
        ):
            bound = getattr(self, field)
            if bound is not None:
                parts.append(text.format(format_money(bound, currency)))
        return " and ".join(parts) or "every other customer"


class Tier(_Strict):
    name: Slug
    label: str
    when: TierCondition = TierCondition()
    budget_share: Annotated[float, Field(ge=0, le=1)]
    base_amount: Amount = 0
    max_amount: Amount
    min_amount: Amount = 0
    instruments: Annotated[list[Instrument], Field(min_length=1)]
    approval_above: Amount | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Tier:
        if self.min_amount > self.max_amount:
            raise ValueError(f"min_amount {self.min_amount:g} is above max_amount {self.max_amount:g}")
        return self


class RuleSet(_Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    unknown_customer_tier: Slug
    sentiment_multipliers: dict[Label, Annotated[float, Field(ge=0, le=2)]]
    tiers: Annotated[list[Tier], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        names = [tier.name for tier in self.tiers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"tier names repeat: {', '.join(repeated)}")
        if self.unknown_customer_tier not in names:
            raise ValueError(f"unknown_customer_tier {self.unknown_customer_tier!r} is not a tier")
        missing = sorted(set(LABELS) - set(self.sentiment_multipliers))
        if missing:
            raise ValueError(f"sentiment_multipliers lacks {', '.join(missing)}")
        return self

    def tier(self, name: str) -> Tier:
        return next(tier for tier in self.tiers if tier.name == name)


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    text: str


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True)

    instrument: Instrument
    instrument_label: str
    amount: float
    currency: str
    budget: float
    needs_approval: bool


class Decision(BaseModel):
    """The tier a customer falls in and the offer their ticket earns, with every reason."""

    model_config = ConfigDict(frozen=True)

    tier: str
    tier_label: str
    offer: Offer
    reasons: list[Reason]


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules in `path`, or the default rules shipped with clvdesk."""
    if path is None:
        text = resources.files("clvdesk").joinpath("data/default_rules.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return RuleSet.model_validate(json.loads(text))


def _classify(rules: RuleSet, customer: CustomerValue | None) -> tuple[Tier, Reason]:
    if customer is None:
        tier = rules.tier(rules.unknown_customer_tier)
        return tier, Reason(rule="unknown_customer_tier", text=f"Customer not in the customer store: tier {tier.label}")
    if customer.tier and customer.tier in {tier.name for tier in rules.tiers}:
        tier = rules.tier(customer.tier)
        return tier, Reason(rule=f"tiers.{tier.name}", text=f"Tier {tier.label}, as imported for this customer")
    index, tier = next(
        ((index, tier) for index, tier in enumerate(rules.tiers) if tier.when.matches(customer)),
        (None, rules.tier(rules.unknown_customer_tier)),
    )
    rule = f"tiers.{tier.name}.when" if index is not None else "unknown_customer_tier"
    return tier, Reason(rule=rule, text=f"Tier {tier.label}: {tier.when.describe(rules.currency)}")


def decide(rules: RuleSet, customer: CustomerValue | None, sentiment: Sentiment) -> Decision:
    """Apply the rules to one ticket. Pure: the same inputs always give the same decision."""
    money = partial(format_money, currency=rules.currency)
    tier, why_tier = _classify(rules, customer)
    reasons = [why_tier]
    residual = max(customer.residual_clv, 0.0) if customer else 0.0
    key = f"tiers.{tier.name}"

    budget = tier.base_amount + tier.budget_share * residual
    share_text = f"{tier.budget_share:.0%} of residual CLV {money(residual)}"
    if tier.base_amount:
        share_text = f"{money(tier.base_amount)} + {share_text}"
    reasons.append(Reason(rule=f"{key}.budget_share", text=f"Budget is {share_text} = {money(budget)}"))
    if budget > tier.max_amount:
        budget = tier.max_amount
        reasons.append(Reason(rule=f"{key}.max_amount", text=f"Capped at the tier maximum {money(budget)}"))

    multiplier = rules.sentiment_multipliers[sentiment.label]
    amount = round(budget * multiplier, 2)
    reasons.append(
        Reason(
            rule=f"sentiment_multipliers.{sentiment.label}",
            text=f"Sentiment {LABELS[sentiment.label].lower()} ({sentiment.score:+.2f}): "
            f"offer {multiplier:.0%} of the budget = {money(amount)}",
        )
    )

    if amount < tier.min_amount or amount <= 0:
        instrument: Instrument = "apology_only"
        reasons.append(
            Reason(rule=f"{key}.min_amount", text=f"Below the tier minimum {money(tier.min_amount)}: apologise only")
        )
        amount = 0.0
    else:
        instrument = tier.instruments[0]
        reasons.append(
            Reason(rule=f"{key}.instruments", text=f"{INSTRUMENT_LABELS[instrument]} is this tier's first choice")
        )

    needs_approval = tier.approval_above is not None and amount > tier.approval_above
    if needs_approval:
        reasons.append(
            Reason(
                rule=f"{key}.approval_above",
                text=f"Above {money(tier.approval_above)}: a supervisor must approve",
            )
        )
    offer = Offer(
        instrument=instrument,
        instrument_label=INSTRUMENT_LABELS[instrument],
        amount=amount,
        currency=rules.currency,
        budget=round(budget, 2),
        needs_approval=needs_approval,
    )
    return Decision(tier=tier.name, tier_label=tier.label, offer=offer, reasons=reasons)
