"""Scores for every customer from a fitted model: a pure function of (model, summary partition), so it
runs unchanged on one machine or per partition of a Dask or Spark dataframe.

Residual CLV = margin × expected spend per order × expected purchases from now on, each discounted
continuously at the annual rate, over the customer's whole remaining lifetime unless a horizon is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvdesk.clv import bgnbd, gamma_gamma, pareto
from clvdesk.clv.discount import continuous_rate
from clvdesk.clv.model import ClvModel
from clvdesk.clv.rows import compress
from clvdesk.defaults import CLV_EXPECTED_PURCHASES_DAYS, CLV_TIME_UNIT_DAYS

SCORE_COLUMNS = ("p_alive", "expected_purchases_1y", "expected_spend", "residual_purchases", "residual_clv", "total_clv")
MODEL_SCORES = tuple(name for name in SCORE_COLUMNS if name != "total_clv")  # total_clv also holds the historical spend
NON_NEGATIVE = ("expected_purchases_1y", "expected_spend", "residual_purchases", "residual_clv")


class ScoreError(ValueError):
    """Scores that must not be stored or served: the message says how many customers and what to try."""


@dataclass(frozen=True)
class Money:
    """How purchases become value: margin share, annual discount rate, acquisition cost per customer."""

    margin: float
    annual_discount_rate: float
    cac: float = 0.0


def score(model: ClvModel, summary: pd.DataFrame, money: Money, *, horizon_days: float | None = None) -> pd.DataFrame:
    """The summary with SCORE_COLUMNS added, same index and order.

    p_alive: probability the customer has not dropped out; expected_purchases_1y: purchases expected in
    the next 365 days; expected_spend: amount of one future order; residual_purchases: discounted
    purchases from now on (to `horizon_days`, default the whole lifetime); residual_clv: their margin;
    total_clv: margin on historical spend plus residual_clv.
    """
    purchases = model.purchase_model
    params = purchases.params_of(model.purchases)
    rows = compress(*(summary[name].to_numpy() for name in ("frequency", "recency", "T")))
    alive = purchases.p_alive(params, rows.x, rows.t_x, rows.T)

    # Given alive, the future depends on (frequency, T) only: integrate once per distinct pair.
    pair_of_row, pairs = pd.factorize(rows.x_code * rows.T_values.size + rows.T_code)
    x = rows.x_values[pairs // rows.T_values.size]
    T = rows.T_values[pairs % rows.T_values.size]
    lifetime, year = (values[pair_of_row] for values in future_purchases(model, money, horizon_days, x, T))

    spend = gamma_gamma.expected_spend(gamma_gamma.params_of(model.spend), summary["frequency"].to_numpy(),
                                       summary["monetary_value"].to_numpy())
    residual_purchases = rows.broadcast(alive * lifetime)
    residual_clv = money.margin * spend * residual_purchases
    return summary.assign(
        p_alive=rows.broadcast(alive),
        expected_purchases_1y=rows.broadcast(alive * year),
        expected_spend=spend,
        residual_purchases=residual_purchases,
        residual_clv=residual_clv,
        total_clv=money.margin * summary["historical_spend"].to_numpy() + residual_clv,
    )


def future_purchases(model: ClvModel, money: Money, horizon_days: float | None, x, T) -> tuple[np.ndarray, np.ndarray]:
    """(discounted purchases to the horizon, undiscounted purchases in the next 365 days) of customers
    alive at T with x repeat purchases: the part of every score that depends on the money and the horizon."""
    unit_days = CLV_TIME_UNIT_DAYS[model.time_unit]
    purchases = model.purchase_model
    params = purchases.params_of(model.purchases)
    delta = continuous_rate(money.annual_discount_rate, unit_days)
    horizon = np.inf if horizon_days is None else horizon_days / unit_days
    return (purchases.purchases_if_alive(params, x, T, delta=delta, horizon=horizon),
            purchases.purchases_if_alive(params, x, T, horizon=CLV_EXPECTED_PURCHASES_DAYS / unit_days))


def invalid_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Per customer and column, True where a score (or the historical spend stored beside them) is not
    finite, p_alive is outside [0, 1] or an expected count or amount is negative."""
    values = scores[[*SCORE_COLUMNS, "historical_spend"]].astype("float64")
    bad = ~np.isfinite(values)
    bad["p_alive"] |= ~values["p_alive"].between(0, 1)
    bad[list(NON_NEGATIVE)] |= values[list(NON_NEGATIVE)] < 0
    return bad


def check_scores(scores: pd.DataFrame, model: ClvModel, *, customers: int | None = None, invalid: int | None = None) -> None:
    """ScoreError unless no score is invalid (invalid_scores): run before anything is stored or reported.
    Where `scores` holds only suspects (the Spark engine's), `customers` and `invalid` give the totals."""
    bad = invalid_scores(scores)
    rows = bad.any(axis=1)
    if rows.any():
        named = ", ".join(bad.columns[bad.any(axis=0)])
        if bad[list(MODEL_SCORES)].to_numpy().any():
            other = bgnbd.MODEL if model.purchases.model == pareto.MODEL else pareto.MODEL  # MBG/NBD shares BG/NBD's numerics
            advice = f"try --model {other} or a longer calibration period"
        else:
            advice = "their historical spend does not add up to a finite amount: check their order amounts"
        raise ScoreError(
            f"{model.purchase_model.TITLE} gave {invalid or int(rows.sum()):,} of {customers or len(scores):,} customers no valid score "
            f"({named} not finite or out of range); nothing stored: {advice}"
        )


def customer_equity(scores: pd.DataFrame, money: Money) -> float:
    """The portfolio's CLV net of acquisition cost: Σ total CLV − CAC × customers."""
    return float(scores["total_clv"].sum() - money.cac * len(scores))
