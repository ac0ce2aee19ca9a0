"""The simulation's chart: spend by tier, current rules next to the draft, as inline SVG geometry
for the template (no chart library, no script, nothing from elsewhere)."""

from __future__ import annotations

from clvdesk.money import format_money

WIDTH = 720
LABEL_WIDTH = 190  # tier names on the left
VALUE_WIDTH = 110  # amounts right of the bars
BAR_HEIGHT = 16
ROW_GAP = 18
TOP = 8


def spend_chart(by_tier: list[dict], currency: str, labels: dict[str, str] | None = None) -> dict:
    """Bars per tier in the order the tiers first appear: {"width", "height", "rows": [{"label",
    "y", "bars": [{"rules", "x", "y", "width", "height", "text"}]}]}."""
    spend: dict[str, dict[str, float]] = {}
    for row in by_tier:
        spend.setdefault(row["tier"], {})[row["rules"]] = row["spend"]
    top = max([value for values in spend.values() for value in values.values()] + [1.0])
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for index, (tier, values) in enumerate(spend.items()):
        y = TOP + index * (2 * BAR_HEIGHT + ROW_GAP)
        bars = []
        for offset, rules in enumerate(("current", "draft")):
            value = values.get(rules, 0.0)
            bars.append({
                "rules": rules,
                "x": LABEL_WIDTH,
                "y": y + offset * BAR_HEIGHT,
                "width": round(max(value / top * area, 1.0), 1),
                "height": BAR_HEIGHT - 2,
                "text": format_money(value, currency),
            })
        rows.append({"label": (labels or {}).get(tier, tier), "y": y + BAR_HEIGHT, "bars": bars})
    return {"width": WIDTH, "height": TOP * 2 + len(rows) * (2 * BAR_HEIGHT + ROW_GAP), "rows": rows}
