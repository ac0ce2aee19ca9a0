"""The Spark engine equals the local one (to 1e-9) on CDNOW and on orders drawn from BG/NBD: summaries,
fitted parameters, every score, segment and value tier. One local[2] session serves the whole module."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from clvdesk.clv.model import fit_model
from clvdesk.clv.orders import OrdersError
from clvdesk.clv.scoring import SCORE_COLUMNS, Money, score
from clvdesk.clv.segments import segment, value_tier
from clvdesk.clv.summary import summarize
from tests.shared_files import shared_path
from tests.test_clv_cli import synthetic_orders
from tests.test_clv_reference import CDNOW, read_cdnow

spark_engine = pytest.importorskip("clvdesk.clv.spark_engine", reason="pyspark is the optional extra 'spark'")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning", "ignore::ResourceWarning")

END = pd.Timestamp("1997-09-30")
MONEY = Money(margin=0.3, annual_discount_rate=0.1)
SUMMARY = ("frequency", "recency", "T", "monetary_value", "historical_spend")


@pytest.fixture(scope="module")
def spark():
    started = time.perf_counter()
    session = spark_engine.session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    print(f"Spark session started in {time.perf_counter() - started:.1f} s")
    yield session
    session.stop()


def local_engine(orders: pd.DataFrame, purchase_model: str):
    summary = summarize(orders, time_unit="week", calibration_end=END)
    model = fit_model(summary, purchase_model=purchase_model, time_unit="week", calibration_end=str(END.date()))
    scores = score(model, summary, MONEY)
    return summary, model, scores.assign(segment=segment(scores, unit_days=7).astype(str),
                                         value_tier=value_tier(scores["residual_clv"]).astype(str))


def spark_engine_run(spark, path: str, purchase_model: str):
    summary = spark_engine.summarize(spark_engine.read_orders(spark, path), time_unit="week", calibration_end=END)
    model = spark_engine.fit(summary, purchase_model=purchase_model, time_unit="week", calibration_end=str(END.date()))
    scores = spark_engine.score_all(summary, model, MONEY, horizon_days=None).toPandas().set_index("customer_id").sort_index()
    return model, scores


def assert_engines_agree(spark, orders: pd.DataFrame, path, purchase_model: str):
    orders.assign(date=orders["date"].dt.date).to_parquet(path)
    summary, model, expected = local_engine(orders.assign(email=None), purchase_model)
    started = time.perf_counter()
    spark_model, scores = spark_engine_run(spark, str(path), purchase_model)
    print(f"Spark engine: {len(scores):,} customers in {time.perf_counter() - started:.1f} s")
    assert list(scores.index) == list(expected.index.astype(str))
    for part in (model.purchases, model.spend):
        other = spark_model.purchases if part is model.purchases else spark_model.spend
        for name, value in part.params.items():
            assert other.params[name] == pytest.approx(value, rel=1e-9), name
    for name in (*SUMMARY, *SCORE_COLUMNS):
        np.testing.assert_allclose(scores[name].to_numpy(), expected[name].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    assert (scores["segment"].to_numpy() == expected["segment"].to_numpy()).all()
    assert (scores["value_tier"].to_numpy() == expected["value_tier"].to_numpy()).all()


def test_spark_equals_local_on_synthetic_orders(spark, tmp_path):
    assert_engines_agree(spark, synthetic_orders(), tmp_path / "orders.parquet", "bgnbd")


@pytest.mark.skipif(shared_path(f"{CDNOW}/CDNOW_sample.txt") is None, reason=f"needs ../shared/{CDNOW}/CDNOW_sample.txt, which is not shipped with clvdesk (README: Tests)")
@pytest.mark.parametrize("purchase_model", ["bgnbd", "mbgnbd"])
def test_spark_equals_local_on_cdnow(spark, tmp_path, purchase_model):
    assert_engines_agree(spark, read_cdnow()[["customer_id", "date", "amount"]], tmp_path / "cdnow", purchase_model)


def test_the_command_writes_parquet_and_streams_into_the_store(spark, redis, tmp_path):
    """`clvdesk clv fit --engine spark` in this process, so that it runs on the module's session."""
    from click.testing import CliRunner

    from clvdesk.cli import main
    from clvdesk.customers import CustomerStore

    orders = synthetic_orders(seed=8)
    path, out = tmp_path / "orders.parquet", tmp_path / "scores"
    orders.assign(date=orders["date"].dt.date).to_parquet(path)
    result = CliRunner().invoke(main, ["clv", "fit", str(path), "--engine", "spark", "--model", "mbgnbd",
                                       "--calibration-end", "1997-09-30", "--scores-out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    _, model, expected = local_engine(orders.assign(email=None), "mbgnbd")
    assert report["engine"] == "spark" and report["stored"] == report["customers"] == len(expected)
    assert report["mbgnbd"]["r"] == pytest.approx(model.purchases.params["r"], rel=1e-9)
    written = pd.read_parquet(out).set_index("customer_id").sort_index()
    np.testing.assert_allclose(written["residual_clv"], expected["residual_clv"], rtol=1e-9)
    store = CustomerStore(redis)
    assert store.count() == len(expected)
    customer_id = expected.index[expected["frequency"] > 0][0]
    found = store.find(customer_id=customer_id, as_of=datetime(1997, 9, 30, tzinfo=timezone.utc))
    assert found.residual_clv == pytest.approx(expected.at[customer_id, "residual_clv"], rel=1e-9)
    assert found.segment == expected.at[customer_id, "segment"]


def test_parquet_without_the_columns_is_one_line(spark, tmp_path):
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"customer_id": ["a"], "day": ["1997-01-01"], "amount": [1.0]}).to_parquet(path)
    with pytest.raises(OrdersError, match=r"bad.parquet: missing column\(s\) date; the columns are customer_id, day, amount"):
        spark_engine.read_orders(spark, str(path))


def test_dates_held_as_text_are_read_as_the_local_engine_reads_them(spark, tmp_path):
    """Day-first text (the first date fits either order) gives the summary of the same orders with typed days;
    a file that could be either is refused with the local engine's line, and read as told."""
    orders = synthetic_orders(seed=8)
    top = orders.index[orders["date"].dt.day <= 12][0]
    orders = pd.concat([orders.loc[[top]], orders.drop(index=top)])
    typed, text = tmp_path / "typed.parquet", tmp_path / "text.parquet"
    orders.assign(date=orders["date"].dt.date).to_parquet(typed)
    orders.assign(date=orders["date"].dt.strftime("%d/%m/%Y")).to_parquet(text)
    expected = spark_engine.summarize(spark_engine.read_orders(spark, str(typed)), time_unit="week", calibration_end=END)
    found = spark_engine.summarize(spark_engine.read_orders(spark, str(text)), time_unit="week", calibration_end=END)
    assert sorted(found.collect()) == sorted(expected.collect())

    ambiguous = tmp_path / "ambiguous.parquet"
    orders[orders["date"].dt.day <= 12].assign(date=lambda frame: frame["date"].dt.strftime("%d/%m/%Y")).to_parquet(ambiguous)
    with pytest.raises(OrdersError) as refused:
        spark_engine.read_orders(spark, str(ambiguous))
    assert str(refused.value) == (f"{ambiguous}: every date fits both day-first (%d/%m/%Y) and month-first (%m/%d/%Y); "
                                  "say which with --day-first or --date-format %m/%d/%Y")
    for options in ({"day_first": True}, {"date_format": "%d/%m/%Y"}):
        days = spark_engine.read_orders(spark, str(ambiguous), **options).select("date").toPandas()["date"]
        assert sorted(days) == sorted(orders[orders["date"].dt.day <= 12]["date"].dt.date)


def test_a_calibration_end_after_the_last_order_is_refused_and_stderr_holds_only_that_line(redis_url, tmp_path):
    """`clvdesk clv fit --engine spark` as a user runs it (its own JVM): the refusal of the local engine, and
    none of the JVM's or Spark's notices, which go to CLVDESK_DATA_DIR/spark.log."""
    from tests.test_cli import run

    path = tmp_path / "orders.parquet"
    orders = synthetic_orders(count=50)
    orders.assign(date=orders["date"].dt.strftime("%d/%m/%Y")).to_parquet(path)
    env = {**{name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")},
           "CLVDESK_REDIS_URL": redis_url, "CLVDESK_DATA_DIR": str(tmp_path / "data")}
    result = run(env, "clv", "fit", str(path), "--engine", "spark", "--spark-master", "local[1]",
                 "--calibration-end", "1998-12-31", timeout=600)
    last = orders["date"].max().date()
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"clvdesk: --calibration-end 1998-12-31 is after the last order ({last}); choose a date on or before it, or leave it out"
    ]
    assert (tmp_path / "data" / "spark.log").stat().st_size > 0  # Spark did speak, to its log
