"""Customers drawn from the BG/NBD (or MBG/NBD) and Gamma-Gamma processes with known parameters, recorded at day
resolution as a real order export would be: for checking that fits recover what generated the data."""

from __future__ import annotations

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
