"""What the analyser says about a ticket: the shape the rules engine, the note and the sidebar read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Label = Literal["very_negative", "negative", "neutral", "positive"]
LABELS: dict[str, str] = {
    "very_negative": "Very negative",
    "negative": "Negative",
    "neutral": "Neutral",
    "positive": "Positive",
}

SIGNAL_LABELS: dict[str, str] = {
    "churn_intent": "Churn intent",
    "anger": "Anger or abuse",
    "urgency": "Urgency",
    "legal_threat": "Legal or chargeback threat",
    "repeat_contact": "Repeat contact",
    "hardship": "Financial hardship",
}

# Where two categories find words in one ticket, the one with more evidence wins; on a tie, the
# earlier one here: what went wrong comes before what the customer asks for.
CATEGORY_LABELS: dict[str, str] = {
    "damaged_item": "Damaged item",
    "wrong_item": "Wrong item",
    "missing_item": "Missing or lost item",
    "late_delivery": "Late delivery",
    "payment_difficulty": "Payment difficulty or late payment",
    "billing": "Billing or overcharge",
    "product_quality": "Product quality",
    "account_access": "Account or access",
    "service_experience": "Service experience",
    "refund_request": "Refund request",
    "other": "Other",
}

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "da": "Danish",
    "de": "German",
    "nl": "Dutch",
    "sv": "Swedish",
    "no": "Norwegian",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "und": "an undetermined language",
}
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
