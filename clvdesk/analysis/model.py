"""What the analyser says about a ticket: the shape the rules engine, the note and the sidebar read."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from clvdesk.i18n import english

Label = Literal["very_negative", "negative", "neutral", "positive"]
# The English names, from the language file every other language translates (clvdesk/locales/en.json).
LABELS: dict[str, str] = {name: english("sentiment")[name] for name in get_args(Label)}
SIGNAL_LABELS: dict[str, str] = english("signals")

# Where two categories find words in one ticket, the one with more evidence wins; on a tie, the
# earlier one in the file: what went wrong comes before what the customer asks for.
CATEGORY_LABELS: dict[str, str] = english("categories")
LANGUAGE_NAMES: dict[str, str] = english("language_names")
SUPPORTED_LANGUAGES = ("en", "da")


class Signal(BaseModel):
    """One thing an agent should know (a churn threat, anger …) and the customer's words that show it."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    evidence: list[str]


class Category(BaseModel):
    """What went wrong, with the words that say so; `other` when nothing matched."""

    model_config = ConfigDict(frozen=True)

    name: str = "other"
    label: str = CATEGORY_LABELS["other"]
    evidence: list[str] = []


class Sentiment(BaseModel):
    """How the customer feels: a score in [-1, 1], its label, the signals and the complaint category.

    A ticket in a language clvdesk does not read has `supported` false, score 0 and label neutral,
    so the rules treat it as neutral while the note says why.
    """

    model_config = ConfigDict(frozen=True)

    score: float
    label: Label
    signals: list[Signal] = []
    category: Category = Category()
    language: str = "en"
    supported: bool = True

    def has(self, signal: str) -> bool:
        return any(found.name == signal for found in self.signals)

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)
