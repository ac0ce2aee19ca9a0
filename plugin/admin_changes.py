"""The simulation's changed tickets as the admin page lists them: the ticket, the customer, the offer
under the rules in force → under the draft, and why it differs, read from the simulation's own
columns (`current_*` and `draft_*` of each changed ticket)."""

from __future__ import annotations

from clvdesk.money import format_money
from clvdesk.rules import INSTRUMENT_LABELS


def _offer(row: dict, rules: str, currency: str) -> str:
    instrument = row[f"{rules}_instrument"]
    name = INSTRUMENT_LABELS.get(instrument, instrument)
    amount = row[f"{rules}_amount"]
    return name if instrument == "apology_only" or not amount else f"{name} {format_money(amount, currency)}"


def _why(row: dict, tiers: dict[str, str]) -> list[str]:
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
    if before["instrument"] != after["instrument"] and before["tier"] == after["tier"]:
        reasons.append("The tier's instruments differ")
    if not reasons:
        reasons.append("The tier's offer settings differ")
    return reasons


def changed_tickets(rows: list[dict], currency: str, tiers: dict[str, str]) -> list[dict]:
    """[{"ticket", "customer", "created", "before", "after", "why": [...]}] for the simulation's changed tickets."""
    return [{
        "ticket": row["ticket_id"],
        "customer": row["customer"],
        "created": row["created"][:10],
        "before": _offer(row, "current", currency),
        "after": _offer(row, "draft", currency),
        "why": _why(row, tiers),
    } for row in rows]
