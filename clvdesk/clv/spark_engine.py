"""The Spark engine (`clvdesk clv fit --engine spark`): orders to scores on a Spark cluster, same numbers.

Spark builds the per-customer summary from Parquet orders (any path Spark reads: local, HDFS, s3a://),
exactly as clvdesk.clv.summary does; the driver collects only what the fit needs — the distinct
(frequency, recency, T) with their counts, and the repeat buyers' (frequency, mean spend) — and fits once
with the local fitters; every partition is then scored with mapInPandas by the same scoring and segment
functions, the top-share and tier cut-offs taken as exact percentiles over all customers.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from clvdesk.clv.dates import Misfit, choose, parse_dates
from clvdesk.clv.model import ClvModel, fit_rows
from clvdesk.clv.orders import OrderColumns, OrdersError
from clvdesk.clv.rows import compress
from clvdesk.clv.scoring import SCORE_COLUMNS, Money, check_scores, invalid_scores, score
from clvdesk.clv.segments import TOP_QUANTILE, segment, value_tier
from clvdesk.clv.summary import SummaryError
from clvdesk.defaults import CLV_SPARK_APP_NAME, CLV_SPARK_INVALID_SAMPLE, CLV_TIME_UNIT_DAYS, CLV_VALUE_TIER_PERCENTILES

SUMMARY_SCHEMA = ("customer_id string, email string, frequency long, recency double, T double, monetary_value double, "
                  "historical_spend double")
SCORES_SCHEMA = SUMMARY_SCHEMA + "".join(f", {name} double" for name in SCORE_COLUMNS) + ", invalid boolean"
OUTPUT_SCHEMA = SCORES_SCHEMA.replace(", invalid boolean", "") + ", segment string, value_tier string"
# pyspark warns that it does not fully support pandas 3; what this engine uses is tested equal to the local engine
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


def session(master: str | None = None, *, jvm_log: Path | None = None) -> SparkSession:
    """The running session (spark-submit's) or a new one; a local master runs its Python workers on this
    interpreter, so they see the same clvdesk and libraries. A JVM started here writes its log (Spark's
    warnings, the JVM's notices) to `jvm_log` instead of the command's stderr."""
    builder = SparkSession.builder.appName(CLV_SPARK_APP_NAME).config("spark.sql.session.timeZone", "UTC")  # days as the local engine counts them
    builder = builder.config("spark.ui.showConsoleProgress", "false")  # a progress bar is no line of the command's
    if master:
        builder = builder.master(master)
    if master is None or master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its INFO records (connections opened, closed) are no news
    if jvm_log is None:
        return builder.getOrCreate()
    with _stderr_to(jvm_log):  # the JVM (and the Python workers it starts) keep the stderr they start with
        return builder.getOrCreate()


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def read_orders(spark: SparkSession, path: str, columns: OrderColumns = OrderColumns(), *, date_format: str | None = None,
                day_first: bool = False) -> DataFrame:
    """customer_id, email (or null), date (a day), amount, from Parquet; OrdersError naming what is missing.
    Dates held as text are read as the local engine reads them (clvdesk.clv.dates)."""
    raw = spark.read.parquet(path)
    present = {name.casefold(): name for name in raw.columns}
    wanted = {role: present.get(getattr(columns, role).casefold()) for role in ("customer_id", "email", "date", "amount")}
    missing = [getattr(columns, role) for role in ("date", "amount") if wanted[role] is None]
    if wanted["customer_id"] is None and wanted["email"] is None:
        missing.insert(0, f"{columns.customer_id} (or {columns.email})")
    if missing:
        raise OrdersError(f"{path}: missing column(s) {', '.join(missing)}; the columns are {', '.join(raw.columns)}")
    email = F.lower(F.trim(F.col(wanted["email"]).cast("string"))) if wanted["email"] else F.lit(None).cast("string")
    customer = F.trim(F.col(wanted["customer_id"]).cast("string")) if wanted["customer_id"] else email
    orders = raw.select(customer.alias("customer_id"), F.when(email != "", email).alias("email"),
                        _days(raw, wanted["date"], columns.date, path, date_format=date_format, day_first=day_first).alias("date"),
                        F.col(wanted["amount"]).cast("double").alias("amount"))
    unusable = orders.where(F.col("customer_id").isNull() | (F.col("customer_id") == "") | F.col("date").isNull()
                            | F.col("amount").isNull() | F.isnan("amount")).count()
    if unusable:
        raise OrdersError(f"{path}: {unusable:,} orders without a customer, a readable date or a numeric amount")
    return orders


def _days(raw: DataFrame, column: str, name: str, path: str, *, date_format: str | None, day_first: bool):
    if dict(raw.dtypes)[column] == "date" or dict(raw.dtypes)[column].startswith("timestamp"):
        return F.to_date(F.col(column))
    text = F.coalesce(F.trim(F.col(column).cast("string")), F.lit(""))
    dates = SparkDates(raw.select(text.alias("v")))
    return F.to_date(_reader(choose(dates, name=name, path=path, date_format=date_format, day_first=day_first))(text))


class SparkDates:
    """The orders' date text on Spark (clvdesk.clv.dates.DateColumn), parsed by the local engine's own
    function in pandas UDFs, so that both read every value alike; every format is counted in one job."""

    def __init__(self, frame: DataFrame):
        self.frame = frame  # one column, v

    def misfits(self, formats: list[str], *, limit: int | None = None) -> dict[str, Misfit | None]:
        if not formats:
            return {}
        rows = self.frame if limit is None else self.frame.limit(limit)
        marked = rows.select("v", _misses(formats)("v").alias("missed"))
        counts = []
        for i in range(len(formats)):
            missed = F.shiftright("missed", i).bitwiseAND(1) == 1
            counts += [F.count(F.when(missed, 1)), F.min(F.when(missed, F.col("v")))]
        found = marked.agg(*counts).first()
        return {date_format: Misfit(found[2 * i], found[2 * i + 1]) if found[2 * i] else None
                for i, date_format in enumerate(formats)}

    def same_days(self, first: str, second: str) -> bool:
        one, other = _reader(first)("v"), _reader(second)("v")
        return self.frame.where(~one.eqNullSafe(other)).limit(1).count() == 0


def _misses(formats: list[str]):
    """A pandas UDF: per value, a bit per format that cannot read it."""
    @F.pandas_udf("long")
    def misses(text: pd.Series) -> pd.Series:
        bits = np.zeros(len(text), dtype="int64")
        for i, date_format in enumerate(formats):
            bits |= parse_dates(text, date_format).isna().to_numpy().astype("int64") << i
        return pd.Series(bits, index=text.index)

    return misses


def _reader(date_format: str):
    """A pandas UDF: the day `date_format` reads in each value (a timestamp at midnight, UTC as the session)."""
    @F.pandas_udf("timestamp")
    def read(text: pd.Series) -> pd.Series:
        return parse_dates(text, date_format)

    return read


def summarize(orders: DataFrame, *, time_unit: str, calibration_end: pd.Timestamp) -> DataFrame:
    """clvdesk.clv.summary.summarize on Spark (customers with a purchase by `calibration_end`)."""
    unit = CLV_TIME_UNIT_DAYS[time_unit]
    end = F.lit(calibration_end.date())
    days = orders.groupBy("customer_id", "date").agg(F.sum("amount").alias("amount"), F.max(F.col("amount") >= 0).alias("purchase"))
    calibration = days.where(F.col("date") <= end)
    bought = calibration.where("purchase").groupBy("customer_id").agg(
        F.min("date").alias("first"), F.max("date").alias("last"), F.count("*").alias("days"),
        F.sum("amount").alias("spent"), F.min_by("amount", "date").alias("first_amount"))
    spend = calibration.groupBy("customer_id").agg(F.sum("amount").alias("historical_spend"))
    emails = orders.where(F.col("email").isNotNull() & (F.col("date") <= end)).groupBy("customer_id").agg(
        F.max_by("email", "date").alias("email"))  # the latest order's
    frequency = F.col("days") - 1
    return bought.join(spend, "customer_id").join(emails, "customer_id", "left").select(
        "customer_id", "email", frequency.cast("long").alias("frequency"),
        (F.datediff("last", "first") / unit).alias("recency"), (F.datediff(end, "first") / unit).alias("T"),
        F.when(frequency > 0, (F.col("spent") - F.col("first_amount")) / frequency).otherwise(0.0).alias("monetary_value"),
        "historical_spend")


def fit(summary: DataFrame, *, purchase_model: str, time_unit: str, calibration_end: str | None) -> ClvModel:
    """The population parameters, fitted once on the driver from what the fit needs of the summary."""
    counts = summary.groupBy("frequency", "recency", "T").count().toPandas()
    if counts.empty:
        raise SummaryError(f"no purchases on or before {calibration_end}")
    rows = compress(counts["frequency"], counts["recency"], counts["T"], weight=counts["count"])
    buyers = summary.where("frequency > 0").select("customer_id", "frequency", "monetary_value").orderBy("customer_id").toPandas()
    return fit_rows(rows, buyers["frequency"], buyers["monetary_value"], purchase_model=purchase_model,
                    time_unit=time_unit, calibration_end=calibration_end)


def score_all(summary: DataFrame, model: ClvModel, money: Money, *, horizon_days: float | None) -> DataFrame:
    """Scores of every customer (mapInPandas over the summary's partitions), checked as the local engine
    checks them: ScoreError before anything is written."""
    def scored(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in parts:
            values = score(model, part.set_index("customer_id"), money, horizon_days=horizon_days)
            yield values.assign(invalid=invalid_scores(values).any(axis=1)).reset_index()

    scores = summary.mapInPandas(scored, schema=SCORES_SCHEMA).persist()
    customers = scores.count()
    invalid = scores.where("invalid").count()
    if invalid:
        check_scores(scores.where("invalid").limit(CLV_SPARK_INVALID_SAMPLE).toPandas(), model, customers=customers, invalid=invalid)

    cuts = [F.percentile("residual_clv", TOP_QUANTILE), F.percentile("historical_spend", TOP_QUANTILE),
            *(F.percentile("residual_clv", cut / 100) for _, cut in CLV_VALUE_TIER_PERCENTILES)]
    residual_cut, spend_cut, *tiers = scores.agg(*cuts).first()
    amounts = {name: float(value) for (name, _), value in zip(CLV_VALUE_TIER_PERCENTILES, tiers)}
    unit_days = CLV_TIME_UNIT_DAYS[model.time_unit]

    def labelled(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in parts:
            part = part.drop(columns="invalid")
            yield part.assign(segment=segment(part, unit_days=unit_days, cutoffs=(residual_cut, spend_cut)).astype(str),
                              value_tier=value_tier(part["residual_clv"], amounts=amounts).astype(str))

    return scores.mapInPandas(labelled, schema=OUTPUT_SCHEMA)


def local_batches(scores: DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """The scores brought to the driver `size` customers at a time, indexed by customer_id (for the store)."""
    batch = []
    for row in scores.toLocalIterator():
        batch.append(row.asDict())
        if len(batch) == size:
            yield pd.DataFrame(batch).set_index("customer_id")
            batch = []
    if batch:
        yield pd.DataFrame(batch).set_index("customer_id")
