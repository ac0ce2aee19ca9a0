"""Find the phrases that show each signal and complaint category, in the ticket's language.

Trying some 470 phrase patterns at every word would cost more than the rest of the analysis put
together, and one alternation of them all is slower still: the regex engine tries every branch in
turn. So each pattern is filed under the keys its matches can begin with (`phrase_keys`: "why",
"no rep", "card is"), and one expression per language finds the words that begin a key, following
their characters through a tree of the keys. Only there does Python try the phrases filed under
the key, in one pattern with a group for each signal or category. Customers often leave out
apostrophes ("cant", "dont", "im"), so every apostrophe in a pattern is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from clvdesk.analysis import cues_da, cues_en
from clvdesk.analysis.phrase_keys import Unindexable, is_word_char, phrase_keys

NEGATION_WINDOW_CHARS = 40  # how far back to look for a negation that cancels a phrase ("not really broken")
_TABLES = {"en": cues_en, "da": cues_da}
# A negation, up to two filler words and then the phrase. find_cues puts a space before the text,
# so "something that is not a word" also stands for the text's start; a pattern that begins with a
# class of characters lets the engine pass over the letters inside words.
_NEGATED = {
    "en": re.compile(
        r"[^\w'](?:not|no|never|without|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|aren'?t|weren'?t|won'?t"
        r"|wouldn'?t|haven'?t|hasn'?t)(?:\s+(?:a|an|the|any|really|very|so|too|that|need|want|be|been|at|all|even|feel"
        r"|undue|unreasonable|further|much"
        r"|seem|looks?)){0,2}\s*$"
    ),
    "da": re.compile(
        r"\W(?:ikke|ingen|intet|aldrig|uden)(?:\s+(?:en|et|den|det|nogen|noget|helt|så|særlig|rigtig"
        r"|længere|behov for)){0,2}\s*$"
    ),
}
_PHRASE_END = r"(?![\w'])"  # a phrase ends where a word does


@dataclass(frozen=True)
class KeyPhrases:
    """The phrases that can begin at a key, in one pattern with a group per signal or category."""

    names: tuple[str, ...]
    pattern: re.Pattern[str]


class CueIndex:
    """One language's phrase patterns, by the keys their matches begin with."""

    def __init__(self, table: dict[str, list[str]]):
        by_key: dict[str, list[tuple[int, str, str]]] = {}  # key → (place in the table, name, pattern)
        whole: dict[str, bool] = {}  # whether the text's word must end where the key does
        place = 0
        for name, alternatives in table.items():
            for alternative in alternatives:
                alternative = alternative.replace("'", "'?")
                try:
                    keys = phrase_keys(alternative)
                except Unindexable:
                    raise ValueError(f"cue {name!r}: {alternative!r} does not begin with fixed characters") from None
                for key in keys:
                    by_key.setdefault(key.text, []).append((place, name, alternative))
                    whole[key.text] = whole.get(key.text, True) and key.whole
                place += 1
        # The text shows the longest key that fits it, so a key also holds the phrases of the
        # shorter keys that fit wherever it does ("no" where "no rep" fits, "car" where "card is").
        self.phrases = _PhrasesByKey(
            {key: [phrase for shorter in _fitting_with(key, whole) for phrase in by_key[shorter]] for key in by_key}
        )
        # Matches the character before a word (find_cues puts a space before the text) and looks
        # ahead for a key: a pattern that begins with a class of characters lets the engine pass
        # over the letters inside words without trying to match there. It does not consume the key,
        # which may run on into the next word, and that word may begin a key of its own.
        self.keys = re.compile(rf"[^\w'](?=({_key_tree(whole, sorted(whole))}))")


def _fitting_with(key: str, whole: dict[str, bool]) -> list[str]:
    """The key and the shorter keys that fit every text it fits: its beginnings that are keys, but a
    whole word ("no") only where the key's word ends there too ("no rep", not "none")."""
    return [
        key[:length]
        for length in range(1, len(key) + 1)
        if key[:length] in whole and (length == len(key) or not whole[key[:length]] or not is_word_char(key[length]))
    ]


class _PhrasesByKey(dict[str, KeyPhrases]):
    """Each key's phrases, compiled the first time a ticket shows the key: most keys are rare."""

    def __init__(self, filed: dict[str, list[tuple[int, str, str]]]):
        super().__init__()
        self.filed = filed

    def __missing__(self, key: str) -> KeyPhrases:
        self[key] = _key_phrases(self.filed[key])
        return self[key]


def _key_phrases(phrases: list[tuple[int, str, str]]) -> KeyPhrases:
    """One pattern for a key's phrases: it fails unless one matches, and holds each name's first match."""
    by_name: dict[str, list[str]] = {}
    for _, name, alternative in sorted(set(phrases)):  # in table order: the first that matches is the evidence
        by_name.setdefault(name, []).append(alternative)
    if len(by_name) == 1:  # the one group fails where no phrase matches
        (alternatives,) = by_name.values()
        return KeyPhrases(names=tuple(by_name), pattern=re.compile(f"({'|'.join(alternatives)}){_PHRASE_END}"))
    any_phrase = f"(?=(?:{'|'.join(alt for alts in by_name.values() for alt in alts)}){_PHRASE_END})"
    each = "".join(f"(?=({'|'.join(alts)}){_PHRASE_END}|)" for alts in by_name.values())
    return KeyPhrases(names=tuple(by_name), pattern=re.compile(any_phrase + each))


def _key_tree(whole: dict[str, bool], keys: list[str], depth: int = 0) -> str:
    """`keys`, which share their first `depth` characters, as a tree of their next characters (the
    engine passes over a branch whose character does not match at once); longer keys first, as the
    text shows the longest that fits."""
    by_next: dict[str, list[str]] = {}
    for key in keys:
        if len(key) > depth:
            by_next.setdefault(key[depth], []).append(key)
    branches = [re.escape(char) + _key_tree(whole, longer, depth + 1) for char, longer in sorted(by_next.items())]
    if len(keys[0]) == depth:  # the shortest sorts first
        branches.append(r"(?!\w)" if whole[keys[0]] else "")
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


@lru_cache(maxsize=None)
def cue_index(language: str) -> CueIndex:
    table = _TABLES[language]
    return CueIndex({**table.SIGNALS, **table.CATEGORIES, **table.PRAISE})


def find_cues(text: str, language: str, as_written: str | None = None) -> dict[str, list[str]]:
    """For each signal or category that the lower-case `text` shows, its distinct phrases in order of
    appearance; quoted from `as_written` (the same text with the customer's capitals) when given, as an
    agent reads the customer's words as they wrote them."""
    index = cue_index(language)
    text = " " + text  # the first word is preceded by something that is not a word, like every other
    # Lower-casing keeps every position unless a letter becomes two ("İ"): then the lower case is quoted.
    quoted = " " + as_written if as_written is not None and len(as_written) == len(text) - 1 else text
    seen: dict[str, set[str]] = {}
    found: dict[str, list[str]] = {}
    for key in index.keys.finditer(text):
        phrases = index.phrases[key.group(1)]
        start = key.end()
        matched = phrases.pattern.match(text, start)
        if matched is None or _NEGATED[language].search(text, max(0, start - NEGATION_WINDOW_CHARS), start):
            continue
        for group, (name, phrase) in enumerate(zip(phrases.names, matched.groups()), start=1):
            if phrase:
                phrase = " ".join(phrase.split())
                if phrase not in seen.setdefault(name, set()):
                    seen[name].add(phrase)
                    found.setdefault(name, []).append(" ".join(quoted[slice(*matched.span(group))].split()))
    return found
