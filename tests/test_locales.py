"""Every language file holds every text English has, each template the same fields, and the labels the
Python side and the sidebar show come from these files (one file per language: clvdesk/locales/)."""

from __future__ import annotations

import json
import string
from datetime import date

import pytest

from clvdesk import i18n
from clvdesk.analysis.model import CATEGORY_LABELS, LABELS, SIGNAL_LABELS
from clvdesk.clv.segments import SEGMENT_LABELS, SEGMENTS
from clvdesk.money import format_date, format_money
from clvdesk.rules import INSTRUMENT_LABELS, load_rules


def flat(tree: dict, prefix: str = "") -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def fields(text: object) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name} if isinstance(text, str) else set()


def missing_keys(language: str) -> list[str]:
    theirs = flat(i18n.strings(language))
    return sorted(set(flat(i18n.strings("en"))) - set(theirs))


def test_english_and_danish_are_there_and_complete():
    assert {"en", "da"} <= set(i18n.languages())
    for language in i18n.languages():
        assert missing_keys(language) == [], f"{language}.json lacks these keys"


@pytest.mark.parametrize("language", i18n.languages())
def test_every_template_has_the_fields_english_has(language):
    english, theirs = flat(i18n.strings("en")), flat(i18n.strings(language))
    differ = [key for key in english if key in theirs and fields(english[key]) != fields(theirs[key])]
    assert differ == []
    assert len(theirs["format.months"]) == 12


def test_a_file_without_a_key_fails_the_check(tmp_path, monkeypatch):
    """What the check above does with a new language file that forgot a key: names it."""
    danish = json.loads((i18n.resources.files("clvdesk") / "locales" / "da.json").read_text(encoding="utf-8"))
    del danish["reasons"]["approval"]
    del danish["segments"]["champions"]
    monkeypatch.setattr(i18n, "strings", lambda language: danish if language == "xx" else ENGLISH)
    assert missing_keys("xx") == ["reasons.approval", "segments.champions"]


ENGLISH = i18n.strings("en")


def test_the_python_labels_are_the_english_files():
    assert SEGMENT_LABELS == ENGLISH["segments"] and list(SEGMENT_LABELS) == list(SEGMENTS)
    assert SEGMENT_LABELS["cant_lose_them"] == "Can't lose them"
    assert INSTRUMENT_LABELS == ENGLISH["instruments"]
    assert SIGNAL_LABELS == ENGLISH["signals"] and CATEGORY_LABELS == ENGLISH["categories"]
    assert LABELS == {name: ENGLISH["sentiment"][name] for name in ("very_negative", "negative", "neutral", "positive")}
    # the shipped tiers are translated only while they keep their shipped names
    assert {tier.name: tier.label for tier in load_rules().tiers} == ENGLISH["tiers"]
    assert i18n.tier_label("da", "champions", "Champions") == "Mestre"
    assert i18n.tier_label("da", "champions", "VIP") == "VIP"


def test_a_helpdesk_locale_names_the_language_written():
    assert [i18n.language_of(code) for code in ("da", "da-DK", "EN_us", "fr", "", None, "../en")] == [
        "da", "da", "en", "en", "en", "en", "en"]


@pytest.mark.parametrize(("language", "amount", "currency", "written"), [
    ("da", 38.2, "DKK", "38,20\u00a0kr."),
    ("da", 1240.5, "USD", "1.240,50\u00a0US$"),
    ("da", -1234567.891, "DKK", "-1.234.567,89\u00a0kr."),
    ("en", 38.2, "USD", "$38.20"),
    ("en", 1240, "EUR", "€1,240.00"),
    ("en", 75, "DKK", "DKK 75.00"),
    ("en", -5, "USD", "-$5.00"),
    ("en", -0.001, "USD", "$0.00"),
])
def test_money_is_written_as_the_language_writes_it(language, amount, currency, written):
    assert format_money(amount, currency, language) == written


def test_dates_are_written_as_the_language_writes_them():
    assert format_date(date(2026, 12, 3), "da") == "3. dec. 2026"
    assert format_date(date(2026, 5, 3), "da") == "3. maj 2026"
    assert format_date(date(2026, 12, 3), "en") == "Dec 3, 2026"
