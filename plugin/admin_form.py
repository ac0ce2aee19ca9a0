"""The rules as the admin page's structured form: one input per setting, named by its JSON path
(`tiers[0].budget_share`), so a validation error's path names the input it belongs next to.

Shares are shown as percentages (20 for 0.2), the way a support admin thinks of them; everything
else is the rules' own value. A form read back is a plain dict for `RuleSet.model_validate`, the
admin API's validation, unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from clvdesk.analysis.model import CATEGORY_LABELS, LABELS, SIGNAL_LABELS
from clvdesk.clv.segments import SEGMENT_LABELS
from clvdesk.defaults import ADMIN_FORM_MAX_NAME_CHARS, ADMIN_FORM_MAX_NAME_PARTS
from clvdesk.rules import INSTRUMENT_LABELS

PERCENT = re.compile(r"(budget_share|rolling_budget\.share|instrument_costs\.\w+|p_alive|sentiment_multipliers\.\w+)$")
CHOICES = re.compile(r"\.(segments|value_tiers|labels|signals)$")  # checkbox groups: one path, many values
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
INSTRUMENT_SLOTS = 3  # first, second and third choice of a tier's instruments
CATEGORY_SLOTS = 2  # first and second choice per complaint category
VALUE_TIERS = {"top": "Top (95th percentile)", "high": "High (80th)", "medium": "Medium (50th)", "low": "Low"}
FORM_KEYS = ("csrf_token", "action", "mode", "author", "comment", "rules_json")  # not rule settings


class FormNameError(ValueError):
    """An input's name is no path into the rules: too long or nested too deep to be one."""


def field_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")


def _number(value: float) -> str:
    return f"{round(value, 6):g}"


def flatten(rules: dict) -> dict[str, str | list[str]]:
    """The rules as form values: path → text (or a list for a checkbox group)."""
    values: dict[str, str | list[str]] = {}

    def walk(value: object, path: str) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else key)
        elif isinstance(value, list) and CHOICES.search(path):
            values[path] = [str(item) for item in value]
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, f"{path}[{index}]")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[path] = _number(value * 100 if PERCENT.search(path) else value)
        else:
            values[path] = str(value)

    walk(rules, "")
    return values


def unflatten(form) -> dict:
    """Form values (a MultiDict) back into the rules' shape. Empty inputs are left out, so an
    optional setting left empty is unset and a required one is reported missing at its path.
    Raises FormNameError for a name no rule setting has, before building anything from it."""
    root: dict = {}
    for path in form:
        if path in FORM_KEYS:
            continue
        _check_name(path)
        if CHOICES.search(path):
            value: object = [item for item in form.getlist(path) if item]
        else:
            value = form.get(path, "").strip()
            if value and PERCENT.search(path):
                value = _from_percent(value)
        if value in ("", []):
            continue
        tokens = [name or int(index) for name, index in _TOKEN.findall(path)]
        if not tokens:
            continue
        node = root
        for token in tokens[:-1]:
            node = node.setdefault(token, {})
            if not isinstance(node, dict):
                break
        else:
            node[tokens[-1]] = value
    return _lists(root)


def _check_name(path: str) -> None:
    if len(path) > ADMIN_FORM_MAX_NAME_CHARS:
        raise FormNameError(f"An input's name is {len(path)} characters long; a setting's name has at most "
                            f"{ADMIN_FORM_MAX_NAME_CHARS}. Reload the page and submit its own form.")
    parts = path.count(".") + path.count("[") + 1
    if parts > ADMIN_FORM_MAX_NAME_PARTS:
        raise FormNameError(f"An input's name nests {parts} levels deep; a setting's name has at most "
                            f"{ADMIN_FORM_MAX_NAME_PARTS}. Reload the page and submit its own form.")


def form_values(form) -> dict[str, str | list[str]]:
    """The submitted inputs as they were typed, to show them again beside their errors."""
    return {path: form.getlist(path) if CHOICES.search(path) else form.get(path, "") for path in form if path not in FORM_KEYS}


def _from_percent(text: str) -> object:
    try:
        share = Decimal(text.removesuffix("%").strip()) / 100  # exact: "17.3" gives 0.173, not 0.17300000000000001
    except InvalidOperation:
        return text  # validation says "must be a number" at this path
    return float(share) if share.is_finite() else text


def _lists(node: object) -> object:
    """Dicts keyed by list positions become lists, in order, without the gaps of empty inputs."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(key, int) for key in node):
        return [_lists(node[key]) for key in sorted(node)]
    return {key: _lists(value) for key, value in node.items()}


def page_message(path: str, message: str) -> str:
    """A validation message in the form's units: a share's "must be 1 or less" reads "100% or less"."""
    if PERCENT.search(path):
        return re.sub(r"must be ([\d.]+) or (more|less)", lambda m: f"must be {float(m[1]) * 100:g}% or {m[2]}", message)
    return message


@dataclass
class Field:
    path: str
    label: str
    kind: str = "number"  # number, money, percent, days, count, multiplier, text, select, checks
    help: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return field_id(self.path)


@dataclass
class Group:
    """A fieldset: its own errors are those at `path` (a list or object as a whole)."""

    title: str
    path: str
    fields: list[Field]
    help: str = ""
    collapsed: bool = False

    @property
    def id(self) -> str:
        return field_id(self.path)


@dataclass
class Section:
    title: str
    anchor: str
    groups: list[Group]
    help: str = ""


def _instrument_options() -> list[tuple[str, str]]:
    return [("", "— none —"), *INSTRUMENT_LABELS.items()]


def _tier_section(index: int, tier: dict, currency: str) -> Section:
    p = f"tiers[{index}]"
    name = tier.get("label") or tier.get("name") or f"Tier {index + 1}"
    instruments = _instrument_options()
    return Section(
        title=f"Tier {index + 1}: {name}",
        anchor=f"tier-{index + 1}",
        help="Tiers are checked in order; a customer gets the first tier whose conditions all hold.",
        groups=[
            Group("Name", "", [
                Field(f"{p}.label", "Name agents see", "text"),
                Field(f"{p}.name", "Internal name", "text", "Lower-case letters, digits and _; used in reasons and imports."),
            ]),
            Group("Who is in this tier", f"{p}.when", [
                Field(f"{p}.when.min_residual_clv", "Residual CLV at least", "money", "What the customer is still expected to bring."),
                Field(f"{p}.when.max_residual_clv", "Residual CLV at most", "money"),
                Field(f"{p}.when.min_historical_spend", "Spent so far at least", "money"),
                Field(f"{p}.when.max_historical_spend", "Spent so far at most", "money"),
                Field(f"{p}.when.min_p_alive", "Chance still active at least", "percent"),
                Field(f"{p}.when.max_p_alive", "Chance still active at most", "percent"),
                Field(f"{p}.when.segments", "Segments", "checks", "None ticked: any segment.",
                      list(SEGMENT_LABELS.items())),
                Field(f"{p}.when.value_tiers", "Value tiers", "checks", "None ticked: any value tier.", list(VALUE_TIERS.items())),
            ], "Leave a box empty to not use it. Empty everywhere: every customer."),
            Group("Offer", p, [
                Field(f"{p}.budget_share", "Budget per ticket", "percent", "Share of the customer's residual CLV."),
                Field(f"{p}.base_amount", "Plus a fixed amount", "money"),
                Field(f"{p}.max_amount", "Maximum per ticket", "money", "The budget is capped here."),
                Field(f"{p}.min_amount", "Minimum offer", "money", "Below this, the suggestion is an apology."),
                Field(f"{p}.approval_above", "Supervisor approves above", "money", "Empty: no approval needed."),
                Field(f"{p}.approval_role", "Who approves", "text",
                      "The approver's helpdesk role (Zendesk: admin, or a custom role). Empty: any agent, recorded."),
            ]),
            Group("Instruments, in order of preference", f"{p}.instruments", [
                Field(f"{p}.instruments[{slot}]", f"Choice {slot + 1}", "select", options=instruments)
                for slot in range(INSTRUMENT_SLOTS)
            ]),
            Group("Rolling budget across tickets", f"{p}.rolling_budget", [
                Field(f"{p}.rolling_budget.share", "Share of residual CLV", "percent"),
                Field(f"{p}.rolling_budget.base_amount", "Plus a fixed amount", "money"),
                Field(f"{p}.rolling_budget.days", "Over the last", "days"),
            ], "The most one customer may receive over all their tickets. Leave all empty for no limit."),
            Group("Abuse guard", f"{p}.abuse_guard", [
                Field(f"{p}.abuse_guard.max_appeasements", "Apology only after", "count", "Appeasements within the window."),
                Field(f"{p}.abuse_guard.days", "Within the last", "days"),
            ], "A customer appeased this often gets an apology only and is flagged for review. Empty: off."),
            Group("Instruments by complaint category", f"{p}.category_instruments", [
                Field(f"{p}.category_instruments.{category}[{slot}]", f"{label}: choice {slot + 1}", "select", options=instruments)
                for category, label in CATEGORY_LABELS.items()
                for slot in range(CATEGORY_SLOTS)
            ], "These come first for tickets about that category.", collapsed=not tier.get("category_instruments")),
        ],
    )


def sections(draft: dict) -> list[Section]:
    """The form's sections for the draft's tiers and adjustments (plus one empty adjustment to add)."""
    currency = str(draft.get("currency") or "USD")
    tiers = draft.get("tiers") if isinstance(draft.get("tiers"), list) else []
    adjustments = draft.get("adjustments") if isinstance(draft.get("adjustments"), list) else []
    tier_names = [(str(t.get("name", "")), str(t.get("label") or t.get("name", ""))) for t in tiers if isinstance(t, dict)]
    general = Section("General", "general", [
        Group("Money and unknown customers", "", [
            Field("currency", "Currency", "text", "Three capital letters, such as USD or EUR."),
            Field("unknown_customer_tier", "Tier for customers not in the store", "select", options=tier_names),
        ]),
        Group("How much of the budget to offer, by sentiment", "sentiment_multipliers", [
            Field(f"sentiment_multipliers.{label}", text, "percent") for label, text in LABELS.items()
        ], "The more upset the customer, the more of the budget they are offered (up to 200%)."),
        Group("What each instrument costs the company", "instrument_costs", [
            Field(f"instrument_costs.{name}", text, "percent")
            for name, text in INSTRUMENT_LABELS.items() if name != "apology_only"
        ], "Per unit of face value: cash costs 100%, store credit less."),
    ])
    adjustment_groups = [
        Group(f"Adjustment {index + 1}" if index < len(adjustments) else "Add an adjustment", f"adjustments[{index}]", [
            Field(f"adjustments[{index}].name", "Name", "text", "Lower-case letters, digits and _."),
            Field(f"adjustments[{index}].budget_multiplier", "Multiply the budget by", "multiplier"),
            Field(f"adjustments[{index}].labels", "When the sentiment is", "checks", "None ticked: any.", list(LABELS.items())),
            Field(f"adjustments[{index}].signals", "And the ticket shows all of", "checks", "", list(SIGNAL_LABELS.items())),
        ], "Empty its boxes and untick everything to remove it." if index < len(adjustments) else "Fill in to add one.")
        for index in range(len(adjustments) + 1)
    ]
    return [
        general,
        *[_tier_section(index, tier, currency) for index, tier in enumerate(tiers) if isinstance(tier, dict)],
        Section("Adjustments", "adjustments", adjustment_groups,
                "Raise or lower the budget of tickets that read a certain way, before the tier's maximum."),
    ]


def places(parts: list[Section]) -> dict[str, str]:
    """Path → where the admin finds it on the page ("Tier 1: Champions › Maximum per ticket")."""
    found = {}
    for section in parts:
        for group in section.groups:
            if group.path:
                found.setdefault(group.path, f"{section.title} › {group.title}")
            for item in group.fields:
                found[item.path] = f"{section.title} › {item.label}"
    return found


def shown(path: str, value: object) -> str:
    """A setting's value as the form shows it: shares as percentages, lists as text."""
    if value is None:
        return "not set"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{_number(value * 100)}%" if PERCENT.search(path) else _number(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return json.dumps(value) if isinstance(value, dict) else str(value)
