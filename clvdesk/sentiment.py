"""A first ticket analyser: VADER's valence on support text, corrected for politeness, plus signals.

Customers write "please", "thanks" and "help" while complaining, which VADER counts as positive;
in a ticket with any negative word those are removed before scoring, and a ticket that names a churn threat, anger or a concrete
complaint cannot score above negative. Each signal keeps the words that triggered it for the note.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Label = Literal["very_negative", "negative", "neutral", "positive"]
LABELS: dict[str, str] = {
    "very_negative": "Very negative",
    "negative": "Negative",
    "neutral": "Neutral",
    "positive": "Positive",
}
VERY_NEGATIVE_BELOW = -0.6
NEGATIVE_BELOW = -0.2
POSITIVE_FROM = 0.3
SIGNAL_CEILING = -0.25  # a ticket with any signal scores at most this …
SIGNAL_STEP = 0.15  # … minus this for each further kind of signal

_POLITENESS = re.compile(r"\b(please|pls|plz|thanks|thank you|thank u|thx|kindly|help|appreciated?|regards)\b", re.I)
_QUOTED_REPLY = re.compile(r"^(>.*|On .+ wrote:)$", re.M)
_HANDLE_OR_URL = re.compile(r"@\w+|https?://\S+")

SIGNALS: dict[str, tuple[str, re.Pattern[str]]] = {
    "churn_intent": (
        "Churn intent",
        re.compile(
            r"\b(cancel+(ing|ed)? (my|the) (account|subscription|membership|order)s?|close my account"
            r"|never (order|buy|shop|purchase)\w* (here |from you )?again|take my business elsewhere"
            r"|switch(ing)? to (a )?(another|competitor|\w+ instead)|last time i (order|buy|shop)\w*"
            r"|i'?m done with (you|this)|unsubscribe)\b",
            re.I,
        ),
    ),
    "anger": (
        "Anger",
        re.compile(
            r"\b(ridiculous|unacceptable|outrage\w*|disgust\w*|furious|angry|worst|scam\w*|pathetic"
            r"|useless|incompetent|joke|wtf|fed up|sick of|shameful)\b|!{2,}",
            re.I,
        ),
    ),
    "urgency": (
        "Urgency",
        re.compile(r"\b(urgent\w*|asap|immediately|right now|emergency|as soon as possible|by tomorrow|today)\b", re.I),
    ),
    "complaint": (
        "Complaint",
        re.compile(
            r"\b(never (arrived|came|received)|not (arrived|received|delivered)|still (waiting|not)|late|delayed"
            r"|broken|damaged|defective|wrong (item|size|product|order)|missing|overcharged|charged twice"
            r"|double charged|refund|doesn'?t work|stopped working|third time|again and again)\b",
            re.I,
        ),
    ),
}


class Signal(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    evidence: list[str]


class Sentiment(BaseModel):
    """How the customer feels: a score in [-1, 1], its label, and the signals found."""

    model_config = ConfigDict(frozen=True)

    score: float
    label: Label
    signals: list[Signal] = []

    def has(self, signal: str) -> bool:
        return any(found.name == signal for found in self.signals)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def clean_ticket_text(text: str) -> str:
    """Drop quoted replies, @handles and URLs: they are not the customer's own words."""
    return _HANDLE_OR_URL.sub(" ", _QUOTED_REPLY.sub(" ", text))


def label_for(score: float) -> Label:
    if score <= VERY_NEGATIVE_BELOW:
        return "very_negative"
    if score <= NEGATIVE_BELOW:
        return "negative"
    if score < POSITIVE_FROM:
        return "neutral"
    return "positive"


def analyse(text: str) -> Sentiment:
    """Score a ticket's subject and latest customer comment."""
    cleaned = clean_ticket_text(text)
    signals = []
    for name, (label, pattern) in SIGNALS.items():
        evidence = sorted({match.group(0).lower() for match in pattern.finditer(cleaned)})
        if evidence:
            signals.append(Signal(name=name, label=label, evidence=evidence))
    kinds = [signal for signal in signals if signal.name != "urgency"]
    valence = _vader().polarity_scores(cleaned)
    if kinds or valence["neg"] > 0:  # thanks in a complaint is politeness, not praise
        valence = _vader().polarity_scores(_POLITENESS.sub(" ", cleaned))
    score = valence["compound"]
    if kinds:
        score = min(score, SIGNAL_CEILING - SIGNAL_STEP * (len(kinds) - 1))
    score = round(max(-1.0, min(1.0, score)), 4)
    return Sentiment(score=score, label=label_for(score), signals=signals)
