"""The out-of-core summary (DuckDB) gives the pandas path's summary, from CSV or Parquet parts, under a
memory limit; bad orders are one line; `clv fit` on a directory of parts fits and stores every customer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clvdesk.clv.orders import OrdersError, read_orders
from clvdesk.clv.outofcore import summarize_orders
from clvdesk.clv.summary import summarize
from clvdesk.customers import CustomerStore
from tests.test_cli import env, run  # noqa: F401  (env is a fixture)
from tests.test_clv_cli import CALIBRATION, synthetic_orders
from tests.test_clv_reference import read_cdnow

CALIBRATION_END = pd.Timestamp("1997-09-30")
MONEY = ("monetary_value", "historical_spend")
# pandas' grouped sum and DuckDB's compensated sum can round the last bit of a customer's total differently;
# mean repeat spend (the total less the first order, over the repeats) carries that bit a little further
MONEY_TOLERANCE = 1e-12


def messy_orders() -> pd.DataFrame:
    """Synthetic orders with what real exports have: emails (changing case and spacing, some missing),
    several orders on one day, refunds, and a refund-only day."""
    frame = synthetic_orders(600, seed=3)
    rng = np.random.default_rng(3)
    emails = np.where(rng.random(len(frame)) < 0.8, " " + frame["customer_id"].str.lower() + "@Example.com", "")
    frame = frame.assign(email=emails)
    extra = frame.sample(200, random_state=1).assign(amount=lambda part: -part["amount"] / 2)  # same-day refunds
    later = frame.sample(50, random_state=2).assign(date=lambda part: part["date"] + pd.Timedelta(days=3), amount=-5.0)
    return pd.concat([frame, extra, later], ignore_index=True)


def assert_same_summary(expected: pd.DataFrame, found: pd.DataFrame) -> None:
    exact = [name for name in expected.columns if name not in MONEY]
    pd.testing.assert_frame_equal(found[exact], expected[exact], check_exact=True)
    pd.testing.assert_frame_equal(found[list(MONEY)], expected[list(MONEY)], check_exact=False, rtol=MONEY_TOLERANCE, atol=0)


def write(frame: pd.DataFrame, path, kind: str):
    if kind == "csv":
        frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path / "orders.csv", index=False)
        return path / "orders.csv"
    parts = path / "parts"
    parts.mkdir()
    shuffled = frame.sample(frac=1, random_state=0)
    for number, rows in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        shuffled.iloc[rows].to_parquet(parts / f"part-{number}.parquet", index=False)
    return parts


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("holdout", [False, True])
def test_synthetic_summary_equals_the_pandas_path(tmp_path, kind, holdout):
    frame = messy_orders()
    path = write(frame, tmp_path, kind)
    options = {"time_unit": "week", "calibration_end": CALIBRATION_END,
               "holdout_end": pd.Timestamp("1998-03-31") if holdout else None}
    csv = write(frame, tmp_path, "csv") if kind == "parquet" else path
    expected = summarize(read_orders(csv), **options)
    found = summarize_orders(path, memory_mib=64, **options)
    assert len(found) == 600 and found["email"].notna().any() and found["frequency_holdout"].sum() > 0
    assert_same_summary(expected, found)
    assert found.attrs["calibration_end"] == CALIBRATION_END


def test_cdnow_summary_equals_the_pandas_path(tmp_path):
    path = write(read_cdnow(), tmp_path, "csv")
    for options in ({"calibration_end": CALIBRATION_END}, {}):
        expected = summarize(read_orders(path), time_unit="week", **options)
        assert_same_summary(expected, summarize_orders(path, time_unit="week", **options))


@pytest.mark.parametrize(
    "text, message",
    [
        ("customer_id,day,amount\nA,2024-01-01,1\n", "missing column(s) date; the header has customer_id, day, amount"),
        ("customer_id,date,amount\nA,2024-01-01,1\nB,yesterday,2\n", "date 'yesterday' is not a date"),
        ("customer_id,date,amount\nA,2024-01-01,ten\n", "amount 'ten' is not a number"),
        ("customer_id,date,amount\nA,2024-01-01,inf\n", "amount 'inf' is not a number"),
        ("customer_id,date,amount\nA,2024-01-01,\n", "amount '' is not a number"),
        ("customer_id,date,amount\n,2024-01-01,1\n", "1 order(s) have no customer id"),
        ("customer_id,date,amount\n", "no orders below the header"),
    ],
)
def test_bad_orders_are_named(tmp_path, text, message):
    path = tmp_path / "orders.csv"
    path.write_text(text)
    with pytest.raises(OrdersError) as info:
        summarize_orders(path)
    assert f"{path}: {message}" in str(info.value) and "\n" not in str(info.value)


def test_a_directory_without_orders(tmp_path):
    with pytest.raises(OrdersError, match="no .parquet or .csv files"):
        summarize_orders(tmp_path)


def test_fit_from_a_directory_of_parquet_parts(env, redis, tmp_path):
    frame = synthetic_orders()
    parts = write(frame, tmp_path, "parquet")
    whole = write(frame, tmp_path, "csv")
    result = run(env, "clv", "fit", str(parts), *CALIBRATION, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stored"] == CustomerStore(redis).count() == frame["customer_id"].nunique()
    assert report["calibration_end"] == "1997-09-30"
    in_memory = json.loads(run(env, "clv", "fit", str(whole), *CALIBRATION, "--json", "--no-store").stdout)
    for name in ("r", "alpha", "a", "b", "loglik"):
        assert report["bgnbd"][name] == pytest.approx(in_memory["bgnbd"][name], rel=1e-9)
