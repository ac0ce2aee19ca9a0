"""The worker's cost of one shop order: ShopUpdater.apply (snapshot, ledger, values from the fitted model,
segment and tier, one atomic commit) on a store `clv fit` loaded with N simulated customers (MBG/NBD, weeks).
Half the orders are repeat purchases of fitted customers, half first orders of new ones.
Usage: python -m bench.shop_apply [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date

from bench.harness import median, percentile, scratch_redis
from clvdesk.clv.records import customer_records
from clvdesk.clv.simulate import simulated_fit
from clvdesk.customers import CustomerStore
from clvdesk.shop.changes import CustomerRef, Order
from clvdesk.shop.updates import ShopUpdater

ORDERS = 400


def main(customers: int = 2000) -> None:
    valuation, scores = simulated_fit(customers, purchase_model="mbgnbd", seed=3, calibration_end="2026-03-01")
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
