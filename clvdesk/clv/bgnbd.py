"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive a customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
probability p ~ Beta(a, b). Fitted on compressed rows with the analytic gradient of the log-likelihood.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from clvdesk.clv.discount import discounted_purchases, legendre_nodes
from clvdesk.clv.fitting import Fit, maximise_likelihood, require_repeat_buyers
from clvdesk.clv.rows import Rows, weighted_sum
from clvdesk.defaults import (
    CLV_BETA_MIXTURE_BISECTIONS,
    CLV_BETA_MIXTURE_NODES,
    CLV_BETA_MIXTURE_PANELS,
    CLV_DISCOUNT_TAIL,
    CLV_NO_DROP_OUT_SHARE,
)

MODEL = "bgnbd"
TITLE = "BG/NBD"


class BgNbdParams(NamedTuple):
    r: float
    alpha: float
    a: float
    b: float


NAMES = BgNbdParams._fields
_MAX_EXP = 700.0  # e^700 is near float64's limit; beyond it log(1 + e^z) is z
_RUNAWAY = {
    "r": "purchase rates look the same for every customer",
    "alpha": "purchase rates look the same for every customer",
    "a": "the data show almost no drop-out; try --model pareto or a longer calibration period",
    "b": "the data show almost no drop-out; try --model pareto or a longer calibration period",
}


def _log_terms(params: BgNbdParams, x, t_x, T, shift: int = 0):
    """log of the two parts of the likelihood's bracket: still alive at T, or dropped out after t_x.
    `shift` is 1 under MBG/NBD, where a customer may also drop out at the first purchase (x + shift coin
    flips in all, so p given the history is Beta(a, b + x + shift))."""
    r, alpha, a, b = params
    k = r + x
    alive = -k * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        dropped = np.where(x + shift > 0, np.log(a) - np.log(np.maximum(b + x + shift - 1, 1e-300)) - k * np.log(alpha + t_x), -np.inf)
    return alive, dropped


def _objective(rows: Rows, shift: int = 0):
    """Mean negative log-likelihood and its gradient in log-parameters; `shift` as in `_log_terms`."""
    x = rows.x_values
    w = rows.weight
    total = w.sum()
    weight_per_x = np.bincount(rows.x_code, weights=w, minlength=x.size)
    repeat = x + shift > 0
    xs = x + shift

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        k = r + x
        log_ratio = np.full(x.size, -np.inf)  # log a/(b+x-1): the odds of having dropped out, per x
        log_ratio[repeat] = np.log(a) - np.log(b + xs[repeat] - 1)
        inv_b = np.zeros(x.size)
        inv_b[repeat] = 1 / (b + xs[repeat] - 1)
        log_T = np.take(np.log(alpha + rows.T_values), rows.T_code)
        log_tx = np.take(np.log(alpha + rows.t_x_values), rows.t_x_code)
        k_row = np.take(k, rows.x_code)
        # bracket = log[(α+T)^-k + a/(b+x-1)·(α+t_x)^-k] = -k·log(α+T) + log(1 + odds)
        log_odds = np.take(log_ratio, rows.x_code) + k_row * (log_T - log_tx)
        odds = np.exp(np.minimum(log_odds, _MAX_EXP))
        bracket = np.where(log_odds < _MAX_EXP, np.log(1 + odds), log_odds) - k_row * log_T
        share2 = w * (odds / (1 + odds))  # weight × share of the "dropped out after t_x" part
        share1 = w - share2
        per_x = gammaln(k) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xs) - betaln(a, b)
        loglik = weight_per_x @ per_x + weighted_sum(w, bracket)
        d_r = weight_per_x @ (digamma(k) - digamma(r) + np.log(alpha)) - weighted_sum(share1, log_T) - weighted_sum(share2, log_tx)
        inv_T = np.take(1 / (alpha + rows.T_values), rows.T_code)
        inv_tx = np.take(1 / (alpha + rows.t_x_values), rows.t_x_code)
        d_alpha = total * r / alpha - weighted_sum(k_row, share1 * inv_T + share2 * inv_tx)
        d_a = weight_per_x @ (digamma(a + b) - digamma(a + b + xs)) + share2.sum() / a
        d_b = weight_per_x @ (digamma(b + xs) - digamma(a + b + xs) - digamma(b) + digamma(a + b)) - weighted_sum(share2, np.take(inv_b, rows.x_code))
        gradient = np.array([d_r, d_alpha, d_a, d_b]) * np.exp(theta)
        return -loglik / total, -gradient / total

    return objective


def fit(rows: Rows, *, model: str = MODEL, title: str = TITLE, shift: int = 0) -> Fit:
    """Maximum-likelihood BG/NBD (MBG/NBD with shift 1); FitError says why when the data cannot support it."""
    require_repeat_buyers(rows, title)
    rate = rows.purchase_rate
    starts = [(r, r / rate * scale, a, b) for r, scale, a, b in ((1, 1, 1, 1), (0.5, 1, 0.5, 2), (2, 3, 2, 5), (0.1, 0.3, 1, 10))]
    return maximise_likelihood(model, title, NAMES, _objective(rows, shift), starts, rows.customers,
                               runaway=lambda name: f"{name} grew without bound: {_RUNAWAY[name]}", stalled=_stalled)


def _stalled(params: dict[str, float]) -> str | None:
    """Where drop-out is almost nil, the likelihood is a flat ridge along a/(a+b) (the mean drop-out chance
    per purchase): a and b cannot be told apart, and the search stalls on the ridge."""
    share = params["a"] / (params["a"] + params["b"])
    if share >= CLV_NO_DROP_OUT_SHARE:
        return None
    return (f"the data show almost no drop-out ({share:.2g} a purchase), so a and b cannot be told apart; "
            "try --model pareto or a longer calibration period")


def params_of(fitted: Fit) -> BgNbdParams:
    return BgNbdParams(**fitted.params)


def p_alive(params: BgNbdParams, x, t_x, T, shift: int = 0) -> np.ndarray:
    """Probability that a customer with this history has not dropped out by T."""
    alive, dropped = _log_terms(params, np.asarray(x, dtype="float64"), np.asarray(t_x, dtype="float64"),
                                np.asarray(T, dtype="float64"), shift)
    return np.exp(alive - np.logaddexp(alive, dropped))


def purchases_if_alive(params: BgNbdParams, x, T, *, delta: float = 0.0, horizon: float = np.inf) -> np.ndarray:
    """Expected purchases after T, discounted at continuous rate delta per unit, up to `horizon` units
    after T, for a customer still alive at T. Given alive, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x);
    the rate τ later is E[λ e^(−pλτ)] = (r+x)/(α+T) · E[(1+pu)^−(r+x+1)], u = τ/(α+T), which is
    ₂F₁(r+x+1, a; a+b+x; −u), computed after Pfaff's transformation as (1+u)^(−a) ₂F₁(a, a+b−r−1; a+b+x;
    u/(1+u)). Near u/(1+u) = 1 scipy's hyp2f1 overflows once a+b+x passes ~171 (Γ of it does): there
    the expectation over p is integrated directly (`_mixture_decay`)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype="float64")
    scale = alpha + np.asarray(T, dtype="float64")
    k = r + x

    def decay(tau):
        u = tau / scale[:, None]
        value = (1 + u) ** -a * hyp2f1(a, a + b - r - 1, a + b + x[:, None], u / (1 + u))
        failed = ~np.isfinite(value)
        if failed.any():
            value[failed] = _mixture_decay(np.broadcast_to(k[:, None], u.shape)[failed], a,
                                           np.broadcast_to(b + x[:, None], u.shape)[failed], u[failed])
        return value

    return discounted_purchases(k / scale, decay, scale, delta, horizon)


def _mixture_decay(k, a, b, u):
    """E[(1+pu)^−(k+1)] for p ~ Beta(a, b), per entry, written 1 − E[h(p)], h = 1 − (1+pu)^−(k+1), so that a
    tiny a (almost no drop-out: nearly all the mass at p ≈ 0, where h ≈ 0) costs no accuracy. Composite
    Gauss–Legendre in y = log(p/(1−p)), where the density is q^a (1+q)^−(a+b) / B(a, b), q = e^y, over the
    stretch where that density is within e^−40 of its peak and h is not below e^−40 (h ≤ (k+1)·q·(1+u))."""
    def softplus(y):
        return np.logaddexp(0.0, y)

    def log_density(y):
        return a * y - (a + b[:, None]) * softplus(y)

    peak = np.log(a / b)[:, None]
    target = log_density(peak) - CLV_DISCOUNT_TAIL
    left = _concave_root(log_density, peak, target, -1.0)
    right = _concave_root(log_density, peak, target, 1.0)
    left = np.maximum(left, -(np.log1p(u) + np.log(k + 1) + CLV_DISCOUNT_TAIL)[:, None])
    right = np.maximum(right, left)
    nodes, weights = legendre_nodes(CLV_BETA_MIXTURE_NODES)
    panels = np.arange(CLV_BETA_MIXTURE_PANELS)[:, None]
    width = (right - left) / CLV_BETA_MIXTURE_PANELS
    y = left + width * (panels + nodes).ravel()
    log_ratio = softplus(y + np.log1p(u)[:, None]) - softplus(y)  # log(1 + pu)
    h = -np.expm1(-(k + 1)[:, None] * log_ratio)
    mass = h * np.exp(log_density(y) - betaln(a, b)[:, None])
    return np.clip(1 - width[:, 0] * (mass @ np.tile(weights, CLV_BETA_MIXTURE_PANELS)), 0.0, 1.0)


def _concave_root(f, peak, target, direction: float):
    """Where the concave f (per row, largest at `peak`) falls to `target` on the `direction` side of the peak."""
    near, far = peak, peak + direction
    while np.any(above := f(far) > target):
        far = np.where(above, peak + 2 * (far - peak), far)
    for _ in range(CLV_BETA_MIXTURE_BISECTIONS):
        middle = (near + far) / 2
        above = f(middle) > target
        near, far = np.where(above, middle, near), np.where(above, far, middle)
    return far


def expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next t units (undiscounted), given each customer's history."""
    return p_alive(params, x, t_x, T) * purchases_if_alive(params, x, T, horizon=t)
