"""Benchmark: orders larger than memory → per-customer summary → fit and scores, on synthetic Parquet parts.

    python -m bench.clv_out_of_core [--lines 10000000 100000000] [--no-polars] [--no-pandas]

For each size it writes that many order lines (PARTS_LINES per Parquet part, LINES_PER_CUSTOMER lines per
customer on average, two years of days, refunds among them) to a temporary directory, then measures in fresh
processes (wall time, peak resident memory): clvdesk's out-of-core summary (DuckDB, memory limit
CLV_OUT_OF_CORE_MEMORY_MIB) followed by the BG/NBD + Gamma-Gamma fit and scores; on the smallest size also
Polars' streaming engine computing the same two group-bys, and the in-memory pandas path (read every line,
clvdesk's pandas summarize) as the baseline. The directory is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.clv_fit_score import peak_mib

LINES_PER_CUSTOMER = 10
PARTS_LINES = 5_000_000
DAYS = 730
FIRST_DAY = np.datetime64("2024-01-01")
REFUND_SHARE = 0.03
MARGIN, ANNUAL_DISCOUNT_RATE = 0.3, 0.1


def generate(folder: Path, lines: int, seed: int = 0) -> None:
    """Order lines with Pareto-like customer activity: a few customers buy often, most once or twice."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    customers = max(lines // LINES_PER_CUSTOMER, 1)
    activity = rng.gamma(0.5, 1.0, customers)
    activity /= activity.sum()
    first_day = rng.integers(0, DAYS, customers)
    folder.mkdir(parents=True)
    for number, start in enumerate(range(0, lines, PARTS_LINES)):
        size = min(PARTS_LINES, lines - start)
        who = rng.choice(customers, size=size, p=activity)
        day = first_day[who] + (rng.random(size) * (DAYS - first_day[who])).astype("int64")
        amount = np.round(rng.gamma(2.0, 20.0, size), 2)
        amount[rng.random(size) < REFUND_SHARE] *= -1
        table = pa.table({"customer_id": pa.array(who, pa.int64()), "date": pa.array(FIRST_DAY + day.astype("timedelta64[D]")),
                          "amount": amount})
        pq.write_table(table, folder / f"part-{number:04d}.parquet")


def duckdb_child(folder: str) -> dict:
    from clvdesk.clv.model import fit_model
    from clvdesk.clv.outofcore import summarize_orders
    from clvdesk.clv.scoring import Money, score

    start = time.perf_counter()
    summary = summarize_orders(folder, time_unit="week")
    summarized, summary_peak = time.perf_counter() - start, peak_mib()
    model = fit_model(summary, purchase_model="bgnbd", time_unit="week")
    scores = score(model, summary, Money(MARGIN, ANNUAL_DISCOUNT_RATE))
    return {"seconds": time.perf_counter() - start, "summary_seconds": summarized, "peak_mib": peak_mib(), "summary_peak_mib": summary_peak,
            "customers": len(summary), "residual_clv_total": float(scores["residual_clv"].sum())}


def polars_child(folder: str) -> dict:
    """The same two group-bys in Polars' streaming engine: per (customer, day), then per customer."""
    import polars as pl

    start = time.perf_counter()
    days = (pl.scan_parquet(f"{folder}/*.parquet")
            .group_by("customer_id", "date")
            .agg(pl.col("amount").sum(), (pl.col("amount") >= 0).any().alias("purchase")))
    bought = days.filter(pl.col("purchase"))
    summary = (bought.group_by("customer_id")
               .agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"), pl.len().alias("days"),
                    pl.col("amount").sum().alias("spend"), pl.col("amount").sort_by("date").first().alias("first_amount"))
               .collect(engine="streaming"))
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib(), "customers": summary.height}


def pandas_child(folder: str) -> dict:
    import pandas as pd

    from clvdesk.clv.summary import summarize

    start = time.perf_counter()
    frame = pd.read_parquet(folder)
    orders = pd.DataFrame({"customer_id": frame["customer_id"].astype(str), "email": None,
                           "date": pd.to_datetime(frame["date"]), "amount": frame["amount"]})
    del frame
    summary = summarize(orders, time_unit="week")
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib(), "customers": len(summary)}


CHILDREN = {"duckdb": duckdb_child, "polars": polars_child, "pandas": pandas_child}


def child(kind: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.clv_out_of_core", "--child", kind, "--data", str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000_000, 100_000_000])
    parser.add_argument("--no-polars", action="store_true")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data)))
        return

    from clvdesk.defaults import CLV_OUT_OF_CORE_MEMORY_MIB

    print(f"DuckDB memory limit {CLV_OUT_OF_CORE_MEMORY_MIB} MiB; {LINES_PER_CUSTOMER} lines per customer on average")
    print(f"{'lines':>13} {'engine':<8} {'customers':>11} {'wall s':>8} {'summary s':>10} {'peak MiB':>9} {'summary MiB':>12}  Parquet")
    smallest = min(args.lines)
    for lines in sorted(args.lines):
        with tempfile.TemporaryDirectory(prefix="clvbench-") as scratch:
            folder = Path(scratch) / "orders"
            start = time.perf_counter()
            generate(folder, lines)
            size = sum(part.stat().st_size for part in folder.iterdir()) / 2**20
            print(f"{lines:>13,} {'(write)':<8} {'':>11} {time.perf_counter() - start:>8.1f} {'':>10} {'':>9} {'':>12}  {size:,.0f} MiB", flush=True)
            kinds = ["duckdb"]
            if lines == smallest:
                kinds += [] if args.no_polars else ["polars"]
                kinds += [] if args.no_pandas else ["pandas"]
            for kind in kinds:
                result = child(kind, folder)
                if "error" in result:
                    print(f"{lines:>13,} {kind:<8} failed: {result['error']}", flush=True)
                    continue
                summary = f"{result['summary_seconds']:>10.1f}" if "summary_seconds" in result else f"{result['seconds']:>10.1f}"
                during = f"{result['summary_peak_mib']:>12,.0f}" if "summary_peak_mib" in result else f"{'':>12}"
                print(f"{lines:>13,} {kind:<8} {result['customers']:>11,} {result['seconds']:>8.1f} {summary} "
                      f"{result['peak_mib']:>9,.0f} {during}", flush=True)
            shutil.rmtree(folder)
    print("duckdb: summary, then fit and scores (wall s and peak MiB are both; summary MiB is the peak once the summary "
          "is in memory, one row per customer); polars: the same group-bys, no fit; "
          "pandas: every line in memory, clvdesk's pandas summary")


if __name__ == "__main__":
    main()
