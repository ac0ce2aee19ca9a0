"""A ticket's sentiment, signals and complaint category, from its subject and the customer's latest words.

The score adds two kinds of evidence on VADER's valence scale before normalising: the valence of
the customer's words, and a fixed weight for each phrase that shows something went wrong or that
the customer threatens to leave, sue or is angry. "Still waiting" and "not received" carry no
valence in any lexicon but are the most common complaints there are. The label's thresholds are
calibrated per language on held-apart tuning data (`bench/analysis_eval.py --tune`).
"""

from __future__ import annotations

from clvdesk.analysis.cues import find_cues
from clvdesk.analysis.language import detect_language
from clvdesk.analysis.model import CATEGORY_LABELS, SIGNAL_LABELS, SUPPORTED_LANGUAGES, Label, Sentiment
from clvdesk.analysis.text import clean_ticket_text, split_words
from clvdesk.analysis.valence import DANISH_WORD_LISTS, normalise, word_valence

# Weight of each phrase on VADER's scale (where "bad" is -2.5 and "terrible" -2.1), at most
# CUE_PHRASES_COUNTED phrases per signal or category. Urgency alone does not make a ticket negative.
CUE_WEIGHTS: dict[str, float] = {
    "churn_intent": -3.0,
    "legal_threat": -3.0,
    "anger": -2.5,
    "repeat_contact": -1.5,
    "urgency": 0.0,
    **{name: -1.5 for name in CATEGORY_LABELS},  # "other": the grammar of a complaint ("why", "still")
    "refund_request": -1.0,
    "hardship": -1.0,
    "praise": 2.5,  # outweighs the negation it holds and a problem named and then put right
}
CUE_PHRASES_COUNTED = 3
# A ticket that names what went wrong (a category other than "other") or shows one of these is
# at least negative, whatever its score: Danish thresholds are calibrated on general text, whose
# neutral band is wide.
ESCALATIONS = frozenset({"churn_intent", "legal_threat", "anger", "repeat_contact"})
# General-purpose word valence counts this much beside the phrases: on support text the phrases
# that name a problem tell complaints apart better than feeling words ("weak", "killing me") do.
# Chosen from 0.5, 0.75 and 1 on the tuning lines (complaint ROC-AUC 0.824, 0.813, 0.800).
WORD_VALENCE_WEIGHT = 0.5

# (negative at or below, positive at or above) per language, neutral between, as calibrated by
# `python bench/analysis_eval.py --tune` on tuning data only: English negative maximises complaint
# F1 on the even lines of complaints-data.csv, English positive lets 5% of those complaints through,
# Danish both maximise 3-class macro-F1 on the even-numbered scored LCC sentences (accuracy alone
# chose a neutral band so wide that five-star reviews came out neutral).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "en": (-0.077, 0.063),
    "da": (-0.2023, 0.2116),
}
SCORE_PLACES = 4  # decimal places of the score
# round(score * 10⁴) / 10⁴ equals round(score, 4) unless score * 10⁴ is within a rounding error of
# a half, and takes a fraction of the time: round(x, n) converts x to decimal exactly.
_SCORE_SCALE = 10**SCORE_PLACES
# No licence-clean data rates how upset a customer is, so "very negative" is set by design:
# a churn or legal threat alone, with nothing said to soften it, reaches it. It takes more than
# naming problems, however many: an escalation (threat, anger, repeat contact) or words as hostile
# as anger, so that "my order is late, could you check?" stays negative.
VERY_NEGATIVE = round(normalise(CUE_WEIGHTS["churn_intent"], 0) * _SCORE_SCALE) / _SCORE_SCALE
HOSTILE_WORDS = CUE_WEIGHTS["anger"]  # weighted word valence at or below this counts as escalation


def label_for(score: float, language: str, names_a_problem: bool, escalated: bool = True) -> Label:
    """The label for a score; a ticket that names a problem or a threat is at least negative."""
    negative, positive = THRESHOLDS[language]
    if score <= VERY_NEGATIVE and escalated:
        return "very_negative"
    if score <= negative or names_a_problem:
        return "negative"
    if score < positive:
        return "neutral"
    return "positive"


def _category(cues: dict[str, list[str]]) -> str:
    """The named category with the most evidence (the first of equals), else "other"."""
    named = [name for name in CATEGORY_LABELS if name in cues and name != "other"]
    return max(named, key=lambda name: len(cues[name])) if named else "other"


def analyse(
    text: str, language: str | None = None, *, danish_word_lists: tuple[str, ...] = DANISH_WORD_LISTS
) -> Sentiment:
    """Analyse a ticket's subject and latest customer comment (one string, the subject first).

    `language` is what the helpdesk knows of the ticket's language ("da", "en-GB"): it decides a text
    whose words are too few to tell. `danish_word_lists` are for the evaluation, which measures each.
    """
    words = split_words(clean_ticket_text(text))
    language = detect_language(words, language[:2].lower() if language else None)
    if language not in SUPPORTED_LANGUAGES:
        return Sentiment(score=0.0, label="neutral", language=language, supported=False)

    cues = find_cues(words.text, language, words.as_written)
    feeling, politeness = word_valence(words, language, danish_word_lists)
    cue_weight = 0.0
    category, signals = "other", []
    if cues:
        for name, evidence in cues.items():
            cue_weight += CUE_WEIGHTS[name] * min(len(evidence), CUE_PHRASES_COUNTED)
        category = _category(cues)
        signals = [
            {"name": name, "label": label, "evidence": cues[name]}
            for name, label in SIGNAL_LABELS.items()
            if name in cues
        ]
    total = WORD_VALENCE_WEIGHT * feeling + cue_weight
    if total >= 0:  # thanks in a complaint are politeness, not praise
        total += politeness
    score = round(normalise(total, words.text.count("!")) * _SCORE_SCALE) / _SCORE_SCALE
    escalated = not ESCALATIONS.isdisjoint(cues) or WORD_VALENCE_WEIGHT * feeling <= HOSTILE_WORDS
    names_a_problem = (category != "other" and "praise" not in cues) or escalated  # a problem put right is none
    # Validated from plain values in one call, which costs less than building each model in turn.
    return Sentiment.model_validate(
        {
            "score": score,
            "label": label_for(score, language, names_a_problem, escalated),
            "signals": signals,
            "category": {"name": category, "label": CATEGORY_LABELS[category], "evidence": cues.get(category, [])},
            "language": language,
        }
    )
