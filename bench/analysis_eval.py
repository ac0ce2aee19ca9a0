"""Evaluate the ticket analyser against plain VADER on real support text, and calibrate its thresholds.

    python bench/analysis_eval.py          # the table, on held-out data
    python bench/analysis_eval.py --tune   # thresholds calibrated on the tuning data only
    python bench/analysis_eval.py --build-dds   # clvdesk/analysis/data/DDS-forms.txt from DDS

Data (../shared/data/support-text, never copied into the repository):
- complaints-data.csv (Preotiuc-Pietro et al., ACL 2019): tweets to customer-service accounts, complaint
  or not. Rows on even lines tune, rows on odd lines are reported.
- banking77/ (CC BY 4.0): churn intent is `terminate_account`; train tunes, test is reported.
- lcc_dan_mixed_2014_10K-sentences.csv (CC BY): Danish sentences scored -5..5 (about 400 of them);
  even `number`s tune, odd ones are reported.

Plain VADER is scored the way its documentation says: compound ≤ -0.05 negative, ≥ 0.05 positive;
its "negative" stands in for complaint and churn, as a lexicon analyser offers nothing closer.

The Danish table sets clvdesk (AFINN-da and DDS, each alone and both, and both with the DDS forms of
homographs that clvdesk leaves out) against plain AFINN-da (the afinn package: a score's sign is its
class), Sentida (its mean score, with the neutral band that maximises macro-F1 on the tuning half, as it
documents no thresholds) and VADER, all on the odd-numbered LCC sentences. DDS is never scored on its
own headwords: only on sentences. `pip install afinn sentida` for the two baselines (`.[eval]`); a
baseline that is not installed is left out and said so. Throughput runs on one core (the process is
pinned to one CPU where the OS allows it), timing the two analysers in turn.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from clvdesk.analysis import analyse
from clvdesk.analysis.analyser import THRESHOLDS
from clvdesk.analysis import analyser
from clvdesk.analysis.text import split_words
from clvdesk.analysis import valence
from clvdesk.analysis.valence import DANISH_WORD_LISTS, DDS_DANISH, DDS_TO_VADER, lexicon

DATA = Path(__file__).resolve().parents[2] / "shared/data/support-text"
DDS_LIST = Path(__file__).resolve().parents[1] / "clvdesk/analysis" / DDS_DANISH
VADER_NEGATIVE, VADER_POSITIVE = -0.05, 0.05  # vaderSentiment's documented thresholds
POSITIVE_COMPLAINT_SHARE = 0.05  # the English positive cut lets at most this share of tuning complaints through
THROUGHPUT_MIN_SECONDS = 1.0  # each timing repeats the corpus until it has run at least this long
THROUGHPUT_TRIES = 5  # the best of this many timings of each analyser is reported
GOALS = {"complaint_auc": 0.80, "churn_precision": 0.95, "churn_recall": 0.85, "texts_per_second": 5000}


# Data -------------------------------------------------------------------------------------------


def complaints(tuning: bool) -> tuple[list[str], np.ndarray]:
    """Tweets and complaint labels: even lines (1-based, the file has no header) tune, odd lines report."""
    with (DATA / "complaints-data.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    chosen = [row for line, row in enumerate(rows, start=1) if (line % 2 == 0) == tuning]
    return [row[1] for row in chosen], np.array([int(row[2]) for row in chosen])


def banking77(split: str) -> tuple[list[str], np.ndarray]:
    with (DATA / "banking77" / f"{split}.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [row["text"] for row in rows], np.array([row["category"] == "terminate_account" for row in rows])


def dds_forms(homographs: bool = False) -> dict[str, int]:
    """Every word form of DDS with its headword's polarity; a form of several headwords gets their
    mean, rounded, and a form whose headwords disagree in sign ("fedt", "lækker") none.

    A headword with a homograph number is one of several words of that spelling in Den Danske Ordbog,
    and DDS rates only the one: "fire 2" (to ease off) is rated, the numeral is not; "mod 1"
    (courage), not the preposition; "vide 1" (to know), whose form "ved" is also the preposition. In
    text the unrated word is usually the one meant, so a form of such headwords only is left out
    ("gode", also a form of "god", stays), unless `homographs` (to measure what leaving them out adds)."""
    found: dict[str, list[int]] = {}
    unambiguous: set[str] = set()  # forms of a headword without a homograph number
    with (DATA / "dds" / "2_headword_headword_polarity.csv").open(newline="", encoding="utf-8") as file:
        for headword, homograph, _, _, polarity, forms in csv.reader(file):
            for form in forms.lower().split(";"):
                if form and " " not in form:
                    found.setdefault(form, []).append(int(polarity))
                    if not homograph:
                        unambiguous.add(form)
    return {
        form: round(sum(values) / len(values))
        for form, values in sorted(found.items())
        if (homographs or form in unambiguous) and (min(values) > 0 or max(values) < 0)
    }


def build_dds() -> None:
    """Write clvdesk's derived DDS list (CC BY-SA 4.0, attributed in the NOTICE beside it)."""
    forms = dds_forms()
    DDS_LIST.write_text("".join(f"{form}\t{value}\n" for form, value in forms.items()), encoding="utf-8")
    print(f"wrote {len(forms)} word forms to {DDS_LIST}")


def danish(tuning: bool) -> tuple[list[str], np.ndarray]:
    """Scored sentences as -1 / 0 / 1; values outside -5..5 (one row has 9) are not scores."""
    with (DATA / "lcc_dan_mixed_2014_10K-sentences.csv").open(newline="", encoding="utf-8") as file:
        rows = [{key.strip(): value for key, value in row.items()} for row in csv.DictReader(file)]
    scored = [row for row in rows if row["valence"].strip() and abs(float(row["valence"])) <= 5]
    chosen = [row for row in scored if (int(row["number"]) % 2 == 0) == tuning]
    return [row["text"] for row in chosen], np.sign([float(row["valence"]) for row in chosen]).astype(int)


# Metrics ----------------------------------------------------------------------------------------


def roc_auc(scores: Sequence[float], truth: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive outranks a random negative (ties half)."""
    ranks = _average_ranks(np.asarray(scores, dtype=float))
    positives = int(truth.sum())
    negatives = len(truth) - positives
    return float((ranks[truth.astype(bool)].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def precision_recall_f1(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    hits = int((predicted & truth).sum())
    precision = hits / predicted.sum() if predicted.sum() else 0.0
    recall = hits / truth.sum()
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


# The two analysers ------------------------------------------------------------------------------


class Reading(NamedTuple):
    score: float  # higher is happier
    polarity: int  # -1 negative (a complaint), 0 neutral, 1 positive
    churn: bool


class Vader:
    name = "VADER"

    def __init__(self) -> None:
        self.analyzer = SentimentIntensityAnalyzer()

    def read(self, text: str) -> Reading:
        score = self.analyzer.polarity_scores(text)["compound"]
        polarity = -1 if score <= VADER_NEGATIVE else 1 if score >= VADER_POSITIVE else 0
        return Reading(score, polarity, churn=polarity < 0)


class Clvdesk:
    name = "clvdesk"

    def read(self, text: str) -> Reading:
        result = analyse(text)
        polarity = -1 if result.label in ("negative", "very_negative") else 1 if result.label == "positive" else 0
        return Reading(result.score, polarity, churn=result.has("churn_intent"))


def throughput(runs: Sequence[Callable[[str], object]], texts: list[str]) -> list[float]:
    """Texts per second of each analyser, the best of its timings; the timings take turns, so a busy
    spell on the machine slows both rather than the one that happened to run then."""
    best = [math.inf] * len(runs)
    for _ in range(THROUGHPUT_TRIES):
        for place, run in enumerate(runs):
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < THROUGHPUT_MIN_SECONDS:
                for text in texts:
                    run(text)
                count += len(texts)
            best[place] = min(best[place], (time.perf_counter() - started) / count)
    return [1 / seconds for seconds in best]


# The report -------------------------------------------------------------------------------------


# Danish, 3 classes -------------------------------------------------------------------------------


POLARITY = {"very_negative": -1, "negative": -1, "neutral": 0, "positive": 1}
# Read from the published DDS in this run only: the forms that shipped DDS leaves out, kept.
valence._DANISH_READERS["dds+homographs"] = lambda: {
    form: value * DDS_TO_VADER for form, value in dds_forms(homographs=True).items()
}
WORD_LIST_VARIANTS = {"clvdesk (AFINN-da + DDS)": ("afinn", "dds"), "clvdesk, AFINN-da only": ("afinn",),
                      "clvdesk, AFINN-da + DDS with homographs' forms": ("afinn", "dds+homographs"),
                      "clvdesk, DDS only": ("dds",)}


class DanishRow(NamedTuple):
    system: str
    accuracy: float
    macro_f1: float
    negative_recall: float
    positive_recall: float
    covered: float  # share of sentences with at least one word the system's lexicon scores


def three_class(system: str, predicted: np.ndarray, truth: np.ndarray, covered: float) -> DanishRow:
    recalls, f1s = {}, []
    for polarity in (-1, 0, 1):
        precision, recall, f1 = precision_recall_f1(predicted == polarity, truth == polarity)
        recalls[polarity] = recall
        f1s.append(f1)
    return DanishRow(system, float(np.mean(predicted == truth)), float(np.mean(f1s)), recalls[-1], recalls[1], covered)


def _banded(scores: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.where(scores <= low, -1, np.where(scores >= high, 1, 0))


def macro_f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    return three_class("", predicted, truth, 0.0).macro_f1


def best_band(scores: np.ndarray, truth: np.ndarray, forced: np.ndarray | None = None) -> tuple[float, float, float]:
    """(macro-F1, negative at or below, positive at or above) that maximise macro-F1 on tuning data;
    of equals, the more accurate. `forced` marks texts the analyser calls negative whatever the score."""
    grid = np.unique(np.concatenate([scores, [0.0]]))
    forced = np.zeros(len(scores), dtype=bool) if forced is None else forced
    best = (-1.0, -1.0, 0.0, 0.0)
    for low in grid[grid < 0]:
        for high in grid[grid > 0]:
            predicted = np.where(forced, -1, _banded(scores, low, high))
            found = (macro_f1(predicted, truth), float(np.mean(predicted == truth)), float(low), float(high))
            best = max(best, found)
    return best[0], best[2], best[3]


def _unthresholded(texts: list[str], word_lists: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's score, and whether the analyser calls it negative whatever its score."""
    in_force = analyser.THRESHOLDS["da"]
    analyser.THRESHOLDS["da"] = (-1.0, math.inf)  # so that a negative label is one the score did not set
    try:
        results = [analyse(text, danish_word_lists=word_lists) for text in texts]
    finally:
        analyser.THRESHOLDS["da"] = in_force
    return np.array([result.score for result in results]), np.array([result.label != "neutral" for result in results])


def tuned_danish(word_lists: tuple[str, ...]) -> tuple[float, float, float]:
    """(macro-F1, negative at or below, positive at or above) on the tuning half, with these word lists."""
    texts, truth = danish(tuning=True)
    scores, forced = _unthresholded(texts, word_lists)
    return best_band(scores, truth, forced)


def danish_rows() -> tuple[list[DanishRow], list[str]]:
    """The Danish table's rows on the held-out half, and the baselines that could not be measured."""
    texts, truth = danish(tuning=False)
    rows = []
    for name, word_lists in WORD_LIST_VARIANTS.items():
        results = [analyse(text, danish_word_lists=word_lists) for text in texts]
        words = lexicon("da", word_lists).valences
        covered = float(np.mean([any(token in words for token in split_words(text.lower()).tokens) for text in texts]))
        rows.append(three_class(name, np.array([POLARITY[result.label] for result in results]), truth, covered))
    _, low, high = tuned_danish(("afinn",))
    scores, forced = _unthresholded(texts, ("afinn",))
    rows.append(three_class(f"clvdesk, AFINN-da only, re-tuned ({low:+.3f}, {high:+.3f})",
                            np.where(forced, -1, _banded(scores, low, high)), truth, rows[1].covered))
    missing = []
    try:
        from afinn import Afinn
    except ImportError:
        missing.append("AFINN-da (pip install afinn)")
    else:
        afinn = Afinn(language="da")
        scores = np.array([afinn.score(text) for text in texts])
        rows.append(three_class("AFINN-da (afinn, sign of the score)", np.sign(scores).astype(int), truth,
                                float(np.mean([bool(afinn.find_all(text)) for text in texts]))))
    try:
        from sentida import Sentida
    except ImportError:
        missing.append("Sentida (pip install sentida)")
    else:
        sentida = Sentida()
        def sentida_scores(chosen: list[str]) -> np.ndarray:
            return np.array([sentida.sentida(text, output="mean", normal=False) for text in chosen])
        tuning_texts, tuning_truth = danish(tuning=True)
        _, low, high = best_band(sentida_scores(tuning_texts), tuning_truth)
        scores = sentida_scores(texts)
        rows.append(three_class(f"Sentida (mean, neutral in ({low:+.2f}, {high:+.2f}))", _banded(scores, low, high),
                                truth, float(np.mean(scores != 0))))
    vader = Vader()
    rows.append(three_class("VADER (English lexicon)", np.array([vader.read(text).polarity for text in texts]), truth,
                            float(np.mean([vader.analyzer.polarity_scores(text)["compound"] != 0 for text in texts]))))
    return rows, missing


def print_danish(rows: list[DanishRow], missing: list[str], sentences: int) -> None:
    width = max(len(row.system) for row in rows)
    print(f"\nDanish, 3 classes (LCC sentences, odd numbers, n={sentences}; goals: accuracy ≥ 0.72, macro-F1 ≥ 0.60)")
    print(f"| {'System':<{width}} | Accuracy | Macro-F1 | Neg. recall | Pos. recall | Covered |")
    print(f"|{'-' * (width + 2)}|----------|----------|-------------|-------------|---------|")
    for row in rows:
        print(f"| {row.system:<{width}} | {row.accuracy:>8.3f} | {row.macro_f1:>8.3f} | {row.negative_recall:>11.3f}"
              f" | {row.positive_recall:>11.3f} | {row.covered:>7.3f} |")
    for name in missing:
        print(f"not installed, not measured: {name}")


def evaluate() -> list[tuple[str, str, float, float]]:
    """The table's rows: (measure, goal, clvdesk, VADER), all on held-out data."""
    vader, ours = Vader(), Clvdesk()
    texts, complaint = complaints(tuning=False)
    bank_texts, churn = banking77("test")
    dan_texts, valence = danish(tuning=False)
    figures = []
    for system in (ours, vader):
        readings = [system.read(text) for text in texts]
        bank = np.array([system.read(text).churn for text in bank_texts])
        precision, recall, _ = precision_recall_f1(bank, churn)
        figures.append(
            (
                roc_auc([-reading.score for reading in readings], complaint),
                precision_recall_f1(np.array([reading.polarity < 0 for reading in readings]), complaint == 1)[2],
                precision,
                recall,
                float(np.mean([system.read(text).polarity == truth for text, truth in zip(dan_texts, valence)])),
            )
        )
    corpus = texts + bank_texts + dan_texts
    figures.append(tuple(throughput([analyse, vader.analyzer.polarity_scores], corpus)))
    (auc, f1, precision, recall, danish_accuracy), (v_auc, v_f1, v_precision, v_recall, v_danish), speeds = figures
    return [
        (f"Complaint ROC-AUC (odd lines, n={len(texts)})", "≥ 0.80", auc, v_auc),
        ("Complaint F1 (negative label = complaint)", "", f1, v_f1),
        (f"Churn precision (Banking77 test, n={len(bank_texts)})", "≥ 0.95", precision, v_precision),
        ("Churn recall", "≥ 0.85", recall, v_recall),
        (f"Danish valence accuracy, 3 classes (odd, n={len(dan_texts)})", "", danish_accuracy, v_danish),
        (f"Texts per second, one core ({len(corpus)} texts)", "≥ 5000", *speeds),
    ]


def print_table(rows: list[tuple[str, str, float, float]]) -> None:
    width = max(len(row[0]) for row in rows)
    print(f"| {'Measure':<{width}} | Goal   | clvdesk | VADER  |")
    print(f"|{'-' * (width + 2)}|--------|---------|--------|")
    for measure, goal, ours, vader in rows:
        shown = (f"{ours:,.0f}", f"{vader:,.0f}") if ours > 1 else (f"{ours:.3f}", f"{vader:.3f}")
        print(f"| {measure:<{width}} | {goal:<6} | {shown[0]:>7} | {shown[1]:>6} |")
    print(f"\nThroughput, clvdesk against VADER in this run: {rows[-1][2] / rows[-1][3]:.2f}×")


def tune() -> None:
    """Print the label thresholds that the tuning data supports, for THRESHOLDS in analyser.py."""
    texts, truth = complaints(tuning=True)
    scores = np.array([analyse(text).score for text in texts])
    cuts = np.unique(scores)
    f1 = [precision_recall_f1(scores <= cut, truth.astype(bool))[2] for cut in cuts]
    negative = float(cuts[int(np.argmax(f1))])
    positive = float(np.quantile(scores[truth == 1], 1 - POSITIVE_COMPLAINT_SHARE))
    print(f"en: negative at or below {negative:+.4f} (complaint F1 {max(f1):.3f} on even lines, n={len(texts)})")
    print(f"en: positive at or above {positive:+.4f} ({POSITIVE_COMPLAINT_SHARE:.0%} of tuning complaints above)")

    best, low, high = tuned_danish(DANISH_WORD_LISTS)
    print(f"da: negative at or below {low:+.4f}, positive at or above {high:+.4f}"
          f" (macro-F1 {best:.3f} on even numbers, n={len(danish(tuning=True)[0])})")
    print(f"now in analyser.THRESHOLDS: {THRESHOLDS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="calibrate thresholds on the tuning halves")
    parser.add_argument("--build-dds", action="store_true", help="write clvdesk's word list derived from DDS")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if args.build_dds:
        build_dds()
    elif args.tune:
        tune()
    else:
        print_table(evaluate())
        rows, missing = danish_rows()
        print_danish(rows, missing, len(danish(tuning=False)[0]))


if __name__ == "__main__":
    main()
