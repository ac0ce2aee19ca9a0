"""Templates from the language files filled in: `{name}` is a value as it is, `{name:kind}` one written
for the language (money, a percentage, a label looked up by name), `{name:kind|lower}` lower-cased.

Reasons keep their template's key and values (clvdesk.rules.Reason), so each reader gets them in
their own language: the note in the account's, the sidebar in the agent's.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any

from clvdesk.i18n import label, lookup, strings, tier_label
from clvdesk.money import format_money, format_number

LABEL_KINDS = {  # {name:kind} that names a value by its group in the language file
    "sentiment": "sentiment", "signal": "signals", "category": "categories", "instrument": "instruments",
    "language": "language_names", "segment": "segments",
}


class _Formatter(string.Formatter):
    def __init__(self, language: str, currency: str):
        self.language, self.currency = language, currency

    def format_field(self, value: Any, format_spec: str) -> str:
        kind, _, case = format_spec.partition("|")
        text = self.written(kind, value) if kind else str(value)
        return text.lower() if case == "lower" else text

    def written(self, kind: str, value: Any) -> str:
        if kind == "money":
            return format_money(float(value), self.currency, self.language)
        if kind == "percent":
            return format_number(float(value), self.language, digits=0, percent=True)
        if kind == "score":  # a sentiment score: +0.85
            return format_number(float(value), self.language, sign=True)
        if kind == "number":  # a multiplier: 1.5, 2
            return format_number(float(value), self.language, digits=2, trim=True)
        if kind == "condition":
            return self.condition(value)
        if kind == "tier":  # [name, label in the rules]
            return tier_label(self.language, *value)
        if kind in LABEL_KINDS:
            return label(self.language, LABEL_KINDS[kind], value)
        raise ValueError(f"no format {kind!r} in a template (known: money, percent, score, number, condition, tier, "
                         f"{', '.join(LABEL_KINDS)})")

    def condition(self, parts: list[list[Any]]) -> str:
        """A tier's condition, [[field, bound or names], …], as the language says it."""
        words = strings(self.language)["conditions"]
        said = []
        for field, bound in parts:
            if isinstance(bound, list):
                value = words["or"].join(str(item) for item in bound)
            else:
                value = self.written("percent" if field.endswith("p_alive") else "money", bound)
            said.append(words[field].format(value=value))
        return words["and"].join(said) or words["every_other"]


@lru_cache(maxsize=None)
def _parsed(language: str, key: str) -> tuple[tuple[str, str | None, str], ...]:
    """The template at `key` as (text, field, format) pieces, parsed once: a decision writes a dozen."""
    return tuple((text, field, spec or "") for text, field, spec, _ in string.Formatter().parse(lookup(language, key)))


def render(language: str, key: str, values: dict[str, Any] | None = None, *, currency: str = "") -> str:
    """The template at `key` ("note.why") in `language`, its fields filled from `values`, money in `currency`."""
    formatter, values = _Formatter(language, currency), values or {}
    return "".join(
        text + ("" if field is None else formatter.format_field(values[field], spec))
        for text, field, spec in _parsed(language, key)
    )
