"""The note as Help Scout shows it: its `text` is HTML, so clvdesk's note goes in as escaped paragraphs.

Made from the one note clvdesk writes (clvdesk.note.render_note), line for line: blank lines part
paragraphs, "- " lines become a list, and every character of it is escaped, so nothing a customer
wrote can become markup. The reference keeps its plain spelling (its characters need no escaping),
which is what has_note looks for in a thread's body.
"""

from __future__ import annotations

from html import escape

from clvdesk.note import render_note
from clvdesk.suggestions import Suggestion

_ITEM = "- "


def _paragraph(lines: list[str]) -> str:
    """Runs of "- " lines as a list, other runs as a paragraph with line breaks."""
    html, run, listing = [], [], None
    for line in [*lines, None]:
        is_item = line is not None and line.startswith(_ITEM)
        if run and (line is None or is_item != listing):
            if listing:
                html.append("<ul>" + "".join(f"<li>{escape(item.removeprefix(_ITEM))}</li>" for item in run) + "</ul>")
            else:
                html.append("<p>" + "<br>".join(escape(text) for text in run) + "</p>")
            run = []
        if line is not None:
            run.append(line)
            listing = is_item
    return "".join(html)


def html_note(text: str) -> str:
    """A plain-text note as HTML paragraphs and lists."""
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "".join(_paragraph(lines) for lines in paragraphs if lines)


def render_html_note(suggestion: Suggestion) -> str:
    return html_note(render_note(suggestion))
