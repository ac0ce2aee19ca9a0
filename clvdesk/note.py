"""The internal note an agent reads on the ticket, and the tags that make suggestions searchable.

One source of lines, rendered as each helpdesk shows a note: plain text, Markdown or HTML. In the last two,
what came from outside clvdesk (the customer's email, words quoted from their message) cannot turn into
markup: Markdown's inline markers are escaped, and HTML is escaped whole.
"""

from __future__ import annotations

import html
import re
import unicodedata

from clvdesk.analysis import Sentiment
from clvdesk.clv.segments import SEGMENT_LABELS
from clvdesk.defaults import NOTE_REFERENCE_PREFIX
from clvdesk.helpdesk.interface import NoteFormat
from clvdesk.money import format_money
from clvdesk.rules import Offer, approver
from clvdesk.suggestions import CustomerView, Suggestion

TAG_PREFIX = "clvdesk"
EVIDENCE_SHOWN = 3  # words quoted per signal or category: enough to see why, short enough to read
_LINE_WRITERS = {"Cc", "Cf", "Zl", "Zp"}  # controls, invisible formatting (bidi overrides), line and paragraph separators
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKDOWN_MARKERS = re.compile(r"([\\`*_\[\]<>|#!~])")  # CommonMark lets any of them be backslash-escaped
_ITEM = "- "


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


def offer_summary(offer: Offer) -> str:
    """The offer in one line, as the note's first line and a sidebar's headline show it."""
    if offer.instrument == "apology_only":
        line = "Apology only"
    else:
        line = f"{offer.instrument_label}: {format_money(offer.amount, offer.currency)}"
    if offer.needs_approval:
        line += f" (needs approval by {approver(offer.approval_role)})"
    if offer.flagged:
        line += " (flagged by the abuse guard: review this customer)"
    return line


def _approval_lines(offer: Offer) -> list[str]:
    if not offer.needs_approval:
        return []
    return [
        f"Approval: {approver(offer.approval_role)} must approve before the customer is promised this. "
        "Approve it in the clvdesk sidebar; until then the suggested reply says only that you have asked for it."
    ]


def _fit_lines(customer: CustomerView) -> list[str]:
    """What the CLV fit adds (`clvdesk clv fit`); nothing for customers imported from a file."""
    if customer.total_clv is None or customer.p_alive is None:
        return []
    line = f"CLV fit: total CLV {format_money(customer.total_clv, customer.currency)} · P(alive) {customer.p_alive:.0%}"
    if customer.segment:
        line += f" · segment {SEGMENT_LABELS.get(customer.segment, one_line(customer.segment))}"
    return [line]


def _note_lines(suggestion: Suggestion) -> list[str]:
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

    offer_line = offer_summary(offer)
    budget_line = f"Budget for this ticket: {format_money(offer.budget, offer.currency)}"
    if offer.budget_left is not None:
        budget_line += f" · rolling budget left after this offer: {format_money(offer.budget_left, offer.currency)}"

    lines = [
        f"clvdesk suggestion: {offer_line}",
        "",
        f"Customer: {who} · tier {one_line(customer.tier_label)} · {value}",
        *_fit_lines(suggestion.customer),
        *_analysis_lines(suggestion.sentiment),
        budget_line,
        *_approval_lines(offer),
        "",
        "Why:",
        *(f"- {one_line(reason.text)} [{reason.rule}]" for reason in suggestion.reasons),
        "",
        f"Rules {suggestion.rules_version} · ",
    ]
    return lines


def render_note(suggestion: Suggestion, fmt: NoteFormat = "text") -> str:
    """The note in `fmt`: paragraphs, the reasons a list, and the reference last, never Markdown-escaped
    (so that `has_note` finds it in the note's text; in HTML only &, < and > are escaped)."""
    *lines, rules = _note_lines(suggestion)
    reference = note_reference(suggestion.event_id)
    if fmt == "text":
        return "\n".join([*lines, rules + reference])
    blocks = _blocks([*lines, rules])
    if fmt == "markdown":
        return "\n\n".join(_markdown_block(block) for block in blocks) + reference
    if fmt == "html":
        return "".join(_html_block(block) for block in blocks[:-1]) + _html_block(blocks[-1], html.escape(reference, quote=False))
    raise ValueError(f"a note is text, markdown or html, not {fmt!r}")


def text_note_as_html(note: str) -> str:
    """A note rendered as text, in the HTML render_note renders it in: for a helpdesk that keeps both bodies
    of one note (Gorgias), made from the text the pipeline gives it."""
    return "".join(_html_block(block) for block in _blocks(note.split("\n")))


def _blocks(lines: list[str]) -> list[list[str]]:
    """Paragraphs (split at blank lines) and lists (runs of "- " items) apart."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if blocks[-1] and (not line or line.startswith(_ITEM) != blocks[-1][-1].startswith(_ITEM)):
            blocks.append([])
        if line:
            blocks[-1].append(line)
    return [block for block in blocks if block]


def _is_list(block: list[str]) -> bool:
    return all(line.startswith(_ITEM) for line in block)


def _markdown_block(block: list[str]) -> str:
    escaped = [_MARKDOWN_MARKERS.sub(r"\\\1", line.removeprefix(_ITEM) if _is_list(block) else line) for line in block]
    if _is_list(block):
        return "\n".join(_ITEM + line for line in escaped)
    return "  \n".join(escaped)  # two spaces: a hard line break


def _html_block(block: list[str], tail: str = "") -> str:
    if _is_list(block):
        return "<ul>" + "".join(f"<li>{html.escape(line.removeprefix(_ITEM))}</li>" for line in block) + "</ul>" + tail
    return "<p>" + "<br>".join(html.escape(line) for line in block) + tail + "</p>"


def note_tags(suggestion: Suggestion) -> list[str]:
    """Tags that let admins build views and reports of clvdesk's suggestions."""
    return [TAG_PREFIX, f"{TAG_PREFIX}_tier_{suggestion.customer.tier}", f"{TAG_PREFIX}_offer_{suggestion.offer.instrument}"]
