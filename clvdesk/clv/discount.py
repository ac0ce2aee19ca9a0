"""The discounted stream of a living customer's future purchases, integrated over the whole remaining
lifetime (or a horizon) by Gauss–Legendre quadrature on a logarithmic time axis.

Residual value = ∫₀^H e^(−δτ) · rate(τ) dτ, where rate(τ) is the expected purchase rate τ after now for a
customer alive now. Each model supplies rate(0) and the decay rate(τ)/rate(0); with τ = scale·(e^v − 1)
the integrand is smooth in v, so a fixed number of nodes reaches double precision, whatever the horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from clvdesk.defaults import CLV_DISCOUNT_TAIL, CLV_QUADRATURE_NODES

Decay = Callable[[np.ndarray], np.ndarray]  # τ (rows × nodes) → rate(τ) / rate(0)


@cache
def legendre_nodes(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights mapped to [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(count)
    return (nodes + 1) / 2, weights / 2


def continuous_rate(annual_rate: float, unit_days: float) -> float:
    """An annual discount rate as a continuous rate per time unit: (1 + d)^(−1 year) = e^(−δ · units)."""
    return float(np.log1p(annual_rate) * unit_days / 365.25)


def discounted_purchases(rate0: np.ndarray, decay: Decay, scale: np.ndarray, delta: float, horizon: float = np.inf) -> np.ndarray:
    """∫₀^horizon e^(−delta·τ) · rate0 · decay(τ) dτ, one value per row.

    `scale` (per row) is the time over which the decay bends, in the model's unit. The integral stops
    where e^(−delta·τ) has fallen below e^(−CLV_DISCOUNT_TAIL); with delta = 0 the horizon must be finite.
    """
    if delta <= 0 and not np.isfinite(horizon):
        raise ValueError("an undiscounted lifetime sum needs a finite horizon")
    scale = np.asarray(scale, dtype="float64")
    reach = min(horizon, CLV_DISCOUNT_TAIL / delta) if delta > 0 else horizon
    span = np.log1p(reach / scale)[:, None]  # v runs over [0, span]
    nodes, weights = legendre_nodes(CLV_QUADRATURE_NODES)
    v = span * nodes
    tau = scale[:, None] * np.expm1(v)
    integrand = np.exp(-delta * tau + v) * decay(tau)  # dτ = scale · e^v dv
    return np.asarray(rate0) * scale * span[:, 0] * (integrand @ weights)
