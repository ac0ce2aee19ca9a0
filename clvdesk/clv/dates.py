"""One date format for a whole orders file, detected from every value or given, never guessed row by row.

Row-by-row guessing read 18/01/1997 day-first and 06/12/1998 month-first in the same file. Here each
engine (pandas, DuckDB, Spark) reports which candidate formats fit every value of its date column, with
its own parser of the same strftime format, and `choose` decides from that report alone: one format that
fits every value is the file's; when day-first and month-first both fit and read the file differently,
the file is refused with a line asking for --day-first or --date-format, whatever the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from clvdesk.clv.orders import OrdersError
from clvdesk.defaults import CLV_DATE_MIN_YEAR, CLV_DATE_SAMPLE_VALUES

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"
# A time after the date (10:22, 10:22:05.123, T10:22Z, 10:22 PM +01:00) is ignored: orders are counted per day.
TIME_SUFFIX = r"[T ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?( ?[AaPp][Mm])?( ?(Z|[+-]\d{2}(:?\d{2})?))?$"


@dataclass(frozen=True)
class Candidate:
    format: str  # strftime, of the date (a time after it is ignored)
    order: str | None = None  # DAY_FIRST, MONTH_FIRST, or None where the format cannot be misread


def _candidates() -> tuple[Candidate, ...]:
    found = [Candidate(f) for f in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")]
    for year in ("%Y", "%y"):
        for sep in "/-.":
            found += [Candidate(f"%d{sep}%m{sep}{year}", DAY_FIRST), Candidate(f"%m{sep}%d{sep}{year}", MONTH_FIRST)]
    found += [Candidate(f) for f in ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y",
                                         "%d-%b-%Y", "%d-%b-%y")]
    return tuple(found)


CANDIDATES = _candidates()  # in order of preference where several fit (they then read every value alike)


@dataclass(frozen=True)
class Misfit:
    """The values of a column that one format cannot read: how many, and the first one (and its line, where
    the engine knows it)."""

    count: int
    value: str
    where: str | None = None


class DateColumn(Protocol):
    """An engine's date column, as text."""

    def misfits(self, formats: list[str], *, limit: int | None = None) -> dict[str, Misfit | None]:
        """Per format, the values (of the first `limit` rows) it cannot read, or None when it reads them all."""

    def same_days(self, first: str, second: str) -> bool:
        """Whether the two formats (both reading every value) give every value the same day."""


def _at(path, misfit: Misfit) -> str:
    return f"{path}: {misfit.where}: " if misfit.where else f"{path}: "


def choose(column: DateColumn, *, name: str, path, date_format: str | None = None, day_first: bool = False) -> str:
    """The strftime format of the whole column, or OrdersError (one line) saying why there is none."""
    if date_format is not None:
        misfit = column.misfits([date_format])[date_format]
        if misfit is not None:
            raise OrdersError(f"{_at(path, misfit)}{name} {misfit.value!r} is not a date in the format {date_format} "
                              f"(--date-format)")
        return date_format
    candidates = [c for c in CANDIDATES if not (day_first and c.order == MONTH_FIRST)]
    sampled = column.misfits([c.format for c in candidates], limit=CLV_DATE_SAMPLE_VALUES)
    alive = [c for c in candidates if sampled[c.format] is None]
    complete = column.misfits([c.format for c in alive]) if alive else {}
    fitting = [c for c in alive if complete[c.format] is None]
    if fitting:
        chosen = fitting[0]
        rivals = [c for c in fitting if c.order not in (None, chosen.order)]
        if rivals and not column.same_days(chosen.format, rivals[0].format):
            raise OrdersError(
                f"{path}: every {name} fits both {chosen.order} ({chosen.format}) and {rivals[0].order} "
                f"({rivals[0].format}); say which with --day-first or --date-format {rivals[0].format}")
        return chosen.format
    _refuse(column, candidates, name=name, path=path)


def _refuse(column: DateColumn, candidates: list[Candidate], *, name: str, path) -> None:
    """No format reads every value: name the first value the likeliest format cannot read, and whether
    another format reads it (a file in two formats) or none does (not a date)."""
    everything = column.misfits([c.format for c in candidates])
    best = min(candidates, key=lambda c: everything[c.format].count)
    misfit = everything[best.format]
    if not any(reads(c.format, misfit.value) for c in candidates if c is not best):
        raise OrdersError(f"{_at(path, misfit)}{name} {misfit.value!r} is not a date")
    order = f" ({best.order})" if best.order else ""
    raise OrdersError(f"{_at(path, misfit)}{name} {misfit.value!r} does not fit {best.format}{order}, the format of "
                      f"the other dates: a file has one date format (correct the file, or pass --date-format)")


def date_part(text: pd.Series) -> pd.Series:
    """The values without a time after the date."""
    return text.str.replace(TIME_SUFFIX, "", regex=True)


def parse_dates(text: pd.Series, date_format: str) -> pd.Series:
    """The day `date_format` reads in each value (text), or in its date before a time; NaT where it reads none.
    pandas' parser of one given format: it never guesses, so it never warns."""
    whole = _strptime(text, date_format)
    missed = whole.isna()
    if missed.any():
        whole = whole.where(~missed, _strptime(date_part(text), date_format))
    return whole.where(whole.dt.year >= CLV_DATE_MIN_YEAR)


def _strptime(text: pd.Series, date_format: str) -> pd.Series:
    """An offset (%z) is read as the other engines read it: the day in UTC."""
    return pd.to_datetime(text, format=date_format, errors="coerce", utc=True).dt.tz_localize(None).dt.normalize()


def reads(date_format: str, value: str) -> bool:
    """Whether `date_format` reads this one value (for wording a refusal)."""
    return bool(parse_dates(pd.Series([value], dtype=object), date_format).notna().all())


class PandasDates:
    """A column of date text in memory, each distinct value parsed once; `where(row)` names a row for messages."""

    def __init__(self, text: pd.Series, where: Callable[[int], str | None]):
        codes, values = pd.factorize(text.fillna(""), sort=False)  # distinct values in order of first appearance
        self.index, self.codes, self.values, self.where = text.index, codes, pd.Series(values, dtype=object), where

    def misfits(self, formats: list[str], *, limit: int | None = None) -> dict[str, Misfit | None]:
        values = self.values if limit is None else self.values.iloc[:limit]
        found: dict[str, Misfit | None] = {}
        for date_format in formats:
            missed = parse_dates(values, date_format).isna().to_numpy()
            if not missed.any():
                found[date_format] = None
                continue
            first = int(np.flatnonzero(missed)[0])
            rows = np.isin(self.codes, np.flatnonzero(missed))
            found[date_format] = Misfit(int(rows.sum()), values.iloc[first], self.where(int(np.argmax(self.codes == first))))
        return found

    def same_days(self, first: str, second: str) -> bool:
        return bool((parse_dates(self.values, first) == parse_dates(self.values, second)).all())

    def parse(self, date_format: str) -> pd.Series:
        days = parse_dates(self.values, date_format).to_numpy()
        return pd.Series(days[self.codes], index=self.index)


def date_format_usable(date_format: str) -> bool:
    """Whether pandas (and so every engine) can read dates in this strftime format at all."""
    try:
        parse_dates(pd.Series(["2000-01-01"], dtype=object), date_format)
    except ValueError:
        return False
    return True
