"""The outcome report as the admin page shows it: clvdesk.outcomes' figures laid out as tables, charts
and a CSV of the same rows. Nothing here counts suggestions or sums amounts: every figure is the
report's (the accept rate is the ratio of two of its counts), so the page, its CSV and the JSON API
cannot disagree. Groupings and columns the report adds later (by month, cost, spend against residual
CLV, customer equity) are shown as they come, labelled by name, without a change here."""

from __future__ import annotations

import csv
import io
from datetime import date

from clvdesk.money import format_money
from clvdesk.rules import INSTRUMENT_LABELS
from plugin.admin_chart import bar_chart

# Known groupings in the order they are shown: report key → (column of the group, heading).
GROUPS = {"by_tier": ("tier", "By tier"), "by_instrument": ("instrument", "By instrument"), "by_month": ("month", "By month")}
# Known columns in the order they are shown: name → (heading, kind); kind is count, money or share.
COLUMNS = {
    "suggestions": ("Suggestions", "count"),
    "outcomes": ("With an outcome", "count"),
    "applied": ("Applied", "count"),
    "changed": ("Changed", "count"),
    "declined": ("Declined", "count"),
    "accept_rate": ("Accept rate", "share"),
    "suggested_amount": ("Suggested", "money"),
    "suggested_amount_with_outcome": ("Suggested, with an outcome", "money"),
    "given_amount": ("Given", "money"),
    "pending_amount": ("Pending (no outcome yet)", "money"),
    "counted_amount": ("Counted against budgets", "money"),
    "cost": ("Cost to the company", "money"),
    "residual_clv": ("Residual CLV", "money"),
    "spend_share_of_residual_clv": ("Spend against residual CLV", "share"),
    "customer_equity": ("Customer equity (CLV fit)", "money"),
    "spend_share_of_customer_equity": ("Given against customer equity", "share"),
}
KEYS = ("currency", "tier", "instrument", "month")  # what a row is about, not a figure
AMOUNT_SERIES = (("suggested", "suggested"), ("given", "given"))
OUTCOME_SERIES = (("applied", "applied"), ("changed", "changed"), ("declined", "declined"))


def _accept_rate(row: dict) -> float | None:
    """Applied or changed, of the suggestions with an outcome; None before any outcome."""
    decided = row.get("outcomes", 0)
    return (row.get("applied", 0) + row.get("changed", 0)) / decided if decided else None


def _kind(name: str, value: object) -> str:
    if name in COLUMNS:
        return COLUMNS[name][1]
    if "rate" in name or "share" in name:
        return "share"
    return "count" if isinstance(value, int) else "money"


def _heading(name: str) -> str:
    return COLUMNS[name][0] if name in COLUMNS else name.replace("_", " ").capitalize()


def _columns(rows: list[dict]) -> list[dict]:
    present = [name for row in rows for name in row if name not in KEYS]
    if any("outcomes" in row for row in rows):
        present.append("accept_rate")
    names = [name for name in COLUMNS if name in present]
    names += [name for name in dict.fromkeys(present) if name not in COLUMNS]
    sample = {name: next((row[name] for row in rows if name in row), None) for name in names}
    return [{"name": name, "heading": _heading(name), "kind": _kind(name, sample[name])} for name in names]


def _cell(column: dict, row: dict) -> dict:
    value = _accept_rate(row) if column["name"] == "accept_rate" else row.get(column["name"])
    if value is None:
        return {"text": "—", "value": ""}
    if column["kind"] == "money":
        return {"text": format_money(value, row.get("currency", "USD")), "value": f"{value:.2f}"}
    if column["kind"] == "share":
        return {"text": f"{value:.1%}" if value < 0.1 else f"{value:.0%}", "value": f"{value:.6f}"}  # 0.4%, 67%
    return {"text": f"{value:,}", "value": str(value)}


def _month(text: str) -> str:
    try:
        return date.fromisoformat(f"{text}-01").strftime("%b %Y")
    except ValueError:
        return text


def _label(key: str, value: str, tiers: dict[str, str]) -> str:
    if key == "tier":
        return tiers.get(value, value)
    if key == "instrument":
        return INSTRUMENT_LABELS.get(value, value)
    return _month(value) if key == "month" else value


def _sections(report: dict) -> list[tuple[str, str, str | None]]:
    """(report key, heading, group column) of the totals and every grouping the report has."""
    found = [("totals", "In total", None)] if "totals" in report else []
    found += [(key, heading, column) for key, (column, heading) in GROUPS.items() if key in report]
    found += [(key, key.removeprefix("by_").replace("_", " ").capitalize(), key.removeprefix("by_"))
              for key, value in report.items() if key.startswith("by_") and key not in GROUPS and isinstance(value, list)]
    return found


def report_view(report: dict, tiers: dict[str, str]) -> dict:
    """{"from", "to", "empty", "currencies", "sections": [{"key", "heading", "group", "columns", "rows", "tables",
    "charts"}]}, rows with their cells formatted (all columns, and split into `tables` for the page); `tiers`
    maps tier names to the labels agents see."""
    sections = []
    for key, heading, group in _sections(report):
        rows = report[key]
        columns = _columns(rows)
        laid = [{
            "label": _label(group, str(row.get(group, "")), tiers) if group else "All suggestions",
            "group": str(row.get(group, "")) if group else "all",
            "currency": row.get("currency", ""),
            "cells": [_cell(column, row) for column in columns],
        } for row in rows]
        charts = _charts(key, heading, group, rows, tiers) if group else []
        sections.append({"key": key, "heading": heading, "group": group, "columns": columns, "rows": laid,
                         "tables": _tables(columns, laid), "charts": charts})
    currencies = list(dict.fromkeys(row.get("currency", "") for row in report.get("totals", [])))
    return {"from": report.get("from"), "to": report.get("to"), "empty": not report.get("totals"), "currencies": currencies,
            "sections": sections}


def _tables(columns: list[dict], rows: list[dict]) -> list[dict]:
    """The section's columns as two tables that fit a screen: counts and rates, then amounts."""
    tables = []
    for title, money in (("Suggestions and outcomes", False), ("Amounts", True)):
        chosen = [index for index, column in enumerate(columns) if (column["kind"] == "money") == money]
        if chosen:
            tables.append({"title": title, "columns": [columns[index] for index in chosen],
                           "rows": [{**row, "cells": [row["cells"][index] for index in chosen]} for row in rows]})
    return tables


def _charts(key: str, heading: str, group: str, rows: list[dict], tiers: dict[str, str]) -> list[dict]:
    """Suggested against given, and what agents did, per group (per currency when there are several)."""
    name = key.removeprefix("by_")
    currencies = list(dict.fromkeys(row.get("currency", "") for row in rows))
    charts = []
    for currency in currencies:
        mine = [(_label(group, str(row.get(group, "")), tiers), row) for row in rows if row.get("currency", "") == currency]
        suffix = f" ({currency})" if len(currencies) > 1 else ""
        ident = f"chart-{name}" + (f"-{currency.lower()}" if suffix else "")
        charts.append({
            "id": f"{ident}-amounts",
            "title": f"Suggested and given, {heading.lower()}{suffix}",
            "chart": bar_chart([(label, [row.get("suggested_amount", 0.0), row.get("given_amount", 0.0)]) for label, row in mine],
                               AMOUNT_SERIES, lambda value, c=currency: format_money(value, c)),
        })
        if all(series in row for _, row in mine for series, _ in OUTCOME_SERIES):
            charts.append({
                "id": f"{ident}-outcomes",
                "title": f"What agents did, {heading.lower()}{suffix}",
                "chart": bar_chart([(label, [row[series] for series, _ in OUTCOME_SERIES]) for label, row in mine],
                                   OUTCOME_SERIES, lambda value: f"{value:,.0f}"),
            })
    return charts


def report_csv(view: dict) -> str:
    """The page's figures as one CSV: a row per table row, `section` and `group` saying which."""
    names = list(dict.fromkeys(column["name"] for section in view["sections"] for column in section["columns"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from", "to", "section", "group", "currency", *names])
    for section in view["sections"]:
        positions = {column["name"]: index for index, column in enumerate(section["columns"])}
        for row in section["rows"]:
            values = [row["cells"][positions[name]]["value"] if name in positions else "" for name in names]
            writer.writerow([view["from"], view["to"], section["key"].removeprefix("by_"), row["group"], row["currency"], *values])
    return out.getvalue()
