"""MBG/NBD against independent formulas: the per-customer likelihood and the conditional expectation written
out as Batislam, Denizel & Filiztekin (2007) state them, numerical integration for the new customer's
expected purchases, parameter recovery on data drawn from the model, and lifetimes' ModifiedBetaGeoFitter
on CDNOW (reference values below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import betaln, gammaln, hyp2f1
from scipy.stats import beta as beta_distribution

from clvdesk.clv import bgnbd, gamma_gamma, mbgnbd
from clvdesk.clv.rows import compress
from clvdesk.clv.simulate import simulate_summary
from clvdesk.clv.summary import summarize
from tests.test_clv_models import finite_difference
from tests.test_clv_reference import read_cdnow

TRUE = mbgnbd.MbgNbdParams(0.5, 6.0, 0.9, 3.0)
SPEND = gamma_gamma.GammaGammaParams(6.25, 3.74, 15.44)

# lifetimes 0.11.3 (pip install lifetimes, beside numpy 2.4.6, scipy 1.17.1, pandas 3.1.1; not a clvdesk
# dependency) on CDNOW_sample summarised as in test_clv_reference (weeks, calibration to 1997-09-30):
#   f = ModifiedBetaGeoFitter(); f.fit(summary["frequency"], summary["recency"], summary["T"])
# then, for each (x, t_x, T), f.conditional_probability_alive(x, t_x, T) and
# f.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T); f.expected_number_of_purchases_up_to_time(t).
# Its fit stops at its tolerance 1e-7, so its parameters are checked to 1e-5 and its predictions are
# checked at its own parameters.
LIFETIMES_PARAMS = mbgnbd.MbgNbdParams(0.5248429031495553, 6.18308176439901, 0.8913595172712963, 1.6140029311986195)
LIFETIMES_HISTORIES = [  # x, t_x, T, P(alive), expected purchases in the next 39 weeks
    (0, 0.0, 38.86, 0.38971518607273037, 0.1539542769331822),
    (0, 0.0, 20.0, 0.45914648277212894, 0.28853672889751814),
    (2, 30.43, 38.86, 0.706125699315963, 1.2626692202500804),
    (5, 10.0, 38.86, 0.02529998954370579, 0.09558821225881689),
    (23, 38.57, 38.86, 0.9595490663895853, 14.826862923445226),
]
LIFETIMES_FROM_START = {39.0: 1.1822798470838094, 78.0: 1.803630518032717}


def per_customer_loglik(params, x, t_x, T):
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x + 1) - (r + x) * np.log(alpha + T)
    died = betaln(a + 1, b + x) - (r + x) * np.log(alpha + t_x)
    return head + np.logaddexp(alive, died)


def conditional_expectation(params, t, x, t_x, T):
    """E[Y(t) | x, t_x, T] in the paper's closed form."""
    r, alpha, a, b = params
    k = r + x
    head = (a + b + x) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** k * hyp2f1(k, b + x + 1, a + b + x, t / (alpha + T + t)))
    return head / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** k)


@pytest.fixture(scope="module")
def customers():
    return simulate_summary(100_000, TRUE, SPEND, seed=11, shift=1)


@pytest.fixture(scope="module")
def rows(customers):
    return compress(customers["frequency"], customers["recency"], customers["T"])


def test_likelihood_is_the_papers(rows):
    objective = mbgnbd._objective(rows)
    params = np.array([0.7, 4.0, 1.3, 2.5])
    expected = -(rows.weight @ per_customer_loglik(params, rows.x, rows.t_x, rows.T)) / rows.customers
    assert objective(np.log(params))[0] == pytest.approx(expected, rel=1e-12)


def test_gradient_is_exact(rows):
    objective = mbgnbd._objective(rows)
    theta = np.log([0.7, 4.0, 1.3, 2.5])
    np.testing.assert_allclose(objective(theta)[1], finite_difference(objective, theta), rtol=1e-6, atol=1e-9)


def test_recovers_the_parameters_that_made_the_data(rows):
    fitted = mbgnbd.fit(rows)
    assert fitted.model == "mbgnbd"
    for name, true in TRUE._asdict().items():
        assert abs(fitted.params[name] - true) < 4 * fitted.se[name], name


def test_a_one_time_buyer_fades_under_mbgnbd_but_not_bgnbd():
    T = np.array([1.0, 10.0, 50.0, 100.0])
    zeros = np.zeros_like(T)
    faded = mbgnbd.p_alive(TRUE, zeros, zeros, T)
    assert np.all(np.diff(faded) < 0) and faded[-1] < 0.5
    r, alpha, a, b = TRUE
    np.testing.assert_allclose(faded, 1 / (1 + a / b * ((alpha + T) / alpha) ** r), rtol=1e-12)
    np.testing.assert_array_equal(bgnbd.p_alive(TRUE, zeros, zeros, T), 1.0)


@pytest.mark.parametrize("t", [1.0, 26.0, 520.0])
def test_conditional_expectation_is_the_papers(t):
    x = np.array([0, 0, 1, 4, 12, 30], dtype=float)
    t_x = np.array([0, 0, 3.0, 20.0, 30.0, 38.0])
    T = np.array([5.0, 60.0, 40.0, 39.0, 39.0, 39.0])
    np.testing.assert_allclose(mbgnbd.expected_purchases(TRUE, t, x, t_x, T), conditional_expectation(TRUE, t, x, t_x, T), rtol=1e-9)


@pytest.mark.parametrize("t", [5.0, 39.0, 78.0])
def test_new_customers_expected_purchases_integrate_the_mixture(t):
    r, alpha, a, b = TRUE
    # E[X(t) | p] = (1 − p)/p · (1 − (α/(α + p t))^r) after integrating λ ~ Gamma(r, α) out
    value, _ = quad(lambda p: (1 - p) / p * (1 - (alpha / (alpha + p * t)) ** r) * beta_distribution.pdf(p, a, b), 0, 1,
                    epsabs=1e-12, epsrel=1e-12, limit=200)
    assert mbgnbd.purchases_from_start(TRUE, t) == pytest.approx(value, rel=1e-8)


@pytest.fixture(scope="module")
def cdnow():
    return summarize(read_cdnow(), time_unit="week", calibration_end=pd.Timestamp("1997-09-30"))


def test_cdnow_fit_equals_lifetimes(cdnow):
    fitted = mbgnbd.fit(compress(cdnow["frequency"], cdnow["recency"], cdnow["T"]))
    for name, value in LIFETIMES_PARAMS._asdict().items():
        assert fitted.params[name] == pytest.approx(value, rel=1e-5), name
    # the fit is the maximum: lifetimes' parameters do not score higher
    objective = mbgnbd._objective(compress(cdnow["frequency"], cdnow["recency"], cdnow["T"]))
    assert objective(np.log(list(fitted.params.values())))[0] <= objective(np.log(LIFETIMES_PARAMS))[0]


def test_predictions_equal_lifetimes():
    x, t_x, T, alive, next_39 = map(np.array, zip(*LIFETIMES_HISTORIES))
    np.testing.assert_allclose(mbgnbd.p_alive(LIFETIMES_PARAMS, x, t_x, T), alive, rtol=1e-10)
    np.testing.assert_allclose(mbgnbd.expected_purchases(LIFETIMES_PARAMS, 39.0, x, t_x, T), next_39, rtol=1e-9)
    for t, value in LIFETIMES_FROM_START.items():
        assert mbgnbd.purchases_from_start(LIFETIMES_PARAMS, t) == pytest.approx(value, rel=1e-10)
