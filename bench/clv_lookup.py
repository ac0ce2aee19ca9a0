"""Benchmark: what recomputing a customer's values at lookup (clvdesk.clv.fresh) costs per customer.

    python bench/clv_lookup.py [--customers 2000] [--store redis://127.0.0.1:6379/13]

Fits each purchase model on simulated customers, then times, per customer and model: the recomputation
alone (Valuation.values_at, 200 days after the fit), and with --store a CustomerStore.find with as_of
against the same find without it (the stored values, the baseline) in the same run, under a private key
prefix deleted afterwards. Prints microseconds per customer and the ratio.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone

from clvdesk.clv.bgnbd import BgNbdParams
from clvdesk.clv.fresh import Valuation
from clvdesk.clv.gamma_gamma import GammaGammaParams
from clvdesk.clv.model import PURCHASE_MODELS, fit_model
from clvdesk.clv.records import customer_records
from clvdesk.clv.scoring import Money, score
from clvdesk.clv.segments import segment, value_tier
from clvdesk.clv.simulate import simulate_summary

FIT = datetime(2026, 3, 1, tzinfo=timezone.utc)
LATER = FIT + timedelta(days=200)
MONEY = Money(margin=0.3, annual_discount_rate=0.1)
STORE_PREFIX = "clvlookupbench"


def per_customer_us(seconds: float, count: int) -> float:
    return seconds / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--store", help="a Redis URL: also time CustomerStore.find with and without as_of")
    args = parser.parse_args()
    summary = simulate_summary(20_000, BgNbdParams(0.5, 6.0, 0.9, 3.0), GammaGammaParams(6.25, 3.74, 15.44), seed=5, shift=1)
    summary.index = summary.index.astype(str)
    summary["email"] = None
    sample = summary.iloc[: args.customers]
    print(f"{'model':<8} {'values_at µs':>13} {'find µs':>9} {'find+as_of µs':>14} {'ratio':>6}")
    for name in PURCHASE_MODELS:
        model = fit_model(summary, purchase_model=name, time_unit="week", calibration_end=str(FIT.date()))
        valuation = Valuation.of_fit(model, MONEY, None, fitted_at=FIT)
        scores = score(model, summary, MONEY)
        started = time.perf_counter()
        for row in sample.itertuples():
            valuation.values_at(LATER, frequency=row.frequency, recency=row.recency, T=row.T,
                                expected_spend=scores.at[row.Index, "expected_spend"], historical_spend=row.historical_spend)
        alone = per_customer_us(time.perf_counter() - started, len(sample))
        plain = fresh = ratio = float("nan")
        if args.store:
            plain, fresh = time_store(args.store, scores, valuation, sample.index)
            ratio = fresh / plain
        print(f"{name:<8} {alone:>13.1f} {plain:>9.1f} {fresh:>14.1f} {ratio:>6.2f}")


def time_store(url: str, scores, valuation: Valuation, ids) -> tuple[float, float]:
    from clvdesk.connection import connect
    from clvdesk.customers import CustomerStore

    redis = connect(url)
    store = CustomerStore(redis, prefix=STORE_PREFIX)
    labelled = scores.assign(segment=segment(scores, unit_days=7), value_tier=value_tier(scores["residual_clv"]))
    try:
        store.replace_records(customer_records(labelled), valuation=valuation.to_json())
        timings = []
        for as_of in (None, LATER):
            started = time.perf_counter()
            for customer_id in ids:
                store.find(customer_id=customer_id, as_of=as_of)
            timings.append(per_customer_us(time.perf_counter() - started, len(ids)))
        return timings[0], timings[1]
    finally:
        for key in redis.scan_iter(f"{STORE_PREFIX}:*"):
            redis.unlink(key)


if __name__ == "__main__":
    main()
