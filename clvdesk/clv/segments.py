"""Segments named as the business speaks, and value tiers by residual CLV.

Segment rules, first match wins (thresholds in clvdesk/defaults.py):
- below_zero: historical spend ≤ 0 — refunds took back at least what they paid.
- new: no repeat purchase yet and first purchase within the last 90 days.
- champions: likely active (P(alive) ≥ 0.5) and in the top 20% by residual CLV.
- potential_loyalists: likely active repeat buyers not (yet) at the top.
- cant_lose_them: top 20% by historical spend, slipping away (0.2 ≤ P(alive) < 0.5).
- lost_high_value: top 20% by historical spend, probably gone (P(alive) < 0.2).
- lost: anyone else probably gone (P(alive) < 0.2).
- hibernating: everyone else — repeat buyers slipping away who spent little, and one-time buyers the model
  still counts as likely alive.
What P(alive) can say depends on the purchase model: BG/NBD has no drop-out before the first repeat
purchase, so it gives every one-time buyer P(alive) = 1 and never calls one lost however long ago they
bought (they land in hibernating, or champions if their residual CLV is in the top 20%); MBG/NBD and
Pareto/NBD let P(alive) of a one-time buyer fall with time, so a one-time buyer from long ago is lost (or
lost_high_value). The tier rules (clvdesk/data/default_rules.json) read these; the segments never set the
rule tier.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clvdesk.defaults import (
    CLV_ACTIVE_P_ALIVE,
    CLV_HIGH_VALUE_SHARE,
    CLV_LOST_P_ALIVE,
    CLV_NEW_CUSTOMER_DAYS,
    CLV_VALUE_TIER_PERCENTILES,
)
from clvdesk.i18n import english

SEGMENTS = ("below_zero", "new", "champions", "potential_loyalists", "cant_lose_them", "lost_high_value", "lost", "hibernating")
# The English names people read (admin form, server-rendered sidebars), from the language file the
# sidebar and every other language read too (clvdesk/locales/en.json).
SEGMENT_LABELS = english("segments")
LOWEST_VALUE_TIER = "low"


def segment(scores: pd.DataFrame, *, unit_days: float, cutoffs: tuple[float, float] | None = None) -> pd.Series:
    """One segment per customer from frequency, T, historical_spend, p_alive and residual_clv. `cutoffs`:
    the (residual CLV, historical spend) where the top share begins, when `scores` is one partition of all
    customers (default: top_cutoffs of these scores)."""
    alive = scores["p_alive"].to_numpy()
    spend = scores["historical_spend"].to_numpy()
    residual = scores["residual_clv"].to_numpy()
    residual_cut, spend_cut = cutoffs or (top_cutoff(residual), top_cutoff(spend))
    top_residual = (residual >= residual_cut) & (residual > 0)
    top_spend = (spend >= spend_cut) & (spend > 0)
    active = alive >= CLV_ACTIVE_P_ALIVE
    conditions = [
        spend <= 0,
        (scores["frequency"].to_numpy() == 0) & (scores["T"].to_numpy() * unit_days <= CLV_NEW_CUSTOMER_DAYS),
        active & top_residual,
        active & (scores["frequency"].to_numpy() > 0),
        top_spend & (alive >= CLV_LOST_P_ALIVE) & ~active,
        top_spend & (alive < CLV_LOST_P_ALIVE),
        alive < CLV_LOST_P_ALIVE,
    ]
    codes = np.select(conditions, np.arange(len(SEGMENTS) - 1), default=len(SEGMENTS) - 1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=SEGMENTS), index=scores.index, name="segment")


TOP_QUANTILE = 1 - CLV_HIGH_VALUE_SHARE  # the top share begins at this quantile (linear interpolation)


def top_cutoff(values: np.ndarray) -> float:
    """Where the CLV_HIGH_VALUE_SHARE of customers with the highest values begins."""
    return float(np.quantile(values, TOP_QUANTILE)) if values.size else np.inf


def value_tier(residual_clv: pd.Series, *, amounts: Mapping[str, float] | None = None) -> pd.Series:
    """Tier by residual CLV: at or above each tier's amount, highest first; by default the amounts are
    the percentiles of CLV_VALUE_TIER_PERCENTILES (top 5%, next 15%, next 30%); the rest are 'low'."""
    values = residual_clv.to_numpy()
    if amounts is None:
        amounts = {name: float(np.percentile(values, cut)) for name, cut in CLV_VALUE_TIER_PERCENTILES} if values.size else {}
    ordered = sorted(amounts.items(), key=lambda item: -item[1])
    names = [name for name, _ in ordered] + [LOWEST_VALUE_TIER]
    codes = np.select([values >= amount for _, amount in ordered], np.arange(len(ordered)), default=len(ordered))
    return pd.Series(pd.Categorical.from_codes(codes, categories=names), index=residual_clv.index, name="value_tier")
