"""Tier rules: which tier a customer is in and what appeasement their ticket earns, with the reasons.

The budget for one ticket is a share of the customer's residual CLV (what they are still worth),
raised or lowered by adjustments for how the ticket reads, capped per tier; how upset the customer is
decides how much of that budget the offer uses. Guardrails then hold it to the customer's rolling
budget across tickets and to the abuse guard. Every reason names the rule that produced it, so an
agent or admin can trace any figure. `decide` is pure: what a customer already received comes in as
`Usage`, read (and spent atomically) by `clvdesk.spending`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from clvdesk.analysis import LABELS, Label, Sentiment
from clvdesk.analysis.model import CATEGORY_LABELS, SIGNAL_LABELS
from clvdesk.clv.segments import SEGMENTS
from clvdesk.customers import CustomerValue
from clvdesk.defaults import MAX_AMOUNT, RULES_MAX_ADJUSTMENT, RULES_MAX_WINDOW_DAYS
from clvdesk.i18n import DEFAULT_LANGUAGE, english
from clvdesk.wording import render

Instrument = Literal[
    "refund",
    "partial_refund",
    "store_credit",
    "discount_next_order",
    "free_shipping",
    "replacement",
    "payment_plan",
    "payment_deferral",
    "fee_waiver",
    "apology_only",
]
INSTRUMENT_LABELS: dict[str, str] = english("instruments")  # the English names (clvdesk/locales/en.json)
Segment = Literal[SEGMENTS]  # type: ignore[valid-type]
ValueTier = Literal["top", "high", "medium", "low"]  # clvdesk.clv.segments: by residual CLV percentile
SignalName = Literal[tuple(SIGNAL_LABELS)]  # type: ignore[valid-type]
CategoryName = Literal[tuple(CATEGORY_LABELS)]  # type: ignore[valid-type]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Days = Annotated[int, Field(ge=1, le=RULES_MAX_WINDOW_DAYS)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierCondition(_Strict):
    """All given bounds must hold; an empty condition matches every customer.

    P(alive), segment and value tier come from the CLV engine; a customer imported without them
    does not match a condition that asks for them.
    """

    min_residual_clv: float | None = None
    max_residual_clv: float | None = None
    min_historical_spend: float | None = None
    max_historical_spend: float | None = None
    min_p_alive: Share | None = None
    max_p_alive: Share | None = None
    segments: Annotated[list[Segment], Field(min_length=1)] | None = None
    value_tiers: Annotated[list[ValueTier], Field(min_length=1)] | None = None

    def bounds(self) -> list[tuple[str, float, int]]:
        """(customer field, bound, 1 for a minimum or -1 for a maximum) for each bound given."""
        fields = ("residual_clv", "historical_spend", "p_alive")
        given = [(field, getattr(self, f"{side}_{field}"), sign) for field in fields for side, sign in (("min", 1), ("max", -1))]
        return [(field, bound, sign) for field, bound, sign in given if bound is not None]

    def choices(self) -> list[tuple[str, list[str]]]:
        """(customer field, the values allowed) for each list given."""
        given = (("segment", self.segments), ("value_tier", self.value_tiers))
        return [(field, allowed) for field, allowed in given if allowed is not None]

    def matches(self, customer: CustomerValue) -> bool:
        for field, bound, sign in self.bounds():
            value = getattr(customer, field)
            if value is None or (value - bound) * sign < 0:
                return False
        return all(getattr(customer, field) in allowed for field, allowed in self.choices())

    def parts(self) -> list[list[object]]:
        """[field, bound or the names allowed] for each bound or list given, as a reason carries them
        (clvdesk.wording says them in each language)."""
        fields = ("min_residual_clv", "max_residual_clv", "min_historical_spend", "max_historical_spend",
                  "min_p_alive", "max_p_alive", "segments", "value_tiers")
        return [[field, getattr(self, field)] for field in fields if getattr(self, field) is not None]


class RollingBudget(_Strict):
    """What one customer may receive across all their tickets in `days`: base + share × residual CLV."""

    share: Share
    days: Days
    base_amount: Amount = 0


class AbuseGuard(_Strict):
    """A customer appeased `max_appeasements` times within `days` gets an apology only, flagged."""

    max_appeasements: Annotated[int, Field(ge=1)]
    days: Days


class Tier(_Strict):
    name: Slug
    label: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    when: TierCondition = TierCondition()
    budget_share: Share
    base_amount: Amount = 0
    max_amount: Amount
    min_amount: Amount = 0
    instruments: Annotated[list[Instrument], Field(min_length=1)]
    category_instruments: dict[CategoryName, Annotated[list[Instrument], Field(min_length=1)]] = {}
    approval_above: Amount | None = None
    # Who approves an offer above approval_above: a role agents know, checked against the approving
    # agent's helpdesk role where the sidebar gives one (Zendesk's "admin", or a custom role's name).
    approval_role: RoleName | None = None
    rolling_budget: RollingBudget | None = None
    abuse_guard: AbuseGuard | None = None

    @field_validator("approval_role")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():  # the note names the role on a line of its own
            raise ValueError("must be one line of text, without line breaks or control characters")
        return value

    @field_validator("min_amount")
    @classmethod
    def _min_below_max(cls, value: float, info: ValidationInfo) -> float:
        top = info.data.get("max_amount")
        if top is not None and value > top:
            raise ValueError(f"the minimum {value:g} is above the maximum {top:g}")
        return value


class Adjustment(_Strict):
    """Multiplies the budget of a ticket whose label is one of `labels` (any, if absent) and that
    shows every signal in `signals`, before the tier's cap."""

    name: Slug
    labels: Annotated[list[Label], Field(min_length=1)] | None = None
    signals: list[SignalName] = []
    budget_multiplier: Annotated[float, Field(ge=0, le=RULES_MAX_ADJUSTMENT, allow_inf_nan=False)]

    def applies(self, sentiment: Sentiment) -> bool:
        label_ok = self.labels is None or sentiment.label in self.labels
        return label_ok and all(sentiment.has(signal) for signal in self.signals)


def _unique(what: str, names: list[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(repeated)}")


class RuleSet(_Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "draft"
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    tiers: Annotated[list[Tier], Field(min_length=1)]
    unknown_customer_tier: Slug
    sentiment_multipliers: dict[Label, Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)]]
    adjustments: list[Adjustment] = []
    # What an instrument costs the company per unit of face value: store credit and discounts cost less than cash.
    instrument_costs: dict[Instrument, Share]

    @field_validator("tiers")
    @classmethod
    def _unique_names(cls, tiers: list[Tier]) -> list[Tier]:
        _unique("tier", [tier.name for tier in tiers])
        return tiers

    @field_validator("unknown_customer_tier")
    @classmethod
    def _known_tier(cls, value: str, info: ValidationInfo) -> str:
        names = [tier.name for tier in info.data.get("tiers") or []]
        if names and value not in names:
            raise ValueError(f"{value!r} is not one of the tiers ({', '.join(names)})")
        return value

    @field_validator("sentiment_multipliers")
    @classmethod
    def _every_label(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [label for label in LABELS if label not in value]
        if missing:
            raise ValueError(f"needs a multiplier for every label; missing: {', '.join(missing)}")
        return value

    @field_validator("adjustments")
    @classmethod
    def _unique_adjustments(cls, value: list[Adjustment]) -> list[Adjustment]:
        _unique("adjustment", [adjustment.name for adjustment in value])
        return value

    @field_validator("instrument_costs")
    @classmethod
    def _every_instrument_costed(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        used = {
            instrument
            for tier in info.data.get("tiers") or []
            for choices in (tier.instruments, *tier.category_instruments.values())
            for instrument in choices
            if instrument != "apology_only"
        }
        missing = sorted(used - set(value))
        if missing:
            raise ValueError(f"needs the cost of every instrument a tier offers; missing: {', '.join(missing)}")
        return value

    def tier(self, name: str) -> Tier:
        return next(tier for tier in self.tiers if tier.name == name)


class Reason(BaseModel):
    """Why one figure is what it is: the rule, and what it says as a template of the language files
    (`message`, a key of their "reasons") with its `values`, so each reader reads it in their language;
    `text` is it in English (and all a reason stored before there were languages has)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    text: str
    message: str = ""
    values: dict[str, Any] = {}
    currency: str = ""

    def said(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The reason in `language`."""
        if not self.message:
            return self.text
        return render(language, f"reasons.{self.message}", self.values, currency=self.currency)


def reason(rule: str, message: str, currency: str = "", **values: Any) -> Reason:
    """The reason `message` (a key of the language files' "reasons") for `rule`, with its English text."""
    text = render(DEFAULT_LANGUAGE, f"reasons.{message}", values, currency=currency)
    return Reason(rule=rule, text=text, message=message, values=values, currency=currency)


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True)

    instrument: Instrument
    instrument_label: str
    amount: float
    currency: str
    budget: float
    needs_approval: bool
    cost: float = 0.0  # what the offer costs the company: amount × the instrument's cost share
    budget_left: float | None = None  # of the customer's rolling budget after this offer; None without one
    flagged: bool = False  # the abuse guard stopped the offer
    # Set when needs_approval: above what amount a supervisor approves, and who (the tier's role, if any).
    approval_above: float | None = None
    approval_role: str | None = None


class Usage(BaseModel):
    """What a customer received within the tier's windows, before this ticket."""

    model_config = ConfigDict(frozen=True)

    spent: float = 0.0  # face value within the rolling budget's window
    appeasements: int = 0  # offers above zero within the abuse guard's window


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


def classify(rules: RuleSet, customer: CustomerValue | None) -> tuple[Tier, str]:
    """The customer's tier and the rule that placed them there: the imported tier, else the first tier
    whose condition matches, else the unknown customers' tier."""
    if customer is None:
        return rules.tier(rules.unknown_customer_tier), "unknown_customer_tier"
    if customer.tier and customer.tier in {tier.name for tier in rules.tiers}:
        return rules.tier(customer.tier), f"tiers.{customer.tier}"
    tier = next((tier for tier in rules.tiers if tier.when.matches(customer)), None)
    if tier is None:
        return rules.tier(rules.unknown_customer_tier), "unknown_customer_tier"
    return tier, f"tiers.{tier.name}.when"


def _tier_reason(rules: RuleSet, customer: CustomerValue | None, tier: Tier, rule: str) -> Reason:
    named = {"tier": [tier.name, tier.label]}
    if customer is None:
        return reason(rule, "tier_unknown_customer", **named)
    if rule == f"tiers.{tier.name}":
        return reason(rule, "tier_imported", **named)
    return reason(rule, "tier_matched", rules.currency, **named, condition=tier.when.parts())


def rolling_limit(tier: Tier, residual_clv: float) -> float | None:
    """The most the customer may receive within the tier's rolling window; None without a limit."""
    budget = tier.rolling_budget
    return None if budget is None else round(budget.base_amount + budget.share * max(residual_clv, 0.0), 2)


def exceeds_approval(approval_above: float | None, amount: float) -> bool:
    """Whether giving `amount` needs a supervisor's approval under a threshold (None: never)."""
    return approval_above is not None and amount > approval_above


class Outcome(NamedTuple):
    """The figures of a decision, without the reasons' text."""

    tier: Tier
    instrument: str
    amount: float
    budget: float
    cost: float
    needs_approval: bool
    budget_left: float | None
    flagged: bool


def evaluate(
    rules: RuleSet,
    customer: CustomerValue | None,
    sentiment: Sentiment,
    usage: Usage = Usage(),
    reasons: list[Reason] | None = None,
    placed: tuple[Tier, str] | None = None,
) -> Outcome:
    """The engine. Appends a reason per rule applied when given a list; the simulation passes none,
    since writing the reasons is most of the cost, and passes `placed`, the customer's
    `classify(rules, customer)`, which it works out once per customer rather than per ticket."""
    currency = rules.currency
    tier, tier_rule = placed or classify(rules, customer)
    residual = max(customer.residual_clv, 0.0) if customer else 0.0
    key = f"tiers.{tier.name}"

    budget = tier.base_amount + tier.budget_share * residual
    if reasons is not None:
        reasons.append(_tier_reason(rules, customer, tier, tier_rule))
        shares = {"share": tier.budget_share, "residual": residual, "budget": budget}
        if tier.base_amount:
            reasons.append(reason(f"{key}.budget_share", "budget_share_base", currency, base=tier.base_amount, **shares))
        else:
            reasons.append(reason(f"{key}.budget_share", "budget_share", currency, **shares))
    for adjustment in rules.adjustments:
        if adjustment.applies(sentiment):
            budget *= adjustment.budget_multiplier
            if reasons is not None:
                reasons.append(reason(f"adjustments.{adjustment.name}", "adjustment", currency,
                                      multiplier=adjustment.budget_multiplier, budget=budget))
    if budget > tier.max_amount:
        budget = tier.max_amount
        if reasons is not None:
            reasons.append(reason(f"{key}.max_amount", "max_amount", currency, budget=budget))

    multiplier = rules.sentiment_multipliers[sentiment.label]
    amount = round(budget * multiplier, 2)
    if reasons is not None:
        rule = f"sentiment_multipliers.{sentiment.label}"
        if sentiment.supported:
            reasons.append(reason(rule, "sentiment", currency, label=sentiment.label, score=sentiment.score,
                                  multiplier=multiplier, amount=amount))
        else:
            reasons.append(reason(rule, "not_read", currency, language=sentiment.language, multiplier=multiplier,
                                  amount=amount))

    limit = rolling_limit(tier, residual)
    left = None if limit is None else round(max(limit - usage.spent, 0.0), 2)
    if left is not None and amount > left:
        amount = left
        if reasons is not None:
            reasons.append(reason(f"{key}.rolling_budget", "rolling_budget", currency, spent=usage.spent,
                                  limit=limit, days=tier.rolling_budget.days, left=left))

    flagged = tier.abuse_guard is not None and usage.appeasements >= tier.abuse_guard.max_appeasements
    if flagged:
        amount = 0.0
        if reasons is not None:
            reasons.append(reason(f"{key}.abuse_guard", "abuse_guard", count=usage.appeasements,
                                  days=tier.abuse_guard.days))
    elif amount < tier.min_amount or amount <= 0:
        amount = 0.0
        if reasons is not None:
            reasons.append(reason(f"{key}.min_amount", "min_amount", currency, minimum=tier.min_amount))

    instrument = "apology_only"
    if amount > 0:
        choices = tier.category_instruments.get(sentiment.category.name)
        instrument = choices[0] if choices else tier.instruments[0]
        if reasons is not None and choices:
            reasons.append(reason(f"{key}.category_instruments.{sentiment.category.name}", "category_instrument",
                                  instrument=instrument, category=sentiment.category.name))
        elif reasons is not None:
            reasons.append(reason(f"{key}.instruments", "tier_instrument", instrument=instrument))

    needs_approval = exceeds_approval(tier.approval_above, amount)
    if needs_approval and reasons is not None:
        if tier.approval_role:
            reasons.append(reason(f"{key}.approval_above", "approval_role", currency, limit=tier.approval_above,
                                  role=tier.approval_role))
        else:
            reasons.append(reason(f"{key}.approval_above", "approval", currency, limit=tier.approval_above))
    cost_share = rules.instrument_costs.get(instrument, 0.0)
    cost = round(amount * cost_share, 2)
    if amount > 0 and reasons is not None:
        reasons.append(reason(f"instrument_costs.{instrument}", "cost", currency, share=cost_share, cost=cost))
    budget_left = None if left is None else round(left - amount, 2)
    return Outcome(tier, instrument, amount, round(budget, 2), cost, needs_approval, budget_left, flagged)


def decide(
    rules: RuleSet, customer: CustomerValue | None, sentiment: Sentiment, usage: Usage = Usage()
) -> Decision:
    """Apply the rules to one ticket, with every reason. Pure: the same inputs always give the same decision."""
    reasons: list[Reason] = []
    outcome = evaluate(rules, customer, sentiment, usage, reasons)
    offer = Offer(
        instrument=outcome.instrument,
        instrument_label=INSTRUMENT_LABELS[outcome.instrument],
        amount=outcome.amount,
        currency=rules.currency,
        budget=outcome.budget,
        needs_approval=outcome.needs_approval,
        cost=outcome.cost,
        budget_left=outcome.budget_left,
        flagged=outcome.flagged,
        approval_above=outcome.tier.approval_above if outcome.needs_approval else None,
        approval_role=outcome.tier.approval_role if outcome.needs_approval else None,
    )
    return Decision(tier=outcome.tier.name, tier_label=outcome.tier.label, offer=offer, reasons=reasons)
