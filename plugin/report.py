"""The admins' outcome report: suggestions made and what agents did with them, by tier and instrument,
for a date range; JSON, or CSV with `?format=csv` or `Accept: text/csv`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from clvdesk.customers import CustomerStore
from clvdesk.defaults import REPORT_DEFAULT_DAYS, REPORT_MAX_DAYS, REPORT_MAX_YEAR, REPORT_MIN_YEAR
from clvdesk.outcomes import outcome_report, outcome_report_csv
from plugin.auth import require_bearer
from plugin.errors import error

bp = Blueprint("report", __name__, url_prefix="/api/v1/admin")


class RangeError(ValueError):
    """A bad `from` or `to`; `field` names the one to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _day(args, name: str, default: date) -> date:
    text = args.get(name)
    if text is None:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RangeError(name, f"{name} must be a date as YYYY-MM-DD, got {text[:40]!r}") from None
    if not REPORT_MIN_YEAR <= day.year <= REPORT_MAX_YEAR:  # the day after 9999-12-31 is not a date
        raise RangeError(name, f"{name} must be a date from {REPORT_MIN_YEAR}-01-01 to {REPORT_MAX_YEAR}-12-31, got {day}")
    return day


def report_range(args) -> tuple[date, date]:
    """`from` and `to` of the query string (default: the last REPORT_DEFAULT_DAYS days to today, UTC).
    Raises RangeError for a day that is no date, a range backwards or longer than REPORT_MAX_DAYS."""
    today = datetime.now(timezone.utc).date()
    end = _day(args, "to", today)
    start = _day(args, "from", end - timedelta(days=REPORT_DEFAULT_DAYS - 1))
    if start > end:
        raise RangeError("from", f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > REPORT_MAX_DAYS:
        raise RangeError("from", f"a report covers at most {REPORT_MAX_DAYS} days; {start} to {end} is longer")
    return start, end


def records(start: date, end: date) -> list[dict[str, str]]:
    """The suggestion log's records for the report from `start` through `end`."""
    return current_app.extensions["clvdesk"].suggestions.log.records(start, end)


def report_for(start: date, end: date) -> dict:
    """The outcome report from `start` through `end`, with the customer equity of the CLV fit in force."""
    valuation = CustomerStore(current_app.extensions["clvdesk"].redis).valuation()
    equity = None if valuation is None else valuation.customer_equity
    return outcome_report(records(start, end), start, end, customer_equity=equity)


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
        start, end = report_range(request.args)
    except RangeError as exc:
        return error(400, "invalid_range", str(exc))
    if _wants_csv():
        return Response(
            outcome_report_csv(records(start, end)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="clvdesk-outcomes-{start}-{end}.csv"'},
        )
    return jsonify(report_for(start, end))
