"""Orders → one row per customer: repeat purchases, recency, age, spend — pure pandas functions.

A customer's orders on one day are one purchase (their amounts summed, refunds included). A row with a
negative amount is a refund: a day with only refunds is not a purchase, but its amount still lowers the
customer's historical spend. Times are in the chosen unit (day, week or month) from the first purchase.
"""

from __future__ import annotations

from pathlib import Path

import csv

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from clvdesk.clv.orders import PARQUET_SUFFIXES, read_emails, read_table
from clvdesk.defaults import CLV_TIME_UNIT_DAYS

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
NUMBER_COLUMNS = (*SUMMARY_COLUMNS[1:], "historical_spend")
TEXT_COLUMNS = ("customer_id", "email")


class SummaryError(ValueError):
    """A per-customer summary breaks the model's assumptions; the message names the column."""


def fit_end(requested: pd.Timestamp | None, last_order: pd.Timestamp) -> pd.Timestamp:
    """The calibration end of a fit: the one asked for, else the last order's day. One after the last order
    is refused, whatever the engine: every customer would look long gone (residual CLV of $117k became $433)."""
    last_order = pd.Timestamp(last_order).normalize()
    if requested is not None and requested > last_order:
        raise SummaryError(f"--calibration-end {requested.date()} is after the last order ({last_order.date()}); "
                           "choose a date on or before it, or leave it out")
    return last_order if requested is None else requested


def purchase_days(orders: pd.DataFrame) -> pd.DataFrame:
    """Same-day orders merged: one row per (customer, day) with the day's net amount and whether it
    holds a purchase (an order of zero or more), sorted by customer and day."""
    days = (
        orders.assign(purchase=orders["amount"] >= 0)
        .groupby(["customer_id", "date"], sort=True, observed=True)
        .agg(amount=("amount", "sum"), purchase=("purchase", "max"))
        .reset_index()
    )
    return days


def summarize(
    orders: pd.DataFrame,
    *,
    time_unit: str = "week",
    calibration_end: pd.Timestamp | None = None,
    holdout_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per-customer summary at `calibration_end` (default: the last order's day), indexed by customer_id.

    frequency: repeat purchase days; recency: first to last purchase; T: first purchase to calibration end;
    monetary_value: mean amount of the repeat purchase days (0 without repeats); historical_spend: all
    amounts to calibration end, refunds included. With a later `holdout_end` (or orders after the
    calibration end) it adds frequency_holdout and duration_holdout. Customers without a purchase in the
    calibration period are left out.
    """
    unit = CLV_TIME_UNIT_DAYS[time_unit]
    with np.errstate(over="ignore"):  # a sum past a float's range is inf, which the score check refuses in one line
        return _summarize(orders, unit, calibration_end, holdout_end)


def _summarize(
    orders: pd.DataFrame, unit: float, calibration_end: pd.Timestamp | None, holdout_end: pd.Timestamp | None
) -> pd.DataFrame:
    days = purchase_days(orders)
    end = pd.Timestamp(calibration_end) if calibration_end is not None else days["date"].max()
    calibration = days[days["date"] <= end]
    bought = calibration[calibration["purchase"]]
    if bought.empty:
        raise SummaryError(f"no purchases on or before {end.date()}")

    per_customer = bought.groupby("customer_id", sort=True)
    first = per_customer["date"].min()
    summary = summary_frame(
        first=first,
        last=per_customer["date"].max(),
        frequency=per_customer.size() - 1,
        repeat_spend=per_customer["amount"].sum() - per_customer["amount"].first(),
        historical_spend=calibration.groupby("customer_id")["amount"].sum().reindex(first.index),
        email=_last_email(orders, first.index),
        end=end,
        unit=unit,
    )
    holdout_until = pd.Timestamp(holdout_end) if holdout_end is not None else days["date"].max()
    if holdout_until > end:
        later = days[(days["date"] > end) & (days["date"] <= holdout_until) & days["purchase"]]
        add_holdout(summary, later.groupby("customer_id").size(), end, holdout_until, unit)
    return summary


def summary_frame(*, first, last, frequency, repeat_spend, historical_spend, email, end, unit) -> pd.DataFrame:
    """The summary from per-customer aggregates (Series on the customer index): shared by the pandas and
    the out-of-core paths, so both derive recency, T and mean spend by the same arithmetic."""
    summary = pd.DataFrame(
        copy=False,
        data={
            "email": email.astype(object).where(email.notna(), None),
            "frequency": frequency.astype("int64"),
            "recency": (last - first).dt.days / unit,
            "T": (end - first).dt.days / unit,
            "monetary_value": (repeat_spend / frequency.where(frequency > 0)).fillna(0.0),
            "historical_spend": historical_spend,
            "first_order": first,
            "last_order": last,
        },
    )
    summary.index.name = "customer_id"
    return summary


def add_holdout(summary: pd.DataFrame, counts: pd.Series, end: pd.Timestamp, until: pd.Timestamp, unit: float) -> None:
    """frequency_holdout (purchase days in (end, until], per customer) and duration_holdout, in place."""
    summary["frequency_holdout"] = counts.reindex(summary.index, fill_value=0).astype("int64")
    summary["duration_holdout"] = (until - end).days / unit


def _last_email(orders: pd.DataFrame, customers: pd.Index) -> pd.Series:
    """Each customer's email on their latest order that has one (the greatest, if that day has several):
    by value, not by row order, so any engine that groups the orders finds the same one."""
    known = orders.loc[orders["email"].notna(), ["customer_id", "date", "email"]]
    latest = known.sort_values(["customer_id", "date", "email"]).groupby("customer_id")["email"].last()
    return latest.reindex(customers)


def check_summary(frame: pd.DataFrame, source: str = "summary") -> pd.DataFrame:
    """A ready-made summary (lifetimes' layout) made fit for the engine, or SummaryError naming the problem.

    historical_spend and email are optional: without historical_spend it is the repeat spend,
    frequency × monetary_value, since the first order's amount is unknown.
    """
    frame = frame.rename(columns=lambda name: str(name).strip())
    missing = [name for name in SUMMARY_COLUMNS if name not in frame.columns]
    if missing:
        raise SummaryError(f"{source}: missing column(s) {', '.join(missing)}; the header has {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise SummaryError(f"{source}: no customers below the header")
    numbers = {}
    for name in NUMBER_COLUMNS:
        if name not in frame.columns:
            continue
        values = frame[name]
        if values.dtype != "float64":
            values = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = ~np.isfinite(values.to_numpy())
        if bad.any():
            raise SummaryError(f"{source}: line {int(np.flatnonzero(bad)[0]) + 2}: {name} {_shown(frame[name][bad].iloc[0])} is not a number")
        numbers[name] = values
    checks = (
        ("frequency", (numbers["frequency"] < 0) | (numbers["frequency"] % 1 != 0), "is not a whole number ≥ 0"),
        ("recency", numbers["recency"] < 0, "is negative"),
        ("T", numbers["T"] < numbers["recency"], "is smaller than recency"),
        ("recency", (numbers["frequency"] == 0) & (numbers["recency"] != 0), "is not 0 for a customer without repeat purchases"),
        ("monetary_value", numbers["monetary_value"] < 0, "is negative"),
    )
    for name, bad, what in checks:
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise SummaryError(f"{source}: line {line}: {name} {_shown(frame[name][bad].iloc[0])} {what}")
    ids = frame["customer_id"].astype(str).str.strip()
    repeated = _first_repeat(ids)
    if repeated is not None:
        raise SummaryError(f"{source}: customer_id {repeated!r} appears twice")
    summary = pd.DataFrame(
        copy=False,
        data={
            "email": read_emails(frame["email"]) if "email" in frame.columns else None,
            "frequency": numbers["frequency"].astype("int64"),
            "recency": numbers["recency"],
            "T": numbers["T"],
            "monetary_value": numbers["monetary_value"],
            "historical_spend": numbers.get("historical_spend", numbers["frequency"] * numbers["monetary_value"]),
        }
    )
    summary.index = pd.Index(ids, name="customer_id")
    return summary


def _first_repeat(ids: pd.Series) -> str | None:
    """The first id (in file order) that an earlier row already has, or None: by a stable sort, where
    equal ids are neighbours, several times faster than hashing a million strings."""
    values = pa.array(ids, pa.string())
    order = pc.sort_indices(values)
    ordered = values.take(order)
    repeats = pc.equal(ordered[1:], ordered[:-1])
    if not pc.any(repeats).as_py():
        return None
    return values[pc.min(pc.filter(order[1:], repeats)).as_py()].as_py()


def _shown(value: object) -> str:
    """A cell as the user wrote it: numbers bare, anything else quoted."""
    try:
        float(value)
    except (TypeError, ValueError):
        return repr(value)
    return str(value)


def read_summary(path: str | Path) -> pd.DataFrame:
    """Read and check a per-customer summary (CSV or Parquet).

    A CSV is first read with typed columns (Arrow's parser, no text column per number); when that fails
    or a check does, it is read again as text, so the error quotes the cell as the file has it.
    """
    path = Path(path)
    typed = None if path.suffix.lower() in PARQUET_SUFFIXES else _typed_csv(path)
    if typed is not None:
        try:
            return check_summary(typed, str(path))
        except SummaryError:
            pass
        finally:  # the id checks' scratch space, held by Arrow's pool, back to the system for the fit
            pa.default_memory_pool().release_unused()
    return check_summary(read_table(path, SummaryError), str(path))


def _typed_csv(path: Path) -> pd.DataFrame | None:
    """The summary's columns with numbers as float64, or None where the file is not that plain."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            header = next(csv.reader(file), [])
        types = {name: pa.float64() if name.strip() in NUMBER_COLUMNS else pa.string()
                 for name in header if name.strip() in (*NUMBER_COLUMNS, *TEXT_COLUMNS)}
        if len(types) != len(set(map(str.strip, types))):
            return None
        table = arrow_csv.read_csv(path, convert_options=arrow_csv.ConvertOptions(
            column_types=types, include_columns=list(types), null_values=[], strings_can_be_null=False),
            read_options=arrow_csv.ReadOptions(use_threads=False), memory_pool=pa.system_memory_pool())
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid):
        return None
    return table.to_pandas(split_blocks=True, self_destruct=True)  # each column handed over, not copied into one block
