"""The admin page's charts: horizontal bars, a few series per row (current rules next to the draft,
suggested next to given), as inline SVG geometry for the templates (no chart library, no script,
nothing from elsewhere). The SVG scales to its box, so the charts fit a narrow screen too."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clvdesk.money import format_money

WIDTH = 720
LABEL_WIDTH = 190  # row names on the left
VALUE_WIDTH = 110  # values right of the bars
COMPACT_WIDTH = 340  # the narrow screen's chart: row names above their bars, text near its own size
COMPACT_LABEL_HEIGHT = 18
BAR_HEIGHT = 16
ROW_GAP = 18
TOP = 8


def bar_chart(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]],
              text: Callable[[float], str]) -> dict:
    """One bar per series (`(css name, label)`) in each `(row label, values)`, laid out twice: "wide"
    (names left of the bars) and "compact" (names above them, for narrow screens), each {"width",
    "height", "rows": [{"label", "x", "y", "anchor", "bars": [{"series", "label", "x", "y", "width",
    "height", "text"}]}]}."""
    return {"series": list(series), "wide": _layout(rows, series, text, False), "compact": _layout(rows, series, text, True)}


def _layout(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]],
            text: Callable[[float], str], compact: bool) -> dict:
    top = max([value for _, values in rows for value in values] + [1.0])
    left = 0 if compact else LABEL_WIDTH
    width = COMPACT_WIDTH if compact else WIDTH
    area = width - left - VALUE_WIDTH
    above = COMPACT_LABEL_HEIGHT if compact else 0
    step = above + len(series) * BAR_HEIGHT + ROW_GAP
    laid = []
    for index, (label, values) in enumerate(rows):
        y = TOP + index * step + above
        bars = [{
            "series": name,
            "label": series_label,
            "x": left,
            "y": y + offset * BAR_HEIGHT,
            "width": round(max(value / top * area, 1.0), 1),
            "height": BAR_HEIGHT - 2,
            "text": text(value),
        } for offset, ((name, series_label), value) in enumerate(zip(series, values))]
        if compact:
            laid.append({"label": label, "x": 0, "y": y - 8, "anchor": "start", "bars": bars})
        else:
            laid.append({"label": label, "x": left - 12, "y": y + len(series) * BAR_HEIGHT / 2 + 4, "anchor": "end", "bars": bars})
    return {"width": width, "height": TOP * 2 + len(rows) * step, "rows": laid}


def spend_chart(by_tier: list[dict], currency: str, labels: dict[str, str] | None = None) -> dict:
    """The simulation's spend by tier, current rules next to the draft, in the order the tiers first appear."""
    spend: dict[str, dict[str, float]] = {}
    for row in by_tier:
        spend.setdefault(row["tier"], {})[row["rules"]] = row["spend"]
    rows = [((labels or {}).get(tier, tier), [values.get("current", 0.0), values.get("draft", 0.0)])
            for tier, values in spend.items()]
    return bar_chart(rows, (("current", "current"), ("draft", "draft")), lambda value: format_money(value, currency))
