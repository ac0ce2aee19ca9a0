"""How positive or negative the customer's words are, from a valence lexicon and a little grammar.

English words take their valence from VADER's lexicon (Hutto & Gilbert 2014, MIT licence), read
from the vaderSentiment package; Danish words from AFINN-da (Nielsen 2011, ODbL 1.0), which ships in
data/ beside this module with its licence and notice. The grammar follows VADER's published rules,
with their constants: a booster or capitals strengthen a word, a negation in the three words before
flips and weakens it, and after a contrast word ("but", "men") the words weigh more than before it.

Support text differs from the reviews and tweets these lexicons were made for: customers write
"please", "help" and "I would like" in requests, and "thanks" in complaints. Such words are
neutral here, and thanks count only in a message with nothing negative in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import compress

from clvdesk.analysis.text import Words

# VADER's constants (Hutto & Gilbert 2014, and vaderSentiment 3.3.2)
BOOSTER_STEP = 0.293  # a booster ("very") or a dampener ("slightly") moves a word's valence by this
CAPS_STEP = 0.733  # a word in capitals among lower-case words
NEGATION_SCALE = -0.74  # a negated word keeps this share of its valence, with the sign turned
NEGATION_WINDOW = 3  # words before a valenced word that may negate it
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5  # weights of words before and after "but"
EXCLAMATION_STEP, EXCLAMATION_MAX = 0.292, 4  # each "!" (up to four) adds this in the text's direction
NORMALISATION_ALPHA = 15  # score = sum / sqrt(sum² + alpha): about the most a short message reaches
AFINN_TO_VADER = 0.8  # AFINN rates -5..5, VADER -4..4

AFINN_DANISH = "data/AFINN-da-32.txt"  # beside this module, with the ODbL text and notice
DDS_DANISH = "data/DDS-forms.txt"  # every word form of DDS, derived by bench/analysis_eval.py --build-dds
# The Danish word lists read, in order: a word in an earlier list keeps its valence there. AFINN-da
# was made for social-media text and rates its 3,552 words by strength; DDS adds the 85,000 word
# forms of 14,000 dictionary headwords ("leveringstid" has none, "fremragende" both).
DANISH_WORD_LISTS = ("afinn", "dds")
DDS_TO_VADER = AFINN_TO_VADER  # DDS rates -5..5 too


@dataclass(frozen=True)
class Grammar:
    negators: frozenset[str]
    boosters: frozenset[str]
    dampeners: frozenset[str]
    contrast: frozenset[str]
    politeness: frozenset[str]  # counts only in a message with nothing negative in it
    neutral: frozenset[str]  # a request or a greeting in support text, not a feeling
    # "never" before "so" or "such" strengthens rather than negates: "aldrig oplevet så dårlig en behandling"
    never: frozenset[str]
    degree: frozenset[str]


def _words(text: str) -> frozenset[str]:
    """The words in `text`, each also without its apostrophe: customers write "dont" and "cant"."""
    return frozenset(form for word in text.split() for form in (word, word.replace("'", "")))


GRAMMARS = {
    "en": Grammar(
        negators=_words(
            "not no never none nobody nothing neither nor without isn't aren't wasn't weren't don't doesn't "
            "didn't can't cannot couldn't won't wouldn't shouldn't haven't hasn't hadn't ain't nope barely hardly"
        ),
        boosters=_words(
            "very really so extremely totally completely absolutely incredibly super utterly truly highly "
            "seriously especially quite most more deeply entirely fully hugely insanely majorly particularly"
        ),
        dampeners=_words("slightly somewhat barely hardly kinda sorta partly marginally occasionally little"),
        contrast=_words("but however although though yet"),
        politeness=_words("thanks thank thx ty appreciate appreciated cheers grateful"),
        neutral=_words(
            "please pls plz kindly help like likes care support hope hoping wish patient patiently sure ok okay "
            "yes yeah yep want wanted credit free resolve solve fix promise promised chance reach interest matter "
            "save share trust kind true top play fan joke honestly god lol haha welcome no pretty well "
            "certain certainly fine"
        ),
        never=_words("never"),
        degree=_words("so such"),
    ),
    "da": Grammar(
        negators=_words("ikke ingen intet aldrig hverken uden ej"),
        boosters=_words(
            "meget virkelig helt totalt utrolig utroligt enormt super ekstremt særdeles vildt dybt rigtig rigtigt "
            "mega pisse sindssygt"
        ),
        dampeners=_words("lidt noget ret delvist"),
        contrast=_words("men dog selvom"),
        politeness=_words("tak takker taknemmelig"),
        neutral=_words("venligst hjælp hjælpe håber håbe ønsker gerne ok okay ja"),
        never=_words("aldrig"),
        degree=_words("så sådan"),
    ),
}


def _read_vader() -> dict[str, float]:
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    return {line.split("\t")[0]: float(line.split("\t")[1]) for line in text.splitlines() if "\t" in line}


def _read_scored_words(path: str, scale: float) -> dict[str, float]:
    """A word list beside this module, one "word<TAB>value" a line, on VADER's scale."""
    lines = resources.files(__package__).joinpath(path).read_text(encoding="utf-8").splitlines()
    return {word: int(value) * scale for word, value in (line.rsplit("\t", 1) for line in lines if line)}


_DANISH_READERS = {
    "afinn": lambda: _read_scored_words(AFINN_DANISH, AFINN_TO_VADER),
    "dds": lambda: _read_scored_words(DDS_DANISH, DDS_TO_VADER),
}


def _read_danish(word_lists: tuple[str, ...]) -> dict[str, float]:
    valences: dict[str, float] = {}
    for name in reversed(word_lists):  # the first list's words overwrite the later lists'
        valences.update(_DANISH_READERS[name]())
    return valences


@dataclass(frozen=True)
class Lexicon:
    valences: dict[str, float]  # word or two-word phrase → valence on VADER's -4..4 scale
    phrase_starts: frozenset[str]  # first words of the two-word entries ("ikke god")
    grammar: Grammar


@lru_cache(maxsize=None)
def lexicon(language: str, danish_word_lists: tuple[str, ...] = DANISH_WORD_LISTS) -> Lexicon:
    """The language's lexicon, support-text neutral words removed, and its grammar."""
    valences = _read_vader() if language == "en" else _read_danish(danish_word_lists)
    grammar = GRAMMARS[language]
    for word in grammar.neutral:
        valences.pop(word, None)
    phrase_starts = frozenset(entry.split(" ")[0] for entry in valences if " " in entry)
    return Lexicon(valences=valences, phrase_starts=phrase_starts, grammar=grammar)


def _join_phrases(values: list[float | None], tokens: list[str], lexicon_: Lexicon) -> None:
    """Give a two-word entry ("ikke god") its valence on its first word, and none to its second."""
    index = 0
    while index < len(tokens) - 1:
        value = None
        if tokens[index] in lexicon_.phrase_starts:
            value = lexicon_.valences.get(f"{tokens[index]} {tokens[index + 1]}")
        if value is not None:
            values[index : index + 2] = value, None
            index += 1
        index += 1


def _shouted(written: list[str], index: int) -> bool:
    """Whether a word is in capitals in a text that is not all capitals (words of two letters or more)."""
    word = written[index]
    return (
        word.isupper()
        and len(word) > 1
        and word.isalpha()
        and any(len(other) > 1 and other.isalpha() and not other.isupper() for other in written)
    )


def word_valence(
    words: Words, language: str, danish_word_lists: tuple[str, ...] = DANISH_WORD_LISTS
) -> tuple[float, float]:
    """The summed valence of the words, and apart from it what thanks and the like add."""
    lexicon_ = lexicon(language, danish_word_lists)
    grammar, tokens = lexicon_.grammar, words.tokens
    values = list(map(lexicon_.valences.get, tokens))
    if not lexicon_.phrase_starts.isdisjoint(tokens):
        _join_phrases(values, tokens, lexicon_)
    if not any(values):
        return 0.0, 0.0
    contrast_at = -1
    if not grammar.contrast.isdisjoint(tokens):
        contrast_at = max(index for index, token in enumerate(tokens) if token in grammar.contrast)
    feeling = politeness = 0.0
    for index in compress(range(len(tokens)), values):  # only the valenced words
        if tokens[index] in grammar.boosters and index + 1 < len(tokens) and values[index + 1]:
            continue  # "rigtig dårlig", "super good": the booster strengthens the next word, it is no feeling itself
        value = values[index]
        sign = math.copysign(1.0, value)
        if _shouted(words.written, index):
            value += sign * CAPS_STEP
        before = tokens[index - 1] if index else ""
        if before in grammar.boosters:
            value += sign * BOOSTER_STEP
        elif before in grammar.dampeners:
            value -= sign * BOOSTER_STEP
        window = tokens[max(0, index - NEGATION_WINDOW) : index]
        if not grammar.negators.isdisjoint(window) and not _never_so(window, grammar):
            value *= NEGATION_SCALE
        if contrast_at >= 0:
            value *= CONTRAST_AFTER if index > contrast_at else CONTRAST_BEFORE
        if tokens[index] in grammar.politeness:
            politeness += value
        else:
            feeling += value
    return feeling, politeness


def _never_so(window: list[str], grammar: Grammar) -> bool:
    return not grammar.never.isdisjoint(window) and not grammar.degree.isdisjoint(window)


def normalise(total: float, exclamations: int) -> float:
    """A sum of valences as a score in [-1, 1], exclamation marks strengthening it, as VADER does."""
    if total:
        total += math.copysign(min(exclamations, EXCLAMATION_MAX) * EXCLAMATION_STEP, total)
    return total / math.sqrt(total * total + NORMALISATION_ALPHA)
