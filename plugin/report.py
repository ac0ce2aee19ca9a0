"""The admins' outcome report: suggestions made and what agents did with them, by tier and instrument,
for a date range; JSON, or CSV with `?format=csv` or `Accept: text/csv`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from clvdesk.defaults import REPORT_DEFAULT_DAYS, REPORT_MAX_DAYS, REPORT_MAX_YEAR, REPORT_MIN_YEAR
from clvdesk.outcomes import outcome_report, outcome_report_csv
from plugin.auth import require_bearer
from plugin.errors import error

bp = Blueprint("report", __name__, url_prefix="/api/v1/admin")


def _day(name: str, default: date) -> date:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {text[:40]!r}") from None
    if not REPORT_MIN_YEAR <= day.year <= REPORT_MAX_YEAR:  # the day after 9999-12-31 is not a date
        raise ValueError(f"{name} must be a date from {REPORT_MIN_YEAR}-01-01 to {REPORT_MAX_YEAR}-12-31, got {day}")
    return day


def _range() -> tuple[date, date]:
    today = datetime.now(timezone.utc).date()
    end = _day("to", today)
    start = _day("from", end - timedelta(days=REPORT_DEFAULT_DAYS - 1))
    if start > end:
        raise ValueError(f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > REPORT_MAX_DAYS:
        raise ValueError(f"a report covers at most {REPORT_MAX_DAYS} days; {start} to {end} is longer")
    return start, end


def _wants_csv() -> bool:
    wanted = request.args.get("format")
    if wanted is not None:
        return wanted == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@bp.get("/report")
@require_bearer("admin_token", "admin")
def report():
    if request.args.get("format") not in (None, "json", "csv"):
        return error(400, "invalid_format", "format must be json or csv")
    try:
        start, end = _range()
    except ValueError as exc:
        return error(400, "invalid_range", str(exc))
    records = current_app.extensions["clvdesk"].suggestions.log.records(start, end)
    if _wants_csv():
        return Response(
            outcome_report_csv(records),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="clvdesk-outcomes-{start}-{end}.csv"'},
        )
    return jsonify(outcome_report(records, start, end))
