"""The one reader of JSON that comes from outside: webhook bodies, API bodies, the admin page's JSON.

`json.loads` alone lets a body decide how deep the C parser recurses (100,000 brackets raise
RecursionError), how long an integer it converts (past 4,300 digits, ValueError) and whether
numbers are finite (1e999 and NaN come back as inf and nan). Here each of those is refused with
its own error whose message names the limit, so every caller can answer a precise 400.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from clvdesk.defaults import MAX_JSON_DEPTH, MAX_JSON_INTEGER_DIGITS

# A string (closed, or running to the end of the text) or a bracket; strings are skipped whole, so
# brackets inside them do not count, and the pattern matches in one pass from any position.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


class JsonBodyError(ValueError):
    """The text cannot be accepted as JSON; the message says why."""


class MalformedJson(JsonBodyError):
    """Not JSON at all (or not UTF-8)."""


class JsonTooDeep(JsonBodyError):
    """Arrays and objects nested deeper than MAX_JSON_DEPTH."""


class NumberOutOfRange(JsonBodyError):
    """An integer longer than MAX_JSON_INTEGER_DIGITS, or a number that is not finite."""


def read_json(data: bytes | str) -> Any:
    """The decoded value of `data` (bytes in UTF-8, -16 or -32 as JSON allows), within clvdesk's bounds."""
    if isinstance(data, bytes):
        try:
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        except UnicodeDecodeError as exc:
            raise MalformedJson(f"not valid JSON: the bytes are not UTF-8 ({exc.reason} at byte {exc.start})") from None
    _check_depth(data)
    try:
        return _DECODER.decode(data)
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def _check_depth(text: str) -> None:
    """Without recursion: few brackets cannot nest deep; otherwise follow them outside strings."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for token in _TOKEN.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JsonTooDeep(f"the JSON nests arrays and objects more than {MAX_JSON_DEPTH} levels deep "
                                  f"(clvdesk's limit), at character {token.start()}")
        elif char in "]}":
            depth = max(depth - 1, 0)  # unbalanced closers are the parser's to report


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_JSON_INTEGER_DIGITS:
        raise NumberOutOfRange(f"a JSON integer has {digits} digits; clvdesk accepts at most {MAX_JSON_INTEGER_DIGITS}")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NumberOutOfRange(f"the JSON number {text[:20]}{'…' * (len(text) > 20)} is too large for a float")
    return value


def _constant(name: str) -> float:
    raise NumberOutOfRange(f"{name} is not a JSON number; send a finite number")


_DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_float, parse_constant=_constant)  # made once: 2 µs a call
