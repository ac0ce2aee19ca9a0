"""Gamma-Gamma spend per order (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

Each order's amount ~ Gamma(p, ν), ν ~ Gamma(q, γ) across customers; fitted on customers with at least
one repeat purchase and their mean repeat spend. It assumes spend does not depend on how often one buys.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from clvdesk.clv.fitting import Fit, FitError, maximise_likelihood
from clvdesk.clv.rows import weighted_sum
from clvdesk.defaults import CLV_MIN_REPEAT_BUYERS

MODEL = "gamma_gamma"
TITLE = "Gamma-Gamma"


class GammaGammaParams(NamedTuple):
    p: float
    q: float
    gamma: float


NAMES = GammaGammaParams._fields


def spend_frequency_correlation(frequency, monetary_value) -> float:
    """Pearson correlation of repeat purchases and mean repeat spend among repeat buyers (the model wants ≈ 0)."""
    frequency, monetary_value = np.asarray(frequency, dtype="float64"), np.asarray(monetary_value, dtype="float64")
    buyers = (frequency > 0) & (monetary_value > 0)
    if buyers.sum() < 3 or np.ptp(frequency[buyers]) == 0 or np.ptp(monetary_value[buyers]) == 0:
        return 0.0
    return float(np.corrcoef(frequency[buyers], monetary_value[buyers])[0, 1])


def _objective(x_values, x_code, m, weight):
    total = weight.sum()
    weight_per_x = np.bincount(x_code, weights=weight, minlength=x_values.size)
    log_x = np.log(x_values)
    x_row = x_values[x_code]
    x_log_m = weighted_sum(weight, x_row * np.log(m))
    log_m = weighted_sum(weight, np.log(m))
    weight_x = weight * x_row
    spent = m * x_row  # each customer's total repeat spend

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        px = p * x_values
        log_spent = np.log(gamma + spent)
        per_x = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma) + px * log_x
        spend_x = weighted_sum(weight_x, log_spent)
        spend_1 = weighted_sum(weight, log_spent)
        loglik = weight_per_x @ per_x + p * x_log_m - log_m - p * spend_x - q * spend_1
        d_p = weight_per_x @ (x_values * (digamma(px + q) - digamma(px) + log_x)) + x_log_m - spend_x
        d_q = weight_per_x @ (digamma(px + q) - digamma(q)) + total * np.log(gamma) - spend_1
        d_gamma = total * q / gamma - weighted_sum(p * weight_x + q * weight, 1 / (gamma + spent))
        gradient = np.array([d_p, d_q, d_gamma]) * np.exp(theta)
        return -loglik / total, -gradient / total

    return objective


def fit(frequency, monetary_value) -> Fit:
    """Fit on customers with a repeat purchase and positive mean repeat spend."""
    frequency, monetary_value = np.asarray(frequency, dtype="float64"), np.asarray(monetary_value, dtype="float64")
    buyers = (frequency > 0) & (monetary_value > 0)
    count = int(buyers.sum())
    if count < CLV_MIN_REPEAT_BUYERS:
        raise FitError(
            f"only {count} customers have a repeat purchase with positive spend; "
            f"the spend model needs at least {CLV_MIN_REPEAT_BUYERS}"
        )
    x, m = frequency[buyers], monetary_value[buyers]
    if np.ptp(m) == 0:
        raise FitError(f"every repeat buyer spends the same {m[0]:g} per order; spend has no variation to model")
    x_code, x_values = pd.factorize(x, sort=True)  # mean spends are nearly all distinct: no rows to compress
    objective = _objective(np.asarray(x_values), x_code, m, np.ones(count))
    mean_spend = float(m.mean())
    starts = [(p, q, mean_spend * (q - 1) / p) for p, q in ((1, 2), (5, 4), (0.5, 1.5), (10, 10))]
    fitted = maximise_likelihood(MODEL, TITLE, NAMES, objective, starts, count,
                                 runaway=lambda name: f"{name} grew without bound: spend per order barely varies between customers")
    if fitted.params["q"] <= 1:
        raise FitError(
            f"q = {fitted.params['q']:.3g} ≤ 1: spend per order has so heavy a tail that its average across "
            "customers is infinite; customers without repeat orders cannot be valued (check outlier orders)"
        )
    return fitted


def params_of(fitted: Fit) -> GammaGammaParams:
    return GammaGammaParams(**fitted.params)


def expected_spend(params: GammaGammaParams, frequency, monetary_value) -> np.ndarray:
    """Expected amount of a future order: the population mean γp/(q−1), shrunk towards the customer's
    own mean repeat spend the more repeat orders they made."""
    p, q, gamma = params
    x = np.asarray(frequency, dtype="float64")
    m = np.where(x > 0, np.maximum(np.asarray(monetary_value, dtype="float64"), 0.0), 0.0)
    return p * (gamma + m * x) / (p * x + q - 1)
