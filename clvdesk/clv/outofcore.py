"""Orders larger than memory → the per-customer summary, with DuckDB under a fixed memory ceiling.

DuckDB streams the order lines (CSV or Parquet, a file or a directory of parts), merges each customer's
orders per day and aggregates per customer, spilling to a temporary directory past CLV_OUT_OF_CORE_MEMORY_MIB;
only one row per customer comes back. The derived columns (recency, T, mean spend) are computed by
summary.summary_frame, the pandas path's own arithmetic, so both paths give the same summary.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd

from clvdesk.clv.dates import TIME_SUFFIX, Misfit, choose
from clvdesk.clv.orders import PARQUET_SUFFIXES, OrderColumns, OrdersError
from clvdesk.clv.summary import SummaryError, add_holdout, fit_end, summary_frame
from clvdesk.defaults import CLV_DATE_MIN_YEAR, CLV_OUT_OF_CORE_MEMORY_MIB, CLV_OUT_OF_CORE_THREADS, CLV_TIME_UNIT_DAYS

CSV_SUFFIXES = (".csv", ".txt")


def order_files(path: Path) -> list[Path]:
    """The file itself, or a directory's Parquet (else CSV) parts in name order; OrdersError if none."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise OrdersError(f"{path}: no such file or directory")
    for suffixes in (PARQUET_SUFFIXES, CSV_SUFFIXES):
        parts = sorted(part for part in path.rglob("*") if part.is_file() and part.suffix.lower() in suffixes)
        if parts:
            return parts
    raise OrdersError(f"{path}: no .parquet or .csv files in the directory")


def summarize_orders(
    path: str | Path,
    columns: OrderColumns = OrderColumns(),
    *,
    time_unit: str = "week",
    calibration_end: pd.Timestamp | None = None,
    holdout_end: pd.Timestamp | None = None,
    date_format: str | None = None,
    day_first: bool = False,
    memory_mib: int = CLV_OUT_OF_CORE_MEMORY_MIB,
) -> pd.DataFrame:
    """summary.summarize(read_orders(path), ...) without holding the orders in memory, its calibration end
    in .attrs["calibration_end"]. Dates are read as read_orders reads them (clvdesk.clv.dates), a bad value
    named without its line."""
    import duckdb

    path = Path(path)
    files = order_files(path)
    unit = CLV_TIME_UNIT_DAYS[time_unit]
    with tempfile.TemporaryDirectory(prefix="clvdesk-duckdb-") as spill:
        db = duckdb.connect(config={"memory_limit": f"{memory_mib}MB", "temp_directory": spill,
                                    "threads": CLV_OUT_OF_CORE_THREADS, "preserve_insertion_order": False})
        try:
            db.execute("SET enable_progress_bar = false")
            db.execute("SET TimeZone = 'UTC'")  # a time with an offset (--date-format ...%z) counts on its UTC day
            source = _source(db, files)
            db.execute(f"CREATE TEMP TABLE days AS {_days_query(db, source, path, columns, date_format, day_first)}")
            _check_days(db, path, columns)
            return _summary(db, unit, calibration_end, holdout_end)
        except duckdb.Error as exc:
            raise OrdersError(f"{path}: not readable orders ({str(exc).strip().splitlines()[0]})") from None
        finally:
            db.close()


def _source(db, files: list[Path]) -> str:
    names = "[" + ", ".join(_literal(str(file)) for file in files) + "]"
    if files[0].suffix.lower() in PARQUET_SUFFIXES:
        return f"read_parquet({names}, union_by_name = true)"
    return f"read_csv({names}, header = true, all_varchar = true, union_by_name = true)"


def _days_query(db, source: str, path: Path, columns: OrderColumns, date_format: str | None, day_first: bool) -> str:
    """One row per (customer, day): net amount, whether a purchase, the day's greatest email and how many
    of its amounts are unreadable; the orders view reads the lines as the engine's columns."""
    header = {name.strip().casefold(): name for name, *_ in db.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    types = dict(db.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})").fetchall())
    has_id, has_email = columns.customer_id.casefold() in header, columns.email.casefold() in header
    missing = [name for name in (columns.date, columns.amount) if name.casefold() not in header]
    if not (has_id or has_email):
        missing.insert(0, f"{columns.customer_id} (or {columns.email})")
    if missing:
        raise OrdersError(f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(header.values())}")

    def column(name: str) -> str:
        return _identifier(header[name.casefold()])

    def text(name: str) -> str:
        return f"nullif(trim(CAST({column(name)} AS VARCHAR)), '')"

    def typed(name: str) -> str | None:
        kind = types[header[name.casefold()]]
        return None if kind == "VARCHAR" else kind

    email = f"lower({text(columns.email)})" if has_email else "CAST(NULL AS VARCHAR)"
    # ids are grouped as stored (a number is cast to text once per customer, at the end), text ids trimmed
    customer = (column(columns.customer_id) if typed(columns.customer_id) else text(columns.customer_id)) if has_id else email
    date_type = typed(columns.date) or ""
    if date_type.startswith(("DATE", "TIMESTAMP")):
        day = f"CAST({column(columns.date)} AS DATE)"
    else:
        dates = DuckDates(db, f"SELECT coalesce({text(columns.date)}, '') AS v FROM {source}")
        chosen = choose(dates, name=columns.date, path=path, date_format=date_format, day_first=day_first)
        day = _day(f"nullif({text(columns.date)}, '')", chosen)
    number = f"TRY_CAST({column(columns.amount)} AS DOUBLE)" if typed(columns.amount) else f"TRY_CAST({text(columns.amount)} AS DOUBLE)"
    db.execute(f"""
        CREATE TEMP VIEW orders AS
        SELECT {customer} AS customer_id, {email} AS email, {day} AS day,
               CASE WHEN isfinite({number}) THEN {number} END AS amount,
               {column(columns.date)} AS date_raw, {column(columns.amount)} AS amount_raw
        FROM {source}""")
    return """
        SELECT customer_id, day, fsum(amount) AS amount, bool_or(amount >= 0) AS purchase, max(email) AS email,
               count(*) - count(amount) AS bad_amounts
        FROM orders GROUP BY customer_id, day"""


class DuckDates:
    """The orders' date text in DuckDB (clvdesk.clv.dates.DateColumn): every format counted in one pass."""

    def __init__(self, db, query: str):
        self.db = db
        db.execute(f"CREATE TEMP VIEW date_text AS {query}")

    def misfits(self, formats: list[str], *, limit: int | None = None) -> dict[str, Misfit | None]:
        rows = "date_text" if limit is None else f"(SELECT v FROM date_text LIMIT {int(limit)})"
        misses = [f"({_day('v', date_format)}) IS NULL" for date_format in formats]
        counts = ", ".join(f"count(*) FILTER (WHERE {miss}), min(v) FILTER (WHERE {miss})" for miss in misses)
        found = self.db.execute(f"SELECT {counts} FROM {rows}").fetchone() if formats else ()
        return {date_format: Misfit(found[2 * i], found[2 * i + 1]) if found[2 * i] else None
                for i, date_format in enumerate(formats)}

    def same_days(self, first: str, second: str) -> bool:
        return self.db.execute(
            f"SELECT count(*) FILTER (WHERE ({_day('v', first)}) IS DISTINCT FROM ({_day('v', second)})) FROM date_text"
        ).fetchone()[0] == 0


def _day(value: str, date_format: str) -> str:
    """The day `date_format` reads in the text `value`, or in its date before a time, as dates.parse_dates
    reads it: DuckDB's strptime is laxer (%Y takes '97', %y takes '7'), so the text must also have the
    shape pandas' parser requires."""
    fmt, shape = _literal(date_format), _literal(_shape(date_format))
    part = f"regexp_replace({value}, {_literal(TIME_SUFFIX)}, '')"
    day = (f"CAST(coalesce(CASE WHEN regexp_full_match({value}, {shape}) THEN try_strptime({value}, {fmt}) END, "
           f"CASE WHEN regexp_full_match({part}, {shape}) THEN try_strptime({part}, {fmt}) END) AS DATE)")
    return f"CASE WHEN year({day}) >= {CLV_DATE_MIN_YEAR} THEN {day} END"


# What each strftime directive matches in pandas' (Python's) strptime; any other directive: anything.
DIRECTIVE_SHAPES = {"Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}", "I": r"\d{1,2}",
                    "M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,9}", "b": "[A-Za-z]+", "B": "[A-Za-z]+", "p": "[AaPp][Mm]", "%": "%"}


def _shape(date_format: str) -> str:
    """A regular expression (RE2) of the text `date_format` can read."""
    parts, index = [], 0
    while index < len(date_format):
        char = date_format[index]
        if char == "%" and index + 1 < len(date_format):
            parts.append(DIRECTIVE_SHAPES.get(date_format[index + 1], ".+?"))
            index += 2
            continue
        parts.append(r"\s+" if char.isspace() else re.escape(char))
        index += 1
    return "".join(parts)


def _check_days(db, path: Path, columns: OrderColumns) -> None:
    """OrdersError naming the first kind of bad row found, as read_orders would (without its line number):
    the days carry only counts, and the orders are read again for the bad value when there is one."""
    no_id, bad_dates, bad_amounts, total = db.execute(
        "SELECT count(*) FILTER (WHERE customer_id IS NULL), count(*) FILTER (WHERE day IS NULL), "
        "sum(bad_amounts), count(*) FROM days").fetchone()
    if total == 0:
        raise OrdersError(f"{path}: no orders below the header")
    if no_id:
        count = db.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL").fetchone()[0]
        raise OrdersError(f"{path}: {count:,} order(s) have no customer id")
    if bad_dates:
        value = db.execute("SELECT CAST(date_raw AS VARCHAR) FROM orders WHERE day IS NULL LIMIT 1").fetchone()[0]
        raise OrdersError(f"{path}: {columns.date} {value!r} is not a date")
    if bad_amounts:
        value = db.execute("SELECT coalesce(CAST(amount_raw AS VARCHAR), '') FROM orders WHERE amount IS NULL LIMIT 1").fetchone()[0]
        raise OrdersError(f"{path}: {columns.amount} {value!r} is not a number")


def _summary(db, unit: float, calibration_end, holdout_end) -> pd.DataFrame:
    last_day = pd.Timestamp(db.execute("SELECT max(day) FROM days").fetchone()[0])
    end = fit_end(None if calibration_end is None else pd.Timestamp(calibration_end), last_day)
    until = pd.Timestamp(holdout_end) if holdout_end is not None else last_day
    frame = db.execute(
        """
        WITH bought AS (
            SELECT customer_id, min(day) AS first, max(day) AS last, count(*) - 1 AS frequency,
                   fsum(amount) - arg_min(amount, day) AS repeat_spend
            FROM days WHERE purchase AND day <= $end GROUP BY customer_id
        ), spend AS (
            SELECT customer_id, fsum(amount) AS historical_spend FROM days WHERE day <= $end GROUP BY customer_id
        ), emails AS (
            SELECT customer_id, arg_max(email, day) AS email FROM days WHERE email IS NOT NULL GROUP BY customer_id
        ), later AS (
            SELECT customer_id, count(*) AS holdout FROM days
            WHERE purchase AND day > $end AND day <= $until GROUP BY customer_id
        )
        SELECT CAST(bought.customer_id AS VARCHAR) AS customer_id, first, last, frequency, repeat_spend, spend.historical_spend, emails.email, coalesce(later.holdout, 0) AS holdout
        FROM bought JOIN spend USING (customer_id) LEFT JOIN emails USING (customer_id) LEFT JOIN later USING (customer_id)
        ORDER BY customer_id
        """,
        {"end": end.date(), "until": until.date()},
    ).df()
    if frame.empty:
        raise SummaryError(f"no purchases on or before {end.date()}")
    frame = frame.set_index(pd.Index(frame["customer_id"].astype(str), name="customer_id"))
    first, last = (pd.to_datetime(frame[name]).astype("datetime64[us]") for name in ("first", "last"))  # as pandas parses days
    summary = summary_frame(first=first, last=last, frequency=frame["frequency"], repeat_spend=frame["repeat_spend"],
                            historical_spend=frame["historical_spend"], email=_emails(frame["email"]), end=end, unit=unit)
    if until > end:
        add_holdout(summary, frame["holdout"], end, until, unit)
    summary.attrs["calibration_end"] = end  # the last order's day by default, which the orders no longer show
    return summary


def _emails(emails: pd.Series) -> pd.Series:
    from clvdesk.customers import normalise_email  # the store's rule, on one email per customer

    return emails.astype(object).where(emails.notna(), None).map(normalise_email, na_action="ignore")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
