"""The simulation's changed tickets as the admin page lists them: the ticket, the customer, the offer
under the rules in force → under the draft, and why it differs: what the simulation's own columns
(`current_*` and `draft_*`) say changed for the ticket, and the draft's edits to the ticket's tier
(or, when its tier's settings are untouched, the edits that apply to every tier)."""

from __future__ import annotations

from clvdesk.money import format_money
from clvdesk.rule_store import diff
from clvdesk.rules import INSTRUMENT_LABELS, RuleSet
from plugin.admin_form import places, sections, shown

EDITS_SHOWN = 3  # settings named per ticket; the version's diff lists them all


def _offer(row: dict, rules: str, currency: str) -> str:
    instrument = row[f"{rules}_instrument"]
    name = INSTRUMENT_LABELS.get(instrument, instrument)
    amount = row[f"{rules}_amount"]
    return name if instrument == "apology_only" or not amount else f"{name} {format_money(amount, currency)}"


def _edits(current: RuleSet, draft: RuleSet) -> tuple[dict[str, list[str]], list[str]]:
    """The draft's edits as the form names them: per tier name, and those outside any tier."""
    where = places(sections(draft.model_dump(mode="json")))
    names = [tier.name for tier in draft.tiers]
    by_tier: dict[str, list[str]] = {}
    general = []
    for change in diff(current, draft):
        text = f"{where.get(change.path, change.path)}: {shown(change.path, change.before)} → {shown(change.path, change.after)}"
        if change.path.startswith("tiers["):
            index = int(change.path[6:change.path.index("]")])
            by_tier.setdefault(names[index] if index < len(names) else "", []).append(text)
        else:
            general.append(text)
    return by_tier, general


def _why(row: dict, tiers: dict[str, str], edits: tuple[dict[str, list[str]], list[str]]) -> list[str]:
    before = {key.removeprefix("current_"): value for key, value in row.items() if key.startswith("current_")}
    after = {key.removeprefix("draft_"): value for key, value in row.items() if key.startswith("draft_")}
    reasons = []
    if before["tier"] != after["tier"]:
        reasons.append(f"Tier {tiers.get(before['tier'], before['tier'])} → {tiers.get(after['tier'], after['tier'])}")
    if before["budget_hit"] != after["budget_hit"]:
        reasons.append("Reaches the customer's rolling budget" if after["budget_hit"] else "No longer held back by the rolling budget")
    if before["flagged"] != after["flagged"]:
        reasons.append("Flagged by the abuse guard: apology only" if after["flagged"] else "No longer flagged by the abuse guard")
    if before["needs_approval"] != after["needs_approval"]:
        reasons.append("Needs a supervisor's approval" if after["needs_approval"] else "No longer needs approval")
    by_tier, general = edits
    return reasons + (by_tier.get(after["tier"]) or general)[:EDITS_SHOWN]


def changed_tickets(rows: list[dict], current: RuleSet, draft: RuleSet) -> list[dict]:
    """[{"ticket", "customer", "created", "before", "after", "why": [...]}] for the simulation's changed tickets."""
    tiers = {tier.name: tier.label for tier in (*current.tiers, *draft.tiers)}
    edits = _edits(current, draft)
    return [{
        "ticket": row["ticket_id"],
        "customer": row["customer"],
        "created": row["created"][:10],
        "before": _offer(row, "current", current.currency),
        "after": _offer(row, "draft", draft.currency),
        "why": _why(row, tiers, edits),
    } for row in rows]
