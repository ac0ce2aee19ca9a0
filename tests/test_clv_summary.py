"""Orders → per-customer summary: same-day merging, refunds, time units, calibration and holdout, and
input errors that name the problem."""

from __future__ import annotations

import pandas as pd
import pytest

from clvdesk.clv.orders import OrderColumns, OrdersError, read_orders
from clvdesk.clv.summary import SummaryError, check_summary, read_summary, summarize


def orders(*rows):
    """(customer, email, 'YYYY-MM-DD', amount) rows as a read_orders frame."""
    frame = pd.DataFrame(rows, columns=["customer_id", "email", "date", "amount"])
    return frame.assign(date=pd.to_datetime(frame["date"]), amount=frame["amount"].astype(float))


def test_repeat_purchases_recency_age_and_spend():
    summary = summarize(orders(
        ("a", "a@x.com", "2024-01-01", 10),
        ("a", "a@x.com", "2024-01-01", 5),   # same day: one purchase of 15
        ("a", "a@x.com", "2024-01-15", 30),
        ("a", "a@x.com", "2024-01-29", 50),
        ("b", None, "2024-01-22", 20),
    ), time_unit="week", calibration_end=pd.Timestamp("2024-02-05"))
    a, b = summary.loc["a"], summary.loc["b"]
    assert (a["frequency"], a["recency"], a["T"]) == (2, 4.0, 5.0)
    assert a["monetary_value"] == 40  # mean of the repeat purchases 30 and 50; the first is left out
    assert a["historical_spend"] == 95
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 2.0, 0.0)
    assert a["email"] == "a@x.com" and b["email"] is None
    assert "frequency_holdout" not in summary


def test_refunds_lower_spend_but_are_not_purchases():
    summary = summarize(orders(
        ("a", None, "2024-01-01", 100),
        ("a", None, "2024-01-08", -100),  # a refund alone on a day
        ("a", None, "2024-01-15", 60),
        ("a", None, "2024-01-15", -20),   # a refund on a purchase day nets into it
        ("b", None, "2024-01-01", 30),
        ("b", None, "2024-01-03", -30),
    ), time_unit="day")
    a, b = summary.loc["a"], summary.loc["b"]
    assert (a["frequency"], a["recency"], a["monetary_value"], a["historical_spend"]) == (1, 14.0, 40.0, 40.0)
    assert (b["frequency"], b["historical_spend"]) == (0, 0.0)


@pytest.mark.parametrize("unit, days", [("day", 1), ("week", 7), ("month", 365.25 / 12)])
def test_time_units(unit, days):
    summary = summarize(orders(("a", None, "2024-01-01", 1), ("a", None, "2024-03-01", 1), ("a", None, "2024-05-01", 1)),
                        time_unit=unit)
    assert summary.loc["a", "recency"] == pytest.approx(121 / days)
    assert summary.loc["a", "T"] == pytest.approx(121 / days)


def test_calibration_and_holdout():
    data = orders(
        ("a", None, "2024-01-01", 10), ("a", None, "2024-02-01", 10), ("a", None, "2024-03-10", 10), ("a", None, "2024-03-20", 10),
        ("b", None, "2024-03-05", 10),  # first bought after the calibration end: not in the summary
    )
    summary = summarize(data, time_unit="day", calibration_end=pd.Timestamp("2024-03-01"), holdout_end=pd.Timestamp("2024-03-15"))
    assert list(summary.index) == ["a"]
    a = summary.loc["a"]
    assert (a["frequency"], a["T"], a["frequency_holdout"], a["duration_holdout"]) == (1, 60.0, 1, 14.0)


def test_no_purchase_before_the_calibration_end():
    with pytest.raises(SummaryError, match="no purchases on or before 2023-01-01"):
        summarize(orders(("a", None, "2024-01-01", 10)), calibration_end=pd.Timestamp("2023-01-01"))


def write(tmp_path, text, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_dates_in_more_than_one_format(tmp_path):
    frame = read_orders(write(tmp_path, "customer_id,date,amount\nA,2024-01-05 10:30,1\nA,2024-01-06,1\n"))
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-05", "2024-01-06"]


def test_reads_csv_with_configured_columns(tmp_path):
    path = write(tmp_path, "Client,Mail,Day,Total\nC1, Ana@X.com ,20240105,12.5\nC1,,20240106,-2\n")
    frame = read_orders(path, OrderColumns(customer_id="client", email="mail", date="day", amount="total"), date_format="%Y%m%d")
    assert list(frame["customer_id"]) == ["C1", "C1"]
    assert frame["email"].iloc[0] == "ana@x.com" and frame["email"].iloc[1] is None
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-05", "2024-01-06"]
    assert list(frame["amount"]) == [12.5, -2.0]


def test_reads_parquet_and_uses_email_without_an_id_column(tmp_path):
    path = tmp_path / "orders.parquet"
    pd.DataFrame({"email": ["a@x.com", "B@x.com"], "date": [pd.Timestamp("2024-01-01 10:30"), pd.Timestamp("2024-01-02")],
                  "amount": [1.0, 2.0]}).to_parquet(path)
    frame = read_orders(path)
    assert list(frame["customer_id"]) == ["a@x.com", "b@x.com"]
    assert str(frame["date"].iloc[0]) == "2024-01-01 00:00:00"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("customer_id,date\n", "missing column(s) amount; the header has customer_id, date"),
        ("date,amount\n", "missing column(s) customer_id (or email)"),
        ("customer_id,date,amount\n", "no orders below the header"),
        ("customer_id,date,amount\nA,2024-01-01,1\nB,yesterday,2\n", "line 3: date 'yesterday' is not a date"),
        ("customer_id,date,amount\nA,2024-01-01,ten\n", "line 2: amount 'ten' is not a number"),
        ("customer_id,date,amount\nA,2024-01-01,\n", "line 2: amount '' is not a number"),
        ("customer_id,date,amount\n,2024-01-01,1\n", "line 2 has no customer id"),
    ],
)
def test_bad_orders_name_the_problem(tmp_path, text, message):
    with pytest.raises(OrdersError) as info:
        read_orders(write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_orders_file(tmp_path):
    with pytest.raises(OrdersError, match="no such file"):
        read_orders(tmp_path / "nope.csv")


def summary_frame(**columns):
    base = {"customer_id": ["a", "b"], "frequency": [2, 0], "recency": [3.0, 0.0], "T": [5.0, 4.0], "monetary_value": [10.0, 0.0]}
    return pd.DataFrame({**base, **columns})


def test_ready_summary_without_historical_spend():
    summary = check_summary(summary_frame())
    assert list(summary.index) == ["a", "b"]
    assert list(summary["historical_spend"]) == [20.0, 0.0]  # repeat spend only: the first order is unknown


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"frequency": [-1, 0]}, "line 2: frequency -1 is not a whole number ≥ 0"),
        ({"frequency": [1.5, 0]}, "line 2: frequency 1.5 is not a whole number ≥ 0"),
        ({"recency": [6.0, 0.0]}, "line 2: T 5.0 is smaller than recency"),
        ({"recency": [3.0, 1.0]}, "line 3: recency 1.0 is not 0 for a customer without repeat purchases"),
        ({"monetary_value": [10.0, -1.0]}, "line 3: monetary_value -1.0 is negative"),
        ({"T": ["5", "soon"]}, "line 3: T 'soon' is not a number"),
        ({"customer_id": ["a", "a"]}, "customer_id 'a' appears twice"),
    ],
)
def test_bad_summaries_name_the_problem(columns, message):
    with pytest.raises(SummaryError) as info:
        check_summary(summary_frame(**columns))
    assert message in str(info.value)


def test_summary_missing_columns():
    with pytest.raises(SummaryError, match=r"missing column\(s\) T, monetary_value"):
        check_summary(summary_frame().drop(columns=["T", "monetary_value"]))


def test_a_summary_csv_read_with_typed_columns_equals_the_text_reading(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("customer_id,email,frequency,recency,T,monetary_value\n007, Ana@Example.com ,2,3.5,5,10.25\n8,,0,0,4,0\n")
    summary = read_summary(path)
    assert list(summary.index) == ["007", "8"] and list(summary["email"]) == ["ana@example.com", None]
    pd.testing.assert_frame_equal(summary, check_summary(pd.read_csv(path, dtype=str, keep_default_na=False), str(path)))


@pytest.mark.parametrize(
    "rows, message",
    [
        ("A,2,3,5,10\nB,x,0,4,0\n", "line 3: frequency 'x' is not a number"),
        ("A,2,3,5,10\nB,1,0,4, 7\nC,0,1,4,0\n", "line 4: recency 1 is not 0 for a customer without repeat purchases"),
        ("A,2,3,5,10\nA,1,1,4,3\n", "customer_id 'A' appears twice"),
    ],
)
def test_a_bad_summary_csv_quotes_the_cell_and_its_line(tmp_path, rows, message):
    path = tmp_path / "summary.csv"
    path.write_text("customer_id,frequency,recency,T,monetary_value\n" + rows)
    with pytest.raises(SummaryError) as info:
        read_summary(path)
    assert f"{path}: {message}" == str(info.value)
