"""A Gorgias internal note's two bodies, from the one text note clvdesk.note renders.

Gorgias keeps a message's `body_text` and `body_html` and shows the HTML in the agent's view. The HTML is
the text line by line, every line escaped (customer words, e-mail addresses and rule texts included), so
nothing in the note can become markup, and the ref line reads the same in both bodies.
"""

from __future__ import annotations

import html


def note_html(text: str) -> str:
    """Paragraphs where the text has blank lines, line breaks within them."""
    paragraphs = (part.split("\n") for part in text.split("\n\n"))
    return "".join("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>" for lines in paragraphs)
