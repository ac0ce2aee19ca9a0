"""The text a customer wrote, out of the HTML a helpdesk renders it in, for the analysis to read.

Block elements end lines, entities are decoded, scripts and styles are dropped. For a reply, the quoted
thread an e-mail client appends (a <blockquote>, or a "----- Original message -----" line) is cut, so
the analysis reads what the customer wrote this time, not what support wrote before.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p "
    "pre section table tbody td tfoot th thead tr ul".split()
)
HIDDEN_TAGS = frozenset(("script", "style", "head", "title", "template"))
ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.IGNORECASE | re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


class _Text(HTMLParser):
    def __init__(self, stop_at_quote: bool):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._stop_at_quote = stop_at_quote
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        if self.stopped:
            return
        if tag == "blockquote" and self._stop_at_quote:
            self.stopped = True
        elif tag in HIDDEN_TAGS:
            self._hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS and self._hidden:
            self._hidden -= 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not (self.stopped or self._hidden):
            self.parts.append(data)


def html_to_text(html: str, *, reply: bool = False) -> str:
    """Plain text, one line per block, blank lines folded; with `reply`, the quoted thread cut off."""
    parser = _Text(stop_at_quote=reply)
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    if reply:
        text = ORIGINAL_MESSAGE.split(text, maxsplit=1)[0]
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
