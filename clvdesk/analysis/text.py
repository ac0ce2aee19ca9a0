"""The customer's own words: quoted replies, signatures, @handles and links removed, then split into words.

Everything below a reply header ("On … wrote:", "Den … skrev …:", an Outlook "From:/Sent:" block)
is an earlier message, not this one; a signature says nothing about the ticket; @brand handles
and links carry sentiment in general-purpose lexicons ("@AmazonHelp", "…/happy-returns") that the
customer never meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SIGNATURE_MAX_LINES = 6  # a sign-off followed by more lines than this is part of the message, not a signature

_REPLY_HEADER = re.compile(
    r"^\s*(?:On\s.{0,300}\swrote:|Den\s.{0,300}\sskrev.{0,200}:|-{2,}\s*(?:Original Message|Forwarded message"
    r"|Oprindelig meddelelse|Videresendt meddelelse)\b.*|(?:From|Fra):.*\n\s*(?:Sent|Sendt|Date|Dato):)",
    re.I | re.M,
)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.M)
_SIGNATURE_START = re.compile(
    r"^\s*(?:--\s*|Sent from my\b.*|Sendt fra min\b.*|Get Outlook for\b.*"
    r"|(?:best|kind|warm|many thanks and)?\s*regards,?|best,|cheers,?|sincerely,?|yours sincerely,?"
    r"|(?:med\s+)?venlig(?:ste)?\s+hilsen,?|mvh\.?,?|de bedste hilsner,?|hilsen,?)\s*$",
    re.I | re.M,
)
# Links, e-mail addresses and @handles, as one alternation (the leftmost wins). The e-mail pattern,
# tried at every character, is the slowest part of cleaning a tweet, so it is left out where every
# "@" begins a word ("@AmazonHelp"): it cannot match there. "p(?<!\wp)ic" is "\bpic" with the
# letter first, which lets the engine pass over most characters at once.
_NOT_WORDS = r"https?://\S+|www\.\S+|{email}@\w+|p(?<!\wp)ic\.twitter\.com/\S+"
_NOT_WORDS_WITH_EMAIL = re.compile(_NOT_WORDS.format(email=r"\S+@\S+\.\w+|"))
_NOT_WORDS_BUT_EMAIL = re.compile(_NOT_WORDS.format(email=""))
_INNER_AT = re.compile(r"@(?<=\S@)")
# Words, emoticons, "!!!" and "??". The quantifiers are possessive ("++"): a token never needs to
# give characters back, and the engine finds the same tokens with less bookkeeping.
_TOKEN = r"{letter}++(?:'{letter}++)*+|[:;=][-']?[()\[\]dDpP/|]|!++|\?++"
_TOKEN_ANY = re.compile(_TOKEN.format(letter=r"[^\W\d_]"))
_TOKEN_ASCII = re.compile(_TOKEN.format(letter="[a-zA-Z]"))  # the same tokens in ASCII text, found faster


def clean_ticket_text(text: str) -> str:
    """The customer's words in this message only; other people's words and addresses become spaces."""
    text = text.replace("\r\n", "\n").replace("’", "'").replace("‘", "'")
    header = _REPLY_HEADER.search(text) if ":" in text or "--" in text else None  # every header has one
    if header:
        text = text[: header.start()]
    if ">" in text:
        text = _QUOTED_LINE.sub(" ", text)
    if "\n" in text:  # a signature starts on a line of its own, after the message
        for sign_off in _SIGNATURE_START.finditer(text):
            if text.count("\n", sign_off.end()) <= SIGNATURE_MAX_LINES and sign_off.start() > 0:
                text = text[: sign_off.start()]
                break
    if "@" in text or "/" in text or "www." in text:
        not_words = _NOT_WORDS_WITH_EMAIL if _INNER_AT.search(text) else _NOT_WORDS_BUT_EMAIL
        text = not_words.sub(" ", text)
    return text.strip()


@dataclass(slots=True)
class Words:
    """A cleaned text and its words: lower case to read them, as written for their capitals."""

    text: str  # cleaned, lower case: what the cue patterns read
    as_written: str  # cleaned, with the customer's capitals: what the note quotes
    tokens: list[str]  # words, emoticons, runs of "!" and "?", lower case
    written: list[str]  # the same tokens as written


def split_words(cleaned: str) -> Words:
    """The text in lower case and its tokens: found once as written, as lower-casing each costs less
    than finding them again."""
    written = (_TOKEN_ASCII if cleaned.isascii() else _TOKEN_ANY).findall(cleaned)
    return Words(text=cleaned.lower(), as_written=cleaned, tokens=list(map(str.lower, written)), written=written)
