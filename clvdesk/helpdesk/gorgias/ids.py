"""Gorgias's record ids (tickets, messages, customers, users): positive integers, sent as digits."""

from __future__ import annotations

import re

from clvdesk.defaults import MAX_ID

_DIGITS = re.compile(r"[1-9][0-9]{0,18}")


def gorgias_id(value: object) -> str:
    """The id as digits; ValueError for anything that names no record ("0", "-1", "8651abc", 2**63), which
    would fail on every retry or, in a path, reach another endpoint."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(text, str) and _DIGITS.fullmatch(text) and int(text) <= MAX_ID):
        shown = text[:30] if isinstance(text, str) else type(value).__name__
        raise ValueError(f"must be a Gorgias id, a whole number from 1 to {MAX_ID}, got {shown!r}")
    return text
