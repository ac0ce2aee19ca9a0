"""The internal note an agent reads on the ticket, and the tags that make suggestions searchable."""

from __future__ import annotations

from clvdesk.defaults import NOTE_REFERENCE_PREFIX
from clvdesk.money import format_money
from clvdesk.suggestions import Suggestion

TAG_PREFIX = "clvdesk"


def note_reference(event_id: str) -> str:
    """The line that ends every note: it marks the comment as clvdesk's and names its event."""
    return f"{NOTE_REFERENCE_PREFIX}{event_id}"


def render_note(suggestion: Suggestion) -> str:
    customer, offer, sentiment = suggestion.customer, suggestion.offer, suggestion.sentiment
    money = customer.currency

    who = customer.email or "unknown requester"
    if customer.known:
        value = (
            f"residual CLV {format_money(customer.residual_clv, money)} · "
            f"spent so far {format_money(customer.historical_spend, money)}"
        )
    else:
        value = "not in the customer store"
    feeling = f"{sentiment.label.replace('_', ' ')} ({sentiment.score:+.2f})"
    for signal in sentiment.signals:
        feeling += f" · {signal.label.lower()}: " + ", ".join(f'"{word}"' for word in signal.evidence[:3])

    if offer.instrument == "apology_only":
        offer_line = "Apology only"
    else:
        offer_line = f"{offer.instrument_label}: {format_money(offer.amount, offer.currency)}"
    if offer.needs_approval:
        offer_line += " (needs supervisor approval)"

    lines = [
        f"clvdesk suggestion: {offer_line}",
        "",
        f"Customer: {who} · tier {customer.tier_label} · {value}",
        f"Sentiment: {feeling}",
        f"Budget for this ticket: {format_money(offer.budget, offer.currency)}",
        "",
        "Why:",
        *(f"- {reason.text} [{reason.rule}]" for reason in suggestion.reasons),
        "",
        f"Rules {suggestion.rules_version} · {note_reference(suggestion.event_id)}",
    ]
    return "\n".join(lines)


def note_tags(suggestion: Suggestion) -> list[str]:
    """Tags that let admins build views and reports of clvdesk's suggestions."""
    return [TAG_PREFIX, f"{TAG_PREFIX}_tier_{suggestion.customer.tier}", f"{TAG_PREFIX}_offer_{suggestion.offer.instrument}"]
