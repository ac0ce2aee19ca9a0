"""Reading an export of past orders (CSV or Parquet) into a checked frame: customer, email, day, amount.

Every problem is one line naming the column and the first bad value, raised before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PARQUET_SUFFIXES = (".parquet", ".pq")


class OrdersError(ValueError):
    """The orders file cannot be used; the message names the problem."""


@dataclass(frozen=True)
class OrderColumns:
    """Which columns of the export hold what (matched case-insensitively). Without a customer id
    column, the email identifies the customer."""

    customer_id: str = "customer_id"
    email: str = "email"
    date: str = "date"
    amount: str = "amount"


def read_orders(path: str | Path, columns: OrderColumns = OrderColumns(), *, date_format: str | None = None,
                day_first: bool = False) -> pd.DataFrame:
    """Columns customer_id (str), email (str or None), date (day), amount (float; refunds negative). Dates are
    read in `date_format` (strftime), else in the one format that fits every value, day-first where
    `day_first` and the values could be either."""
    raw = read_table(Path(path), OrdersError)
    raw.columns = [str(column).strip().casefold() for column in raw.columns]
    id_col, email_col = columns.customer_id.casefold(), columns.email.casefold()
    has_id, has_email = id_col in raw.columns, email_col in raw.columns
    missing = [name for name in (columns.date, columns.amount) if name.casefold() not in raw.columns]
    if not (has_id or has_email):
        missing.insert(0, f"{columns.customer_id} (or {columns.email})")
    if missing:
        raise OrdersError(f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(raw.columns)}")
    if raw.empty:
        raise OrdersError(f"{path}: no orders below the header")

    emails = read_emails(raw[email_col]) if has_email else pd.Series(None, index=raw.index, dtype=object)
    ids = _text(raw[id_col]) if has_id else emails
    blank = ids.isna() | (ids == "")
    if blank.any():
        raise OrdersError(f"{path}: {_where(raw, blank, path)} has no customer id")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "email": emails,
            "date": _dates(raw[columns.date.casefold()], columns.date, path, date_format=date_format, day_first=day_first),
            "amount": _amounts(raw[columns.amount.casefold()], columns.amount, path, raw),
        }
    )


def read_table(path: Path, error: type[ValueError]) -> pd.DataFrame:
    """A CSV (every cell as text) or Parquet file; `error` with one line when it cannot be read."""
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise error(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error(f"{path}: not a readable file ({first_line})") from None


def _text(column: pd.Series) -> pd.Series:
    return column.astype(str).str.strip().where(column.notna())


def _where(raw: pd.DataFrame, bad: pd.Series, path: str | Path) -> str:
    """'line N' of a CSV (the header is line 1) or 'row N' of a Parquet file, for the first bad row."""
    return _row(int(np.flatnonzero(bad.to_numpy())[0]), path)


def _row(position: int, path: str | Path) -> str:
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return f"row {position + 1}"
    return f"line {position + 2}"


def read_emails(column: pd.Series) -> pd.Series:
    """Normalised emails; None where the cell is empty."""
    from clvdesk.customers import normalise_email  # the store's rule; importing it at the top pulls in Redis and pydantic

    text = _text(column)
    text = text.where(text != "")
    return text.map(normalise_email, na_action="ignore").astype(object).where(text.notna(), None)


def _dates(column: pd.Series, name: str, path, *, date_format: str | None, day_first: bool) -> pd.Series:
    """Typed dates as they are; text read in the one format of the whole column (clvdesk.clv.dates)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        if getattr(column.dt, "tz", None) is not None:
            column = column.dt.tz_localize(None)
        return column.dt.normalize()
    from clvdesk.clv.dates import PandasDates, choose  # it names problems as OrdersError, defined here

    dates = PandasDates(_text(column), lambda position: _row(position, path))
    return dates.parse(choose(dates, name=name, path=path, date_format=date_format, day_first=day_first))


def _amounts(column: pd.Series, name: str, path, raw) -> pd.Series:
    values = pd.to_numeric(_text(column) if not pd.api.types.is_numeric_dtype(column) else column, errors="coerce")
    values = values.astype("float64")
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        value = column[bad].iloc[0]
        raise OrdersError(f"{path}: {_where(raw, pd.Series(bad, index=raw.index), path)}: {name} {value!r} is not a number")
    return values
