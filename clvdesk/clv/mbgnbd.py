"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a drop-out chance at the first purchase too.

Under BG/NBD a customer can only drop out after a repeat purchase, so one who bought once is alive with
probability 1 however long ago that was. MBG/NBD flips the drop-out coin after every purchase including
the first: x repeat purchases mean x + 1 flips, p given the history is Beta(a, b + x + 1), and
P(alive) = 1 / (1 + a/(b + x) · ((α+T)/(α+t_x))^(r+x)) for every x. Each expression is BG/NBD's with that
one extra flip, so the work is done by clvdesk.clv.bgnbd with shift 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

from clvdesk.clv import bgnbd
from clvdesk.clv.fitting import Fit
from clvdesk.clv.rows import Rows

MODEL = "mbgnbd"
TITLE = "MBG/NBD"
NAMES = bgnbd.NAMES
SHIFT = 1  # the drop-out flip at the first purchase
MbgNbdParams = bgnbd.BgNbdParams


def _objective(rows: Rows):
    return bgnbd._objective(rows, SHIFT)


def fit(rows: Rows) -> Fit:
    """Maximum-likelihood MBG/NBD; FitError says why when the data cannot support it."""
    return bgnbd.fit(rows, model=MODEL, title=TITLE, shift=SHIFT)


def params_of(fitted: Fit) -> MbgNbdParams:
    return MbgNbdParams(**fitted.params)


def p_alive(params: MbgNbdParams, x, t_x, T) -> np.ndarray:
    """Probability that a customer with this history has not dropped out by T (below 1 for one-time buyers)."""
    return bgnbd.p_alive(params, x, t_x, T, SHIFT)


def purchases_if_alive(params: MbgNbdParams, x, T, *, delta: float = 0.0, horizon: float = np.inf) -> np.ndarray:
    """As bgnbd.purchases_if_alive: a living customer's future is BG/NBD's with p ~ Beta(a, b + x + 1)."""
    r, alpha, a, b = params
    return bgnbd.purchases_if_alive(MbgNbdParams(r, alpha, a, b + SHIFT), x, T, delta=delta, horizon=horizon)


def expected_purchases(params: MbgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next t units (undiscounted), given each customer's history."""
    return p_alive(params, x, t_x, T) * purchases_if_alive(params, x, T, horizon=t)


def purchases_from_start(params: MbgNbdParams, t) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in the first t units of a new customer, b/(a−1) · (1 − (α/(α+t))^r
    ₂F₁(r, b+1; a+b; t/(α+t))) (finite for a > 1; the paper's aggregate forecast)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype="float64")
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
