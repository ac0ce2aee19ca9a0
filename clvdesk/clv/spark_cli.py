"""`clvdesk clv fit --engine spark`: the Spark engine run from the command line (or by spark-submit), with
its report; imported only for that engine, since pyspark is the optional extra `spark`."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from pathlib import Path

import click
import pandas as pd

from clvdesk.clv.cli import INPUT_ERRORS, _cli, _progress, store_records
from clvdesk.clv.fresh import Valuation
from clvdesk.clv.orders import OrderColumns
from clvdesk.clv.records import CHUNK_BATCHES, customer_records
from clvdesk.clv.report import MODEL_TITLES, _params
from clvdesk.clv.scoring import Money, ScoreError
from clvdesk.clv.segments import SEGMENTS
from clvdesk.clv.summary import fit_end
from clvdesk.defaults import CLV_SPARK_LOG, CUSTOMER_IMPORT_BATCH


def fit_on_spark(orders: str, columns: OrderColumns, *, date_format: str | None, day_first: bool, end: pd.Timestamp | None, time_unit: str, purchase_model: str,
                 money: Money, horizon_days: float | None, amounts: dict[str, float] | None, master: str | None,
                 scores_out: str | None, store: bool, save_model: Path | None, as_json: bool) -> None:
    from pyspark.sql import functions as F

    from clvdesk.clv import spark_engine

    cli = _cli()
    if amounts is not None:
        cli.fail("--tier-amounts: the Spark engine tiers by percentile")
    jvm_log = cli.settings_or_exit().data_dir / CLV_SPARK_LOG
    _progress(f"starting Spark (its log: {jvm_log}) …")
    spark = spark_engine.session(master, jvm_log=jvm_log)
    try:
        frame = spark_engine.read_orders(spark, orders, columns, date_format=date_format, day_first=day_first)
        end = fit_end(end, pd.Timestamp(frame.agg(F.max("date")).first()[0]))
        summary = spark_engine.summarize(frame, time_unit=time_unit, calibration_end=end).persist()
        _progress(f"fitting {MODEL_TITLES[purchase_model]} and Gamma-Gamma on the driver …")
        model = spark_engine.fit(summary, purchase_model=purchase_model, time_unit=time_unit, calibration_end=str(end.date()))
        scores = spark_engine.score_all(summary, model, money, horizon_days=horizon_days).persist()
    except (*INPUT_ERRORS, ScoreError) as exc:
        cli.fail(str(exc))
    customers = scores.count()
    if scores_out:
        _progress(f"writing scores to {scores_out} …")
        scores.write.mode("overwrite").parquet(scores_out)
    totals = scores.agg(*(F.sum(name).alias(name) for name in ("historical_spend", "residual_clv", "total_clv"))).first().asDict()
    equity = totals["total_clv"] - money.cac * customers
    valuation = Valuation.of_fit(model, money, horizon_days, fitted_at=datetime.now(timezone.utc), customer_equity=equity)
    stored = None
    if store:
        batches = spark_engine.local_batches(scores, CUSTOMER_IMPORT_BATCH * CHUNK_BATCHES)
        stored = store_records(cli, itertools.chain.from_iterable(map(customer_records, batches)), customers, valuation)
    if save_model:
        save_model.write_text(model.to_json())
    counts = {name: dict(scores.groupBy(name).count().collect()) for name in ("segment", "value_tier")}
    report = {
        "engine": "spark",
        "customers": customers,
        "time_unit": time_unit,
        "calibration_end": model.calibration_end,
        "horizon": "lifetime" if horizon_days is None else f"{horizon_days:g} days",
        "money": {"margin": money.margin, "annual_discount_rate": money.annual_discount_rate, "cac": money.cac},
        **model.to_dict(),
        "totals": {**totals, "customer_equity": equity},
        "segments": {name: int(counts["segment"].get(name, 0)) for name in SEGMENTS},
        "value_tiers": {name: int(count) for name, count in counts["value_tier"].items()},
        "scores_out": scores_out,
        "stored": stored,
    }
    click.echo(json.dumps(report, indent=2) if as_json else _text(report, model))


def _text(report: dict, model) -> str:
    totals = report["totals"]
    return "\n".join([
        f"{report['customers']:,} customers on Spark; time unit {report['time_unit']}; calibration end {report['calibration_end']}",
        f"{MODEL_TITLES[model.purchases.model]:<12} {_params(model.purchases)}  log-likelihood {model.purchases.loglik:.1f}",
        f"{'Gamma-Gamma':<12} {_params(model.spend)}  on {model.spend.customers:,} repeat buyers",
        f"{'Totals':<12} historical spend {totals['historical_spend']:,.2f}; residual CLV {totals['residual_clv']:,.2f}; "
        f"total CLV {totals['total_clv']:,.2f}; customer equity {totals['customer_equity']:,.2f}",
        f"{'Segments':<12} " + ", ".join(f"{name} {count:,}" for name, count in report["segments"].items()),
        f"{'Scores':<12} " + (f"written to {report['scores_out']}" if report["scores_out"] else "not written (no --scores-out)"),
        f"{'Stored':<12} " + (f"{report['stored']:,} customers (the previous version is replaced)" if report["stored"] is not None else "nothing (--no-store)"),
    ])
