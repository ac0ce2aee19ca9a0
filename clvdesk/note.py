"""The internal note an agent reads on the ticket, and the tags that make suggestions searchable."""

from __future__ import annotations

import unicodedata

from clvdesk.analysis import Sentiment
from clvdesk.defaults import NOTE_REFERENCE_PREFIX
from clvdesk.money import format_money
from clvdesk.suggestions import Suggestion

TAG_PREFIX = "clvdesk"
EVIDENCE_SHOWN = 3  # words quoted per signal or category: enough to see why, short enough to read
_LINE_WRITERS = {"Cc", "Cf", "Zl", "Zp"}  # controls, invisible formatting (bidi overrides), line and paragraph separators
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def note_reference(event_id: str) -> str:
    """The line that ends every note: it marks the comment as clvdesk's and names its event."""
    return f"{NOTE_REFERENCE_PREFIX}{event_id}"


def one_line(text: str) -> str:
    """Text from a customer (or anyone but clvdesk) as it may appear in the note: its line breaks and
    control characters escaped, so it cannot start a line of its own (a fake "clvdesk-ref:" or "Approved")."""
    if text.isprintable():
        return text
    return "".join(
        _NAMED_ESCAPES.get(char) or (f"\\u{ord(char):04x}" if unicodedata.category(char) in _LINE_WRITERS else char)
        for char in text
    )


def _quoted(words: list[str]) -> str:
    return ", ".join(f'"{one_line(word)}"' for word in words[:EVIDENCE_SHOWN])


def _analysis_lines(sentiment: Sentiment) -> list[str]:
    """How the customer feels, what they signal and what went wrong, each with the words that show it."""
    if not sentiment.supported:
        return [f"Sentiment: not read (the text is in {sentiment.language_name}, which clvdesk does not read)"]
    feeling = f"{sentiment.label.replace('_', ' ')} ({sentiment.score:+.2f})"
    if sentiment.language != "en":
        feeling += f" · in {sentiment.language_name}"
    lines = [f"Sentiment: {feeling}"]
    if sentiment.signals:
        lines.append("Signals: " + " · ".join(f"{s.label.lower()} ({_quoted(s.evidence)})" for s in sentiment.signals))
    if sentiment.category.evidence:
        lines.append(f"What went wrong: {sentiment.category.label.lower()} ({_quoted(sentiment.category.evidence)})")
    return lines


def render_note(suggestion: Suggestion) -> str:
    customer, offer = suggestion.customer, suggestion.offer
    money = customer.currency

    who = one_line(customer.email) if customer.email else "unknown requester"
    if customer.known:
        value = (
            f"residual CLV {format_money(customer.residual_clv, money)} · "
            f"spent so far {format_money(customer.historical_spend, money)}"
        )
    else:
        value = "not in the customer store"

    if offer.instrument == "apology_only":
        offer_line = "Apology only"
    else:
        offer_line = f"{offer.instrument_label}: {format_money(offer.amount, offer.currency)}"
    if offer.needs_approval:
        offer_line += " (needs supervisor approval)"
    if offer.flagged:
        offer_line += " (flagged by the abuse guard: review this customer)"
    budget_line = f"Budget for this ticket: {format_money(offer.budget, offer.currency)}"
    if offer.budget_left is not None:
        budget_line += f" · rolling budget left after this offer: {format_money(offer.budget_left, offer.currency)}"

    lines = [
        f"clvdesk suggestion: {offer_line}",
        "",
        f"Customer: {who} · tier {one_line(customer.tier_label)} · {value}",
        *_analysis_lines(suggestion.sentiment),
        budget_line,
        "",
        "Why:",
        *(f"- {one_line(reason.text)} [{reason.rule}]" for reason in suggestion.reasons),
        "",
        f"Rules {suggestion.rules_version} · {note_reference(suggestion.event_id)}",
    ]
    return "\n".join(lines)


def note_tags(suggestion: Suggestion) -> list[str]:
    """Tags that let admins build views and reports of clvdesk's suggestions."""
    return [TAG_PREFIX, f"{TAG_PREFIX}_tier_{suggestion.customer.tier}", f"{TAG_PREFIX}_offer_{suggestion.offer.instrument}"]
