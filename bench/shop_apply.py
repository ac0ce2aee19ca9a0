"""The worker's cost of one shop order: ShopUpdater.apply (snapshot, ledger, values from the fitted model,
segment and tier, one atomic commit) on a store `clv fit` loaded with N simulated customers (MBG/NBD, weeks).
Half the orders are repeat purchases of fitted customers, half first orders of new ones.
Usage: python -m bench.shop_apply [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timezone

from bench.harness import median, percentile, scratch_redis
from clvdesk.clv.bgnbd import BgNbdParams
from clvdesk.clv.fresh import Valuation
from clvdesk.clv.gamma_gamma import GammaGammaParams
from clvdesk.clv.model import fit_model
from clvdesk.clv.records import customer_records
from clvdesk.clv.scoring import Money, score
from clvdesk.clv.segments import segment, value_tier
from clvdesk.clv.simulate import simulate_summary
from clvdesk.customers import CustomerStore
from clvdesk.shop.changes import CustomerRef, Order
from clvdesk.shop.updates import ShopUpdater

ORDERS = 400


def main(customers: int = 2000) -> None:
    summary = simulate_summary(customers, BgNbdParams(0.5, 6.0, 0.9, 3.0), GammaGammaParams(6.25, 3.74, 15.44), seed=3, shift=1)
    summary.index = summary.index.astype(str)
    summary["email"] = None
    model = fit_model(summary, purchase_model="mbgnbd", time_unit="week", calibration_end="2026-03-01")
    money = Money(margin=0.3, annual_discount_rate=0.1)
    scores = score(model, summary, money)
    scores = scores.assign(segment=segment(scores, unit_days=7), value_tier=value_tier(scores["residual_clv"]))
    valuation = Valuation.of_fit(model, money, None, fitted_at=datetime.now(timezone.utc))
    with scratch_redis() as (_, redis, data_dir):
        CustomerStore(redis).replace_records(customer_records(scores), valuation=valuation.to_json())
        updater = ShopUpdater(redis, exports=data_dir / "exports")
        seconds = []
        for n in range(ORDERS):
            who = str(n % customers) if n % 2 else f"new-{n}"
            order = Order("shopify", str(10_000 + n), CustomerRef(who, f"{who}@example.com"), date(2026, 3, 2 + n % 20),
                          20.0 + n, "USD", True)
            started = time.perf_counter()
            updater.apply(order)
            seconds.append(time.perf_counter() - started)
    seconds = seconds[1:]  # the first also samples the population for the cutoffs
    print(f"{customers:,} customers, {len(seconds)} orders: apply p50 {median(seconds) * 1000:.1f} ms, "
          f"p95 {percentile(seconds, 0.95) * 1000:.1f} ms")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
