"""Which keys a phrase pattern's matches can begin with, read from the pattern's own text.

The cue finder tries a phrase only where the text begins with one of its keys. A key is the
phrase's first word, up to FIRST_WORD_CHARS characters, and where that word is whole, the
character after it and up to SECOND_WORD_CHARS of the next word ("card is", "no rep"); a number
is a key by its first digit alone, 0 to 9 (numbers vary, the words after them do not). The longer
the key, the fewer the words of a ticket that could begin the phrase. This reads the part of
regular-expression syntax the cue tables use: literals and escapes, character classes, groups with
alternatives, look-arounds (skipped: they match no characters) and the quantifiers ? * + {m,n}.
A pattern whose first MIN_KEY_CHARS characters could be anything (\\w, ".") is refused.
"""

from __future__ import annotations

import re
from typing import NamedTuple

FIRST_WORD_CHARS = 12
SECOND_WORD_CHARS = 3
MIN_KEY_CHARS = 3  # a stem ("crap\w*") needs at least this many fixed characters
LONGEST_KEY = FIRST_WORD_CHARS + 1 + SECOND_WORD_CHARS
ANY = None  # an atom that may match any character: no key can be read through it
_GROUP = re.compile(r"\((?!\?)|\(\?(?::|=|!|<=|<!)")  # "(", "(?:" and the look-arounds
_CLASS = re.compile(r"\[(\^?)(\]?(?:\\.|[^\]\\])*)\]")
_QUANTIFIER = re.compile(r"(?:([?*+])|\{(\d*)(,?)(\d*)\})[?+]?")
_CLASS_ESCAPE = re.compile(r"\\(.)|(.)-(.)|(.)", re.S)
_NOT_WORD = " "  # stands for a class of characters that are never word characters (\s, \W)
_ESCAPES = {"d": "0123456789", "s": _NOT_WORD, "W": _NOT_WORD, "n": _NOT_WORD, "t": _NOT_WORD, "r": _NOT_WORD}
_ZERO_WIDTH = frozenset("bBAZ")

Atom = str | list | None  # the characters it may match, alternative sequences of items, or ANY
Item = tuple[Atom, int, int]  # an atom with its fewest and most repetitions (capped at LONGEST_KEY)


class Key(NamedTuple):
    text: str
    whole: bool  # the key's last word ends with it: "no" does not begin "none"


def is_word_char(char: str) -> bool:
    """What the regex engine's \\w matches in text: a letter, a digit or "_"."""
    return char.isalnum() or char == "_"


class Unindexable(ValueError):
    """A key of the pattern could hold any character."""


def phrase_keys(pattern: str) -> set[Key]:
    """Every key a match of `pattern`, tried at the start of a word, can begin with."""
    branches, end = _parse(pattern, 0)
    if end != len(pattern):
        raise ValueError(f"unbalanced parenthesis at {end} in {pattern!r}")
    return _keys([(branches, 1, 1)], "", -1)


def _parse(pattern: str, at: int) -> tuple[list[list[Item]], int]:
    """The alternatives from `at` to the group's closing parenthesis (or the end), and where they stop."""
    branches: list[list[Item]] = [[]]
    while at < len(pattern) and pattern[at] != ")":
        char = pattern[at]
        atom: Atom
        if char == "|":
            branches.append([])
            at += 1
            continue
        if char == "(":
            group = _GROUP.match(pattern, at)
            if group is None:
                raise ValueError(f"unsupported group at {at} in {pattern!r}")
            inner, at = _parse(pattern, group.end())
            atom = inner if group.group() in ("(", "(?:") else ""  # a look-around matches no characters
            at += 1
        elif char == "[":
            found = _CLASS.match(pattern, at)
            atom = ANY if found[1] else _class(found[2])
            at = found.end()
        elif char == "\\":
            escaped = pattern[at + 1]
            atom = "" if escaped in _ZERO_WIDTH else _escape(escaped)
            at += 2
        else:
            atom = "" if char in "^$" else ANY if char == "." else char
            at += 1
        low, high, at = _repetitions(pattern, at)
        if atom != "":  # zero-width: anchors, word boundaries, look-arounds
            branches[-1].append((atom, low, high))
    return branches, at


def _escape(char: str) -> Atom:
    """What an escaped character matches: a class for \\d and \\s, ANY for other letters, else itself."""
    return _ESCAPES.get(char, ANY if char.isalnum() else char)


def _class(members: str) -> Atom:
    """The characters of a class such as "sz", "- " or "a-c" (between its brackets)."""
    chars = ""
    for escaped, first, last, single in _CLASS_ESCAPE.findall(members):
        if escaped:
            atom = _escape(escaped)
        elif first:
            atom = "".join(map(chr, range(ord(first), ord(last) + 1)))
        else:
            atom = single
        if atom is ANY:
            return ANY
        chars += atom
    return chars


def _repetitions(pattern: str, at: int) -> tuple[int, int, int]:
    """The quantifier at `at`, if any, as (fewest, most) repetitions, and where it ends."""
    found = _QUANTIFIER.match(pattern, at)
    if found is None:
        return 1, 1, at
    symbol, low, comma, high = found.groups()
    if symbol:
        low, high = {"?": (0, 1), "*": (0, LONGEST_KEY), "+": (1, LONGEST_KEY)}[symbol]
    else:
        low = int(low or 0)
        high = (int(high) if high else LONGEST_KEY) if comma else low
    return min(low, LONGEST_KEY), min(high, LONGEST_KEY), found.end()


def _keys(items: list[Item], key: str, split: int) -> set[Key]:
    """The keys a match of `items` can begin with, when the key so far is `key` and its second word
    starts after `split` (-1 while the first word goes on)."""
    word = key[split + 1 :]
    if split < 0 and key[:1].isdigit() or split >= 0 and len(word) == SECOND_WORD_CHARS:
        return {Key(key, whole=False)}
    if not items:  # the phrase ends here
        return {_ended(key, split)} if key else set()
    (atom, low, high), rest = items[0], items[1:]
    found = _keys(rest, key, split) if low == 0 else set()
    if high == 0:
        return found
    again = [(atom, max(low - 1, 0), high - 1), *rest] if high > 1 else rest
    if isinstance(atom, list):
        for branch in atom:
            found |= _keys(branch + again, key, split)
        return found
    if atom is ANY:
        if split >= 0:
            return found | {Key(key[:split], whole=True)}  # the first word alone
        if len(key) < MIN_KEY_CHARS:
            raise Unindexable(f"a match may begin with any character after {key!r}")
        return found | {Key(key, whole=False)}
    for char in atom:
        if not is_word_char(char):  # a word ends
            if split < 0 and key:
                found |= _keys(again, key + char, len(key))  # on to the second word
            elif split >= 0:
                found.add(_ended(key, split))
        elif split < 0 and len(key) == FIRST_WORD_CHARS:
            found.add(Key(key, whole=False))  # the first word goes on past the key
        elif split >= 0 and not word and char.isdigit():
            found.add(Key(key[:split], whole=True))  # a number: the first word alone
        else:
            found |= _keys(again, key + char, split)
    return found


def _ended(key: str, split: int) -> Key:
    """The key where the phrase's words stop: the first word alone if the second has not begun."""
    return Key(key[:split] if 0 <= split == len(key) - 1 else key, whole=True)
