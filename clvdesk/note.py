"""The internal note an agent reads on the ticket, and the tags that make suggestions searchable.

One source of lines, in the language the account's agents read (clvdesk/locales/), rendered as each
helpdesk shows a note: plain text, Markdown or HTML. In the last two,
what came from outside clvdesk (the customer's email, words quoted from their message) cannot turn into
markup: Markdown's inline markers are escaped, and HTML is escaped whole.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import partial

from clvdesk.analysis import Sentiment
from clvdesk.defaults import NOTE_REFERENCE_PREFIX
from clvdesk.helpdesk.interface import NoteFormat
from clvdesk.i18n import DEFAULT_LANGUAGE
from clvdesk.money import format_date
from clvdesk.rules import Offer
from clvdesk.suggestions import CustomerView, Suggestion
from clvdesk.wording import render

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


def _analysis_lines(sentiment: Sentiment, language: str) -> list[str]:
    """How the customer feels, what they signal and what went wrong, each with the words that show it."""
    say = partial(render, language)
    if not sentiment.supported:
        return [say("note.not_read", {"language": sentiment.language})]
    feeling = {"label": sentiment.label, "score": sentiment.score, "language": sentiment.language}
    lines = [say("note.sentiment" if sentiment.language == language else "note.sentiment_language", feeling)]
    if sentiment.signals:
        signals = [say("note.signal", {"name": s.name, "evidence": _quoted(s.evidence)}) for s in sentiment.signals]
        lines.append(say("note.signals", {"signals": " · ".join(signals)}))
    if sentiment.category.evidence:
        category = {"name": sentiment.category.name, "evidence": _quoted(sentiment.category.evidence)}
        lines.append(say("note.what_went_wrong", category))
    return lines


def offer_summary(offer: Offer, language: str = DEFAULT_LANGUAGE) -> str:
    """The offer in one line, as the note's first line and a sidebar's headline show it."""
    say = partial(render, language, currency=offer.currency)
    if offer.instrument == "apology_only":
        line = say("note.apology_only")
    else:
        line = say("note.offer", {"instrument": offer.instrument, "amount": offer.amount})
    if offer.needs_approval:
        role = {"offer": line, "role": one_line(offer.approval_role)} if offer.approval_role else {"offer": line}
        line = say("note.needs_approval_role" if offer.approval_role else "note.needs_approval", role)
    if offer.flagged:
        line = say("note.flagged", {"offer": line})
    return line


def _approval_lines(offer: Offer, language: str) -> list[str]:
    if not offer.needs_approval:
        return []
    if offer.approval_role:
        return [render(language, "note.approval_role", {"role": one_line(offer.approval_role)})]
    return [render(language, "note.approval")]


def _fit_lines(customer: CustomerView, language: str) -> list[str]:
    """What the CLV fit adds (`clvdesk clv fit`); nothing for customers imported from a file."""
    if customer.total_clv is None or customer.p_alive is None:
        return []
    values = {"total": customer.total_clv, "p_alive": customer.p_alive, "segment": customer.segment}
    return [render(language, "note.fit_segment" if customer.segment else "note.fit", values, currency=customer.currency)]


def _note_lines(suggestion: Suggestion, language: str) -> list[str]:
    customer, offer = suggestion.customer, suggestion.offer
    say = partial(render, language, currency=customer.currency)

    who = one_line(customer.email) if customer.email else say("note.unknown_requester")
    if customer.known:
        value = say("note.value", {"residual": customer.residual_clv, "spent": customer.historical_spend})
        if customer.values_as_of is not None:
            value = say("note.values_as_of", {"value": value, "date": format_date(customer.values_as_of, language)})
    else:
        value = say("note.not_in_store")
    tier = [customer.tier, one_line(customer.tier_label)]

    budget = {"budget": offer.budget, "left": offer.budget_left}
    lines = [
        say("note.headline", {"offer": offer_summary(offer, language)}),
        "",
        say("note.customer", {"who": who, "tier": tier, "value": value}),
        *_fit_lines(customer, language),
        *_analysis_lines(suggestion.sentiment, language),
        say("note.budget" if offer.budget_left is None else "note.budget_left", budget),
        *_approval_lines(offer, language),
        "",
        say("note.why"),
        *(f"- {one_line(reason.said(language))} [{reason.rule}]" for reason in suggestion.reasons),
        "",
        say("note.rules", {"version": suggestion.rules_version}),
    ]
    return lines


def render_note(suggestion: Suggestion, fmt: NoteFormat = "text", language: str = DEFAULT_LANGUAGE) -> str:
    """The note in `fmt` and `language` (one of clvdesk.i18n.languages()): paragraphs, the reasons a list,
    and the reference last, never Markdown-escaped (so that `has_note` finds it in the note's text; in
    HTML only &, < and > are escaped)."""
    *lines, rules = _note_lines(suggestion, language)
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
