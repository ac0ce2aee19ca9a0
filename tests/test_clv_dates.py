"""Dates in an orders file are read in one format for the whole file, by every engine alike: 18/01/1997 and
06/12/1998 in one file are both day-first; a file that could be either is refused until told; the CLI's
stderr carries only clvdesk's own lines."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from clvdesk.clv.dates import CANDIDATES, parse_dates
from clvdesk.clv.orders import OrdersError, read_orders
from clvdesk.clv.outofcore import _day, summarize_orders
from tests.test_cli import env, run  # noqa: F401  (env is a fixture)
from tests.test_clv_cli import synthetic_orders

VALUES = [
    "2024-01-31", "2024-1-5", "2024-01-31 10:22", "2024-01-31T10:22:05Z", "2024-01-31T23:30:00+05:00",
    "2024-01-31 10:22:05.123", "18/01/1997", "06/12/1998", "6/1/1998", "18/1/1997", "31/02/2024", "18/01/97", "18/1/7",
    "18-01-1997", "18.01.1997", "01/18/1997", "19970101", "1997011", "2024/01/31", "2024.01.31", "18 Jan 1997",
    "Jan 18, 1997", "Jan 18 1997", "18 January 1997", "January 18, 1997", "18-Jan-1997", "18-Jan-97",
    "18/01/1997 10:22", "18/01/1997 10:22:33 PM", "18/01/0097", "18/01/1997x", "2024-01-31garbage", "10:22", "",
    "yesterday", "12-31-1998", "12.31.1998", "12/31/98", "12-31-98", "12.31.98", "18-01-97", "18.01.97",
    "January 18 1997", "18  Jan 1997",
]
HEADER = "customer_id,date,amount\n"


def test_pandas_and_duckdb_read_every_candidate_format_alike():
    """The out-of-core engine parses with DuckDB's strptime, the in-memory one with pandas': same days."""
    db = duckdb.connect()
    db.execute("CREATE TABLE dates (v VARCHAR)")
    db.executemany("INSERT INTO dates VALUES (?)", [[value] for value in VALUES])
    for candidate in CANDIDATES:
        in_memory = [None if pd.isna(day) else day.date() for day in parse_dates(pd.Series(VALUES, dtype=object), candidate.format)]
        out_of_core = [day for (day,) in db.execute(f"SELECT {_day('v', candidate.format)} FROM dates").fetchall()]
        assert in_memory == out_of_core, candidate.format
        assert any(in_memory), candidate.format  # each candidate reads some value of the table


@pytest.mark.parametrize(
    "rows, options, days",
    [
        (["18/01/1997", "06/12/1998"], {}, ["1997-01-18", "1998-12-06"]),  # 18/01 decides: day-first throughout
        (["06/12/1998", "18/01/1997"], {}, ["1998-12-06", "1997-01-18"]),  # wherever the deciding row is
        (["12/31/1998", "06/12/1998"], {}, ["1998-12-31", "1998-06-12"]),  # 12/31 decides: month-first
        (["01/02/1997", "06/12/1998"], {"day_first": True}, ["1997-02-01", "1998-12-06"]),
        (["01/02/1997", "06/12/1998"], {"date_format": "%m/%d/%Y"}, ["1997-01-02", "1998-06-12"]),
        (["01/01/1997", "02/02/1998"], {}, ["1997-01-01", "1998-02-02"]),  # either order reads the same days
        (["2024-01-01T10:00:00Z", "2024-01-02 23:30:00+05:00"], {}, ["2024-01-01", "2024-01-02"]),
        (["18/01/97", "06/12/98"], {}, ["1997-01-18", "1998-12-06"]),
        (["18 Jan 1997", "6 Dec 1998"], {}, ["1997-01-18", "1998-12-06"]),
        (["19970118", "19981206"], {}, ["1997-01-18", "1998-12-06"]),
    ],
)
def test_one_format_reads_the_whole_file_in_both_engines(tmp_path, rows, options, days):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "".join(f"A,{day},1\n" for day in rows))
    assert list(read_orders(path, **options)["date"].dt.strftime("%Y-%m-%d")) == days
    assert str(summarize_orders(path, **options).attrs["calibration_end"].date()) == max(days)


@pytest.mark.parametrize(
    "rows, options, line, message",
    [
        (["01/02/1997", "06/12/1998"], {}, None,
         "every date fits both day-first (%d/%m/%Y) and month-first (%m/%d/%Y); say which with --day-first or --date-format %m/%d/%Y"),
        (["18/01/1997", "06/13/1998", "01/02/1998"], {}, "line 3: ",
         "date '06/13/1998' does not fit %d/%m/%Y (day-first), the format of the other dates"),
        (["2024-01-01", "2024-02-01", "18/01/2024"], {}, "line 4: ", "date '18/01/2024' does not fit %Y-%m-%d, the format of the other dates"),
        (["2024-01-01", "31/02/2024"], {}, "line 3: ", "date '31/02/2024' is not a date"),
        (["2024-01-01", ""], {}, "line 3: ", "date '' is not a date"),
        (["12/31/1998"], {"day_first": True}, "line 2: ", "date '12/31/1998' is not a date"),
        (["18/01/1997"], {"date_format": "%m/%d/%Y"}, "line 2: ", "date '18/01/1997' is not a date in the format %m/%d/%Y (--date-format)"),
    ],
)
def test_a_file_that_could_be_misread_is_refused_in_one_line_by_both_engines(tmp_path, rows, options, line, message):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "".join(f"A,{day},1\n" for day in rows))
    with pytest.raises(OrdersError) as in_memory:
        read_orders(path, **options)
    assert str(in_memory.value).startswith(f"{path}: {line or ''}{message}")
    with pytest.raises(OrdersError) as out_of_core:
        summarize_orders(path, **options)
    assert str(out_of_core.value).startswith(f"{path}: {message}")  # DuckDB knows no line numbers
    assert "\n" not in str(in_memory.value) + str(out_of_core.value)


def write_orders(frame: pd.DataFrame, tmp_path: Path, layout: str, date_format: str) -> Path:
    """The orders as one CSV (read in memory) or a directory of two CSV parts (read out of core)."""
    text = frame.assign(date=frame["date"].dt.strftime(date_format))[["customer_id", "date", "amount"]]
    if layout == "file":
        path = tmp_path / f"orders-{len(list(tmp_path.iterdir()))}.csv"
        text.to_csv(path, index=False)
        return path
    path = tmp_path / f"parts-{len(list(tmp_path.iterdir()))}"
    path.mkdir()
    half = len(text) // 2
    text.iloc[:half].to_csv(path / "part-0.csv", index=False)
    text.iloc[half:].to_csv(path / "part-1.csv", index=False)
    return path


def fit(env, path: Path, *options: str) -> dict:
    result = run(env, "clv", "fit", str(path), "--no-store", "--json", *options)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no library warning, no progress noise
    return json.loads(result.stdout)


def first(frame: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """The frame with its first row where `rows` holds moved to the top (what pandas used to guess from)."""
    top = frame.index[rows][0]
    return pd.concat([frame.loc[[top]], frame.drop(index=top)])


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_a_day_first_file_fits_as_its_iso_twin(env, tmp_path, layout):
    """The first date (12/01/1997) fits either order: pandas used to guess month-first from it, then read the
    rest row by row; DuckDB refused every date that is not ISO."""
    orders = synthetic_orders()
    orders = first(orders, orders["date"].dt.day <= 12)
    iso = fit(env, write_orders(orders, tmp_path, layout, "%Y-%m-%d"))
    day_first = fit(env, write_orders(orders, tmp_path, layout, "%d/%m/%Y"))
    assert day_first["calibration_end"] == iso["calibration_end"] == "1998-06-30"
    assert day_first["bgnbd"] == iso["bgnbd"] and day_first["totals"] == iso["totals"]


@pytest.mark.parametrize("layout", ["file", "parts"])
def test_an_ambiguous_file_is_refused_until_told_which(env, tmp_path, layout):
    orders = synthetic_orders()
    orders = orders[orders["date"].dt.day <= 12]  # every date fits both orders
    path = write_orders(orders, tmp_path, layout, "%d/%m/%Y")
    refused = run(env, "clv", "fit", str(path), "--no-store")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"clvdesk: {path}: every date fits both day-first (%d/%m/%Y) and month-first (%m/%d/%Y); "
        "say which with --day-first or --date-format %m/%d/%Y"
    ]
    iso = fit(env, write_orders(orders, tmp_path, layout, "%Y-%m-%d"))
    assert fit(env, path, "--day-first") == iso
    assert fit(env, path, "--date-format", "%d/%m/%Y") == iso
    assert fit(env, path, "--date-format", "%m/%d/%Y")["calibration_end"] != iso["calibration_end"]


def test_a_file_in_two_formats_is_refused_naming_the_line(env, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "A,18/01/1997,1\nA,06/12/1998,2\nB,12/31/1998,3\n")
    result = run(env, "clv", "fit", str(path), "--no-store")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"clvdesk: {path}: line 4: date '12/31/1998' does not fit %d/%m/%Y (day-first), the format of the other dates: "
        "a file has one date format (correct the file, or pass --date-format)"
    ]


def test_a_date_format_pandas_cannot_use_is_one_line(env, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "A,18/01/1997,1\n")
    result = run(env, "clv", "fit", str(path), "--date-format", "%Q")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["clvdesk: --date-format '%Q' is not a strftime format of a date (such as %d/%m/%Y)"]


def test_no_library_warning_reaches_stderr(env, tmp_path):
    """A first date that fits only day-first made pandas warn 'Parsing dates in %d/%m/%Y format when
    dayfirst=False'; the validate and out-of-core paths read the same file without a word either."""
    orders = synthetic_orders()
    orders = first(orders, orders["date"].dt.day > 12)
    path = write_orders(orders, tmp_path, "file", "%d/%m/%Y")
    fit(env, path)
    result = run(env, "clv", "validate", str(path), "--calibration-end", "1997-09-30", "--json")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    fit(env, write_orders(orders, tmp_path, "parts", "%d/%m/%Y"))


def test_out_of_core_refuses_a_calibration_end_after_the_last_order(env, tmp_path):
    """As the in-memory path does (tests/test_clv_cli.py): every customer would look long gone."""
    path = write_orders(synthetic_orders(), tmp_path, "parts", "%Y-%m-%d")
    result = run(env, "clv", "fit", str(path), "--calibration-end", "1998-12-31", "--no-store")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "clvdesk: --calibration-end 1998-12-31 is after the last order (1998-06-30); choose a date on or before it, or leave it out"
    ]
    assert fit(env, path, "--calibration-end", "1998-06-30")["calibration_end"] == "1998-06-30"
