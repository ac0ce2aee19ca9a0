"""The admin page's charts: horizontal bars, a few series per row (current rules next to the draft,
suggested next to given), as inline SVG geometry for the templates (no chart library, no script,
nothing from elsewhere). The SVG scales to its box, so the charts fit a narrow screen too."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clvdesk.money import format_money

WIDTH = 720
LABEL_WIDTH = 190  # row names on the left
VALUE_WIDTH = 110  # values right of the bars
BAR_HEIGHT = 16
ROW_GAP = 18
TOP = 8


def bar_chart(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[tuple[str, str]],
              text: Callable[[float], str]) -> dict:
    """One bar per series (`(css name, label)`) in each `(row label, values)`: {"width", "height",
    "series", "rows": [{"label", "y", "bars": [{"series", "label", "x", "y", "width", "height", "text"}]}]}."""
    top = max([value for _, values in rows for value in values] + [1.0])
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    step = len(series) * BAR_HEIGHT + ROW_GAP
    laid = []
    for index, (label, values) in enumerate(rows):
        y = TOP + index * step
        bars = [{
            "series": name,
            "label": series_label,
            "x": LABEL_WIDTH,
            "y": y + offset * BAR_HEIGHT,
            "width": round(max(value / top * area, 1.0), 1),
            "height": BAR_HEIGHT - 2,
            "text": text(value),
        } for offset, ((name, series_label), value) in enumerate(zip(series, values))]
        laid.append({"label": label, "y": y + len(series) * BAR_HEIGHT / 2, "bars": bars})
    return {"width": WIDTH, "height": TOP * 2 + len(rows) * step, "series": list(series), "rows": laid}


def spend_chart(by_tier: list[dict], currency: str, labels: dict[str, str] | None = None) -> dict:
    """The simulation's spend by tier, current rules next to the draft, in the order the tiers first appear."""
    spend: dict[str, dict[str, float]] = {}
    for row in by_tier:
        spend.setdefault(row["tier"], {})[row["rules"]] = row["spend"]
    rows = [((labels or {}).get(tier, tier), [values.get("current", 0.0), values.get("draft", 0.0)])
            for tier, values in spend.items()]
    return bar_chart(rows, (("current", "current"), ("draft", "draft")), lambda value: format_money(value, currency))
