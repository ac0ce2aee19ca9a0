"""clvdesk's words in each language it writes: one file per language in clvdesk/locales/, read here for
the note, the reasons, the labels and the reply, and shipped to the sidebar apps as their locale files.

Adding a language is adding one file, `clvdesk/locales/<code>.json`, with every key English has
(tests/test_locales.py fails on a missing one). Texts with fields are templates, filled by
clvdesk.wording; numbers, money and dates are written by clvdesk.money from the file's "format".
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "en"
LOCALES_DIR = "locales"


@lru_cache(maxsize=None)
def languages() -> tuple[str, ...]:
    """The languages clvdesk writes: one per file in clvdesk/locales/."""
    folder = resources.files("clvdesk").joinpath(LOCALES_DIR)
    return tuple(sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json")))


def language_of(locale: str | None) -> str:
    """The language clvdesk writes for a helpdesk's locale ("da", "en-US", "pt_BR"): its language, if
    clvdesk has a file for it, else English."""
    code = (locale or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in languages() else DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def strings(language: str) -> dict[str, Any]:
    """The whole language file of `language` (one clvdesk writes: see `languages`)."""
    if language not in languages():
        raise ValueError(f"clvdesk has no language file for {language!r} (it has: {', '.join(languages())})")
    text = resources.files("clvdesk").joinpath(f"{LOCALES_DIR}/{language}.json").read_text(encoding="utf-8")
    return json.loads(text)


def lookup(language: str, key: str) -> Any:
    """The entry at the dotted `key` ("note.why", "signals") in `language`'s file."""
    node: Any = strings(language)
    for part in key.split("."):
        node = node[part]
    return node


def label(language: str, group: str, name: str, fallback: str | None = None) -> str:
    """The name of `name` in `group` (signals, categories, instruments, segments …), or `fallback`
    (else `name`) for one the file does not name."""
    return strings(language).get(group, {}).get(name, fallback or name)


def english(group: str) -> dict[str, str]:
    """The English names of a group: the labels the API, the admin page and the rules' checks use."""
    return dict(strings(DEFAULT_LANGUAGE)[group])


def tier_label(language: str, tier: str, label_in_rules: str) -> str:
    """A tier's name in `language`: the language file's for a tier of the shipped rules still called as
    shipped; a label an admin wrote is theirs and shown as they wrote it."""
    if english("tiers").get(tier) != label_in_rules:
        return label_in_rules
    return label(language, "tiers", tier, label_in_rules)
