"""Customers drawn from the BG/NBD (or MBG/NBD) and Gamma-Gamma processes with known parameters, recorded at day
resolution as a real order export would be: for checking that fits recover what generated the data."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from clvdesk.clv.bgnbd import BgNbdParams
from clvdesk.clv.gamma_gamma import GammaGammaParams


def simulate_summary(
    count: int,
    purchases: BgNbdParams,
    spend: GammaGammaParams,
    *,
    unit_days: float = 7.0,
    acquisition_days: int = 365,
    observed_days: int = 546,
    seed: int = 0,
    shift: int = 0,
) -> pd.DataFrame:
    """A per-customer summary (frequency, recency, T in units of `unit_days`, monetary_value,
    historical_spend) of `count` customers who first bought on a uniform day of the first
    `acquisition_days` and were observed until day `observed_days`. With `shift` 1 the drop-out coin is
    also flipped at the first purchase (MBG/NBD)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = purchases
    first_day = rng.integers(0, acquisition_days, count)
    T_days = observed_days - first_day
    T = T_days / unit_days
    rate = rng.gamma(r, 1 / alpha, count)
    dropout = rng.beta(a, b, count)  # may underflow to 0 for a tiny a: that customer never drops out
    never = np.iinfo("int64").max
    lifetime_purchases = np.where(dropout > 0, rng.geometric(np.maximum(dropout, 1e-300)) - shift, never)  # the repeat purchase after which the customer drops out
    in_window = rng.poisson(rate * T)
    x = np.minimum(in_window, lifetime_purchases)
    repeat = x > 0
    last = np.zeros(count)
    last[repeat] = T[repeat] * rng.beta(x[repeat], in_window[repeat] - x[repeat] + 1)
    recency_days = np.minimum(np.rint(last * unit_days), T_days)

    p, q, gamma = spend
    spend_rate = rng.gamma(q, 1 / gamma, count)
    first_order = rng.gamma(p, 1 / spend_rate)
    mean_repeat = np.zeros(count)
    mean_repeat[repeat] = rng.gamma(p * x[repeat], 1 / (x[repeat] * spend_rate[repeat]))
    return pd.DataFrame(
        {
            "frequency": x.astype("int64"),
            "recency": recency_days / unit_days,
            "T": T,
            "monetary_value": mean_repeat,
            "historical_spend": first_order + x * mean_repeat,
        },
        index=pd.RangeIndex(count, name="customer_id"),
    )


# Parameters near CDNOW's fit: what the benches and tests simulate a shop's customers with.
SHOP_PURCHASES = BgNbdParams(0.5, 6.0, 0.9, 3.0)
SHOP_SPEND = GammaGammaParams(6.25, 3.74, 15.44)


def simulated_fit(count: int, *, purchase_model: str, seed: int, calibration_end: str, margin: float = 0.3,
                  annual_discount_rate: float = 0.1):
    """`count` simulated customers (weekly, MBG/NBD's drop-out at the first purchase too) fitted with
    `purchase_model` and scored as `clv fit` scores them: the fit's Valuation and the scores with segment
    and value tier, ready for a customer store."""
    from clvdesk.clv.fresh import Valuation
    from clvdesk.clv.model import fit_model
    from clvdesk.clv.scoring import Money, score
    from clvdesk.clv.segments import segment, value_tier

    summary = simulate_summary(count, SHOP_PURCHASES, SHOP_SPEND, seed=seed, shift=1)
    summary.index = summary.index.astype(str)
    summary["email"] = None
    model = fit_model(summary, purchase_model=purchase_model, time_unit="week", calibration_end=calibration_end)
    money = Money(margin=margin, annual_discount_rate=annual_discount_rate)
    scores = score(model, summary, money)
    scores = scores.assign(segment=segment(scores, unit_days=7), value_tier=value_tier(scores["residual_clv"]))
    return Valuation.of_fit(model, money, None, fitted_at=datetime.now(timezone.utc)), scores
