"""Maximum likelihood shared by every model: multi-start L-BFGS on log-parameters with analytic
gradients, a Newton polish, standard errors from the observed information, and failures that say why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from clvdesk.clv.rows import Rows
from clvdesk.defaults import (
    CLV_FIT_GRADIENT_TOLERANCE,
    CLV_FIT_LINE_SEARCH_HALVINGS,
    CLV_FIT_MAX_ITERATIONS,
    CLV_FIT_POLISH_STEPS,
    CLV_HESSIAN_STEP,
    CLV_MIN_REPEAT_BUYERS,
    CLV_PARAMETER_LIMIT,
    CLV_STALLED_PARAMETER_LIMIT,
)

# Mean negative log-likelihood and its gradient, both with respect to log-parameters.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


class FitError(ValueError):
    """A model could not be fitted; the message says why in terms of the data."""


@dataclass(frozen=True)
class Fit:
    """A fitted model: parameters, log-likelihood, standard errors, for JSON storage."""

    model: str
    params: dict[str, float]
    loglik: float
    customers: int
    se: dict[str, float | None] = field(default_factory=dict)
    starts: int = 1

    def to_dict(self) -> dict:
        return {**self.params, "loglik": self.loglik, "se": self.se, "customers": self.customers, "starts": self.starts}

    @classmethod
    def from_dict(cls, model: str, data: dict, names: Sequence[str]) -> Fit:
        return cls(
            model=model,
            params={name: float(data[name]) for name in names},
            loglik=float(data["loglik"]),
            customers=int(data["customers"]),
            se=dict(data.get("se", {})),
            starts=int(data.get("starts", 1)),
        )


def require_repeat_buyers(rows: Rows, title: str) -> None:
    """FitError unless enough customers bought again to tell purchase rates from drop-out."""
    repeat_buyers = int(rows.weight[rows.x > 0].sum())
    if repeat_buyers < CLV_MIN_REPEAT_BUYERS:
        raise FitError(
            f"only {repeat_buyers} of {rows.customers} customers made a repeat purchase; "
            f"{title} needs at least {CLV_MIN_REPEAT_BUYERS} to estimate purchase and drop-out rates"
        )


def maximise_likelihood(
    model: str,
    title: str,
    names: Sequence[str],
    objective: Objective,
    starts: Sequence[Sequence[float]],
    customers: int,
    *,
    runaway: Callable[[str], str],
    stalled: Callable[[dict[str, float]], str | None] = lambda params: None,
) -> Fit:
    """Try each start until one converges; `runaway(name)` explains a parameter that grows without bound,
    `stalled(params)` (where it can) why the search stopped short at those parameters."""
    reasons: list[str] = []
    for tried, start in enumerate(starts, start=1):
        theta, hessian, reason = _converge(objective, np.log(np.asarray(start, dtype="float64")))
        far = np.log(CLV_PARAMETER_LIMIT) if reason is None else np.log(CLV_STALLED_PARAMETER_LIMIT)
        if np.max(theta) > far:
            reason = runaway(names[int(np.argmax(theta))])
        elif reason is not None:
            reason = stalled(dict(zip(names, map(float, np.exp(theta))))) or reason
        if reason is None and np.min(theta) < -np.log(CLV_PARAMETER_LIMIT):
            reason = f"{names[int(np.argmin(theta))]} shrank towards 0 (the likelihood has no interior maximum)"
        if reason is None:
            value, _ = objective(theta)
            return Fit(
                model=model,
                params=dict(zip(names, map(float, np.exp(theta)))),
                loglik=float(-value * customers),
                customers=customers,
                se=_standard_errors(names, theta, hessian, customers),
                starts=tried,
            )
        reasons.append(reason)
    raise FitError(f"{title} did not converge from {len(starts)} starting points: {reasons[-1]}")


def _converge(objective: Objective, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, str | None]:
    """L-BFGS, then Newton steps until the gradient is flat; returns the last Hessian for the errors."""
    with np.errstate(all="ignore"):
        value, gradient = objective(theta)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return theta, None, "the likelihood is not finite at the starting point"
        result = minimize(objective, theta, jac=True, method="L-BFGS-B",
                          options={"maxiter": CLV_FIT_MAX_ITERATIONS, "gtol": CLV_FIT_GRADIENT_TOLERANCE / 10})
        theta, (value, gradient) = result.x, objective(result.x)
        hessian = None
        for _ in range(CLV_FIT_POLISH_STEPS):
            if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
                return theta, None, "the likelihood became non-finite during the search"
            hessian = _hessian(objective, theta)
            if np.max(np.abs(gradient)) < CLV_FIT_GRADIENT_TOLERANCE:
                return theta, hessian, None
            step = _newton_step(hessian, gradient)
            if step is None:
                break
            theta, value, gradient = _line_search(objective, theta, value, step)
    return theta, hessian, f"the search stopped short of a maximum ({result.message})"


def _newton_step(hessian: np.ndarray, gradient: np.ndarray) -> np.ndarray | None:
    """The Newton step, or None where the curvature is not that of a maximum."""
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    return np.linalg.solve(hessian, gradient)


def _line_search(objective: Objective, theta, value, step):
    """Halve the step until the objective does not get worse (or give up where it stands)."""
    for _ in range(CLV_FIT_LINE_SEARCH_HALVINGS):
        candidate = theta - step
        new_value, new_gradient = objective(candidate)
        if np.isfinite(new_value) and new_value <= value:
            return candidate, new_value, new_gradient
        step = step / 2
    return theta, value, objective(theta)[1]


def _hessian(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Central differences of the analytic gradient, symmetrised."""
    size = theta.size
    hessian = np.empty((size, size))
    for i in range(size):
        shift = np.zeros(size)
        shift[i] = CLV_HESSIAN_STEP
        hessian[i] = (objective(theta + shift)[1] - objective(theta - shift)[1]) / (2 * CLV_HESSIAN_STEP)
    return (hessian + hessian.T) / 2


def _standard_errors(names, theta, hessian, customers) -> dict[str, float | None]:
    """Delta method from log-parameters: se(p) = p · se(log p)."""
    try:
        covariance = np.linalg.inv(hessian * customers)
    except np.linalg.LinAlgError:
        return {name: None for name in names}
    variances = np.diag(covariance)
    return {
        name: float(np.exp(t) * np.sqrt(v)) if v > 0 and np.isfinite(v) else None
        for name, t, v in zip(names, theta, variances)
    }
