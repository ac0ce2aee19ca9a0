"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; expressions of Fader & Hardie 2005).

While alive a customer buys at Poisson rate λ ~ Gamma(r, α) and dies at an exponential time with rate
μ ~ Gamma(s, β). The likelihood holds I = ∫ from t_x to T of (α+τ)^−(r+x) (β+τ)^−(s+1) dτ (the customer
died between the last purchase and T). We write I = J(t_x) − J(T) with J(t) the same integral to ∞,
computed once per distinct (x, t) by Gauss–Legendre on y = log(τ + min(α, β)) over the stretch where
the integrand is within e^−40 of its peak; the gradient is differentiated under the integral sign.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from clvdesk.clv.discount import discounted_purchases, legendre_nodes
from clvdesk.clv.fitting import Fit, maximise_likelihood, require_repeat_buyers
from clvdesk.clv.rows import Rows, weighted_sum
from clvdesk.defaults import CLV_DISCOUNT_TAIL, CLV_PARETO_NODES, CLV_PARETO_TAIL_STEPS

MODEL = "pareto"
TITLE = "Pareto/NBD"


class ParetoParams(NamedTuple):
    r: float
    alpha: float
    s: float
    beta: float


NAMES = ParetoParams._fields
_RUNAWAY = {
    "r": "purchase rates look the same for every customer",
    "alpha": "purchase rates look the same for every customer",
    "s": "drop-out rates look the same for every customer",
    "beta": "the data show almost no drop-out; try a longer calibration period",
}


def _log_J(params: ParetoParams, k: np.ndarray, t: np.ndarray):
    """log J(t) per entry, and ∂log J/∂(r, α, s, β) as a (4, n) array; k = r + x."""
    r, alpha, s, beta = params
    c = min(alpha, beta)
    A, B = alpha - c, beta - c  # one of them is 0
    k = k[:, None]

    def phi(y):  # log of the integrand in y, dτ = e^y dy included; written in e^-y so large y cannot overflow
        z = np.exp(-y)
        return -(k + s) * y - k * np.log1p(A * z) - (s + 1) * np.log1p(B * z)

    def slope(y):
        z = np.exp(-y)
        return -(k + s) + k * A * z / (1 + A * z) + (s + 1) * B * z / (1 + B * z)

    y0 = np.log(t + c)[:, None]
    peak = y0
    if B > 0:  # α < β: the integrand may rise before it falls; its peak solves slope = 0
        g = np.clip((1 - k) / (s + 1), 1e-300, 1 - 1e-16)
        peak = np.maximum(y0, np.log(B * g / (1 - g)))
    top = phi(peak)
    end = peak + CLV_DISCOUNT_TAIL / (k + s)  # no closer: the integrand falls at most k+s per unit of y
    for _ in range(CLV_PARETO_TAIL_STEPS):  # Newton towards phi = top − tail; concavity keeps it safe
        end = end - (phi(end) - top + CLV_DISCOUNT_TAIL) / slope(end)
    nodes, weights = legendre_nodes(CLV_PARETO_NODES)
    y = y0 + (end - y0) * nodes
    mass = np.exp(phi(y) - top) * weights
    total = mass.sum(axis=1, keepdims=True)
    log_J = top[:, 0] + np.log(total[:, 0] * (end - y0)[:, 0])
    share = mass / total
    z = np.exp(-y)
    gradient = np.stack([
        -(share * (y + np.log1p(A * z))).sum(axis=1),  # log(α+τ) = y + log(1 + A e^-y)
        -(share * k * z / (1 + A * z)).sum(axis=1),  # 1/(α+τ)
        -(share * (y + np.log1p(B * z))).sum(axis=1),
        -(share * (s + 1) * z / (1 + B * z)).sum(axis=1),
    ])
    return log_J, gradient


def _log_I(log_J_last, grad_last, log_J_end, grad_end):
    """log(J(t_x) − J(T)) and its gradient; −inf (gradient 0) where t_x = T."""
    ratio = np.exp(np.minimum(log_J_end - log_J_last, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_I = log_J_last + np.log1p(-ratio)
        gradient = np.where(ratio < 1, (grad_last - ratio * grad_end) / (1 - ratio), 0.0)
    return log_I, gradient


def _pair_tables(x, t_x, T):
    """Distinct (x, t) over both ends of each row's interval, and where each row's ends are."""
    key = pd.MultiIndex.from_arrays([np.concatenate([x, x]), np.concatenate([t_x, T])])
    codes, distinct = pd.factorize(key)
    n = x.size
    return distinct.get_level_values(0).to_numpy(), distinct.get_level_values(1).to_numpy(), codes[:n], codes[n:]


def _bracket(params: ParetoParams, x, t_x, T, pairs=None):
    """log of alive-at-T and died-after-t_x parts of the likelihood, with the latter's gradient."""
    r, alpha, s, beta = params
    px, pt, last, end = pairs if pairs is not None else _pair_tables(x, t_x, T)
    log_J, grad_J = _log_J(params, r + px, pt)
    log_I, grad_I = _log_I(log_J[last], grad_J[:, last], log_J[end], grad_J[:, end])
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) + log_I
    return alive, died, grad_I


def _objective(rows: Rows):
    w = rows.weight
    total = w.sum()
    x_values = rows.x_values
    weight_per_x = np.bincount(rows.x_code, weights=w, minlength=x_values.size)
    pairs = _pair_tables(rows.x, rows.t_x, rows.T)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = ParetoParams(*np.exp(theta))
        r, alpha, s, beta = params
        alive, died, grad_I = _bracket(params, rows.x, rows.t_x, rows.T, pairs)
        bracket = np.logaddexp(alive, died)
        share2 = w * np.exp(died - bracket)
        share1 = w - share2
        k = r + x_values
        loglik = weight_per_x @ (gammaln(k) - gammaln(r)) + total * (r * np.log(alpha) + s * np.log(beta)) + weighted_sum(w, bracket)
        log_aT, log_bT = np.log(alpha + rows.T), np.log(beta + rows.T)
        gradient = np.array([
            weight_per_x @ (digamma(k) - digamma(r)) + total * np.log(alpha) - weighted_sum(share1, log_aT) + weighted_sum(share2, grad_I[0]),
            total * r / alpha - weighted_sum(share1, (r + rows.x) / (alpha + rows.T)) + weighted_sum(share2, grad_I[1]),
            total * np.log(beta) - weighted_sum(share1, log_bT) + weighted_sum(share2, 1 / s + grad_I[2]),
            total * s / beta - weighted_sum(share1, s / (beta + rows.T)) + weighted_sum(share2, grad_I[3]),
        ]) * np.exp(theta)
        return -loglik / total, -gradient / total

    return objective


def fit(rows: Rows) -> Fit:
    """Maximum-likelihood Pareto/NBD; FitError says why when the data cannot support it."""
    require_repeat_buyers(rows, TITLE)
    rate = rows.purchase_rate
    age = (rows.weight @ rows.T) / rows.weight.sum()
    starts = [(r, r / rate, s, s * age * scale) for r, s, scale in ((1, 1, 1), (0.5, 0.5, 2), (2, 2, 0.5), (0.2, 0.2, 5))]
    return maximise_likelihood(MODEL, TITLE, NAMES, _objective(rows), starts, rows.customers,
                               runaway=lambda name: f"{name} grew without bound: {_RUNAWAY[name]}")


def params_of(fitted: Fit) -> ParetoParams:
    return ParetoParams(**fitted.params)


def p_alive(params: ParetoParams, x, t_x, T) -> np.ndarray:
    """Probability that a customer with this history is still alive at T."""
    x, t_x, T = (np.asarray(v, dtype="float64") for v in (x, t_x, T))
    alive, died, _ = _bracket(params, x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, died))


def purchases_if_alive(params: ParetoParams, x, T, *, delta: float = 0.0, horizon: float = np.inf) -> np.ndarray:
    """Expected purchases after T, discounted at continuous rate delta per unit, up to `horizon` units
    after T, for a customer alive at T: given alive, λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T), so the
    rate τ later is (r+x)/(α+T) · ((β+T)/(β+T+τ))^s."""
    r, alpha, s, beta = params
    x, T = np.asarray(x, dtype="float64"), np.asarray(T, dtype="float64")
    scale = beta + T

    def decay(tau):
        return (1 + tau / scale[:, None]) ** -s

    return discounted_purchases((r + x) / (alpha + T), decay, scale, delta, horizon)


def expected_purchases(params: ParetoParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next t units (undiscounted), given each customer's history."""
    return p_alive(params, x, t_x, T) * purchases_if_alive(params, x, T, horizon=t)
