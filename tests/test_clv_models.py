"""The models against independent formulas: finite differences for the gradients, Fader–Hardie closed
forms and Monte Carlo for the predictions, and parameter recovery on data drawn from the model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln, hyp2f1, hyperu

from clvdesk.clv import bgnbd, gamma_gamma, pareto
from clvdesk.clv.fitting import Fit, FitError
from clvdesk.clv.model import ClvModel
from clvdesk.clv.rows import compress
from clvdesk.clv.simulate import simulate_summary

TRUE_BGNBD = bgnbd.BgNbdParams(0.243, 4.414, 0.793, 2.426)
TRUE_SPEND = gamma_gamma.GammaGammaParams(6.25, 3.74, 15.44)
PARETO = pareto.ParetoParams(0.55, 10.58, 0.61, 11.67)
BOUNDARY_BGNBD = bgnbd.BgNbdParams(0.5, 5.0, 5e-5, 480.0)  # a shop with almost no drop-out (issue #13)
WEEKLY_10_PERCENT = np.log(1.1) / 52
DAILY_10_PERCENT = np.log(1.1) / 365.25


@pytest.fixture(scope="module")
def customers():
    return simulate_summary(100_000, TRUE_BGNBD, TRUE_SPEND, seed=7)


@pytest.fixture(scope="module")
def rows(customers):
    return compress(customers["frequency"], customers["recency"], customers["T"])


def finite_difference(objective, theta, step=1e-6):
    return np.array([(objective(theta + step * e)[0] - objective(theta - step * e)[0]) / (2 * step) for e in np.eye(theta.size)])


@pytest.mark.parametrize("module, params", [(bgnbd, (0.5, 3.0, 1.2, 4.0)), (pareto, (0.8, 6.0, 0.4, 20.0)), (pareto, (0.3, 20.0, 1.5, 2.0))])
def test_purchase_model_gradients_are_exact(rows, module, params):
    objective = module._objective(rows)
    theta = np.log(params)
    _, gradient = objective(theta)
    np.testing.assert_allclose(gradient, finite_difference(objective, theta), rtol=1e-6, atol=1e-9)


def test_gamma_gamma_gradient_is_exact(customers):
    buyers = customers[customers["frequency"] > 0]
    x_code, x_values = np.unique(buyers["frequency"].to_numpy(), return_inverse=True)[::-1]
    objective = gamma_gamma._objective(x_values.astype(float), x_code, buyers["monetary_value"].to_numpy(), np.ones(len(buyers)))
    theta = np.log([4.0, 3.0, 10.0])
    np.testing.assert_allclose(objective(theta)[1], finite_difference(objective, theta), rtol=1e-6, atol=1e-9)


def test_bgnbd_recovers_the_parameters_that_made_the_data(rows):
    fitted = bgnbd.fit(rows)
    for name, true in TRUE_BGNBD._asdict().items():
        assert abs(fitted.params[name] - true) < 4 * fitted.se[name], name


def test_gamma_gamma_recovers_the_parameters_that_made_the_data(customers):
    fitted = gamma_gamma.fit(customers["frequency"], customers["monetary_value"])
    for name, true in TRUE_SPEND._asdict().items():
        assert abs(fitted.params[name] - true) < 4 * fitted.se[name], name


def test_compressed_rows_give_the_per_customer_likelihood(customers, rows):
    assert rows.weight.sum() == len(customers) and rows.x.size < len(customers) / 2
    each = compress(customers["frequency"], customers["recency"], customers["T"] + np.arange(len(customers)) * 1e-9)
    theta = np.log(TRUE_BGNBD)
    assert bgnbd._objective(rows)(theta)[0] == pytest.approx(bgnbd._objective(each)(theta)[0], rel=1e-6)


def fhl_expected_purchases(params, t, x, t_x, T):
    """Fader, Hardie & Lee (2005) eq. 10."""
    r, alpha, a, b = params
    k = r + x
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** k * hyp2f1(k, b + x, a + b + x - 1, t / (alpha + T + t)))
    return head / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** k)


def test_bgnbd_expected_purchases_match_the_closed_form():
    x = np.array([0.0, 1, 2, 5, 10, 30])
    t_x = np.array([0.0, 30, 20, 35, 38, 38.5])
    T = np.full(6, 38.86)
    for t in (1.0, 39.0, 52.0):
        np.testing.assert_allclose(bgnbd.expected_purchases(TRUE_BGNBD, t, x, t_x, T), fhl_expected_purchases(TRUE_BGNBD, t, x, t_x, T), rtol=1e-9)


@pytest.mark.parametrize("params, delta, x, T", [
    (TRUE_BGNBD, WEEKLY_10_PERCENT, 0, 38.86), (TRUE_BGNBD, WEEKLY_10_PERCENT, 5, 20.0), (TRUE_BGNBD, WEEKLY_10_PERCENT, 200, 300.0),
    (BOUNDARY_BGNBD, DAILY_10_PERCENT, 0, 3.0), (BOUNDARY_BGNBD, DAILY_10_PERCENT, 12, 300.0),
    (bgnbd.BgNbdParams(0.243, 4.414, 0.793, 480.0), DAILY_10_PERCENT, 3, 30.0),
])
def test_bgnbd_lifetime_purchases_match_monte_carlo(params, delta, x, T):
    """Given alive, a customer with rate λ and drop-out p makes λ/(δ + pλ) discounted purchases."""
    r, alpha, a, b = params
    rng = np.random.default_rng(1)
    rate = rng.gamma(r + x, 1 / (alpha + T), 2_000_000)
    dropout = rng.beta(a, b + x, 2_000_000)
    draws = rate / (delta + dropout * rate)
    value = bgnbd.purchases_if_alive(params, np.array([x], dtype=float), np.array([T]), delta=delta)[0]
    assert abs(value - draws.mean()) < 4 * draws.std() / np.sqrt(draws.size)


@pytest.mark.parametrize("params", [TRUE_BGNBD, BOUNDARY_BGNBD, bgnbd.BgNbdParams(0.243, 4.414, 0.793, 480.0),
                                    bgnbd.BgNbdParams(0.5, 0.7, 0.004, 354.0), bgnbd.BgNbdParams(0.5, 5.0, 6e-5, 5441.0)])
def test_bgnbd_drop_out_mixture_equals_hyp2f1_wherever_scipy_is_finite(params):
    """The mixture integral that stands in for scipy's hyp2f1 where it overflows gives the same values
    where it does not, from 1e-3 to 1e6 times α+T, for few and many repeat purchases."""
    r, alpha, a, b = params
    u = np.logspace(-3, 6, 60)
    for x in (0.0, 1.0, 3.0, 30.0, 200.0):
        k, c = r + x, a + b + x
        with np.errstate(all="ignore"):
            closed = (1 + u) ** -a * hyp2f1(a, c - k - 1, c, u / (1 + u))
        finite = np.isfinite(closed)
        mixture = bgnbd._mixture_decay(np.full(u.size, k), a, np.full(u.size, b + x), u)
        np.testing.assert_allclose(mixture[finite], closed[finite], rtol=0, atol=1e-10)
        assert np.all((0 <= mixture) & (mixture <= 1))
        if c > 180 and x < 30:
            assert not finite.all()  # the case this is for: Γ(a+b+x) overflows inside hyp2f1 near z = 1


def test_scores_at_the_no_drop_out_boundary_are_finite():
    """The issue's fit (a ≈ 5e-5, b ≈ 480), with the day as unit: every lifetime value is finite and
    the lifetime exceeds the next year, which exceeds the next week."""
    x = np.array([0.0, 1, 2, 5, 30, 100])
    T = np.array([0.5, 3.0, 30.0, 200.0, 364.0, 365.0])
    lifetime = bgnbd.purchases_if_alive(BOUNDARY_BGNBD, x, T, delta=DAILY_10_PERCENT)
    year = bgnbd.purchases_if_alive(BOUNDARY_BGNBD, x, T, horizon=365.0)
    week = bgnbd.purchases_if_alive(BOUNDARY_BGNBD, x, T, horizon=7.0)
    assert np.all(np.isfinite(lifetime)) and np.all(lifetime > year) and np.all(year > week) and np.all(week > 0)


def test_discounting_and_horizons_order_the_values():
    x, T = np.array([3.0]), np.array([30.0])
    lifetime = bgnbd.purchases_if_alive(TRUE_BGNBD, x, T, delta=WEEKLY_10_PERCENT)
    steeper = bgnbd.purchases_if_alive(TRUE_BGNBD, x, T, delta=2 * WEEKLY_10_PERCENT)
    ten_years = bgnbd.purchases_if_alive(TRUE_BGNBD, x, T, delta=WEEKLY_10_PERCENT, horizon=520.0)
    assert steeper < ten_years < lifetime
    with pytest.raises(ValueError, match="finite horizon"):
        bgnbd.purchases_if_alive(TRUE_BGNBD, x, T)


def pareto_likelihood(params, x, t_x, T):
    """Fader & Hardie (2005, note 009) eq. 22, with its α ≥ β / α < β cases."""
    r, alpha, s, beta = params
    k, big, small = r + s + x, max(alpha, beta), min(alpha, beta)
    b_arg = s + 1 if alpha >= beta else r + x

    def term(t):
        return hyp2f1(k, b_arg, k + 1, (big - small) / (big + t)) / (big + t) ** k

    head = np.exp(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))
    return head * (1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / k * (term(t_x) - term(T)))


@pytest.mark.parametrize("params", [PARETO, pareto.ParetoParams(0.3, 20.0, 1.5, 2.0), pareto.ParetoParams(2.0, 0.5, 0.2, 50.0)])
def test_pareto_likelihood_and_p_alive_match_the_closed_form(params):
    x = np.array([0.0, 1, 3, 10, 40])
    t_x = np.array([0.0, 5, 20, 30, 38])
    T = np.array([38.0, 38, 30, 39, 39])
    alive, died, _ = pareto._bracket(params, x, t_x, T)
    r, alpha, s, beta = params
    ours = np.exp(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, died))
    np.testing.assert_allclose(ours, [pareto_likelihood(params, *row) for row in zip(x, t_x, T)], rtol=1e-9)
    first = np.exp(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)) / ((alpha + T) ** (r + x) * (beta + T) ** s)
    np.testing.assert_allclose(pareto.p_alive(params, x, t_x, T), first / ours, rtol=1e-9)


@pytest.mark.parametrize("x, t", [(0.0, 0.0), (1.0, 0.5), (50.0, 10.0), (300.0, 1.0), (0.0, 100.0)])
def test_pareto_tail_integral_matches_adaptive_quadrature(x, t):
    r, alpha, s, beta = PARETO
    log_J, _ = pareto._log_J(PARETO, np.array([r + x]), np.array([t]))
    integrand = lambda tau: np.exp(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau))  # noqa: E731
    reference = quad(integrand, t, t + 1, epsabs=0, epsrel=1e-13)[0] + quad(integrand, t + 1, np.inf, epsabs=0, epsrel=1e-13, limit=500)[0]
    assert np.exp(log_J[0]) == pytest.approx(reference, rel=1e-9)


def test_pareto_predictions_match_closed_forms():
    r, alpha, s, beta = PARETO
    x, T = np.array([0.0, 4.0, 25.0]), np.array([38.0, 30.0, 39.0])
    alive_value = pareto.purchases_if_alive(PARETO, x, T, delta=WEEKLY_10_PERCENT)
    delta_b = WEEKLY_10_PERCENT * (beta + T)  # Fader, Hardie & Lee (2005, "RFM and CLV"): DERT via Tricomi's U
    np.testing.assert_allclose(alive_value, (r + x) / (alpha + T) * (beta + T) * hyperu(1, 2 - s, delta_b), rtol=1e-9)
    year = pareto.purchases_if_alive(PARETO, x, T, horizon=52.0)
    closed = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - ((beta + T) / (beta + T + 52)) ** (s - 1))
    np.testing.assert_allclose(year, closed, rtol=1e-9)


def test_pareto_fit_is_the_maximum(customers):
    some = customers.sample(5000, random_state=1)
    small = compress(some["frequency"], some["recency"], some["T"])
    fitted = pareto.fit(small)
    objective = pareto._objective(small)
    theta = np.log(list(fitted.params.values()))
    assert np.max(np.abs(objective(theta)[1])) < 1e-6
    for shift in np.eye(4) * 0.01:
        assert objective(theta + shift)[0] > objective(theta)[0] < objective(theta - shift)[0]


def test_too_few_repeat_buyers_is_explained():
    rows = compress(np.r_[np.zeros(500), np.ones(5)], np.r_[np.zeros(500), np.full(5, 3.0)], np.full(505, 10.0))
    for module in (bgnbd, pareto):
        with pytest.raises(FitError, match="only 5 of 505 customers made a repeat purchase"):
            module.fit(rows)
    with pytest.raises(FitError, match="only 5 customers have a repeat purchase with positive spend"):
        gamma_gamma.fit(np.r_[np.zeros(500), np.ones(5)], np.r_[np.zeros(500), np.full(5, 3.0)])


def test_spend_with_an_infinite_mean_is_explained():
    heavy = simulate_summary(20_000, TRUE_BGNBD, gamma_gamma.GammaGammaParams(2.0, 0.6, 10.0), seed=3)
    with pytest.raises(FitError, match=r"q = 0\.\d+ ≤ 1: spend per order has so heavy a tail"):
        gamma_gamma.fit(heavy["frequency"], heavy["monetary_value"])


def test_a_likelihood_without_interior_maximum_is_explained(rows):
    """Customers who all buy at one rate and never drop out: heterogeneity parameters run off."""
    rng = np.random.default_rng(5)
    T = rng.uniform(20, 40, 3000)
    x = rng.poisson(0.5 * T)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0)
    with pytest.raises(FitError, match="grew without bound"):
        bgnbd.fit(compress(x, t_x, T))


def test_a_flat_ridge_at_no_drop_out_is_explained():
    """Almost no one drops out: the likelihood only pins a/(a+b), and the search stalls along the ridge."""
    shop = simulate_summary(200_000, BOUNDARY_BGNBD, TRUE_SPEND, seed=1)
    with pytest.raises(FitError, match=r"^BG/NBD did not converge from 4 starting points: the data show almost no drop-out "
                                       r"\([0-9.e-]+ a purchase\), so a and b cannot be told apart; try --model pareto or a longer calibration period$"):
        bgnbd.fit(compress(shop["frequency"], shop["recency"], shop["T"]))


def test_identical_spend_is_explained():
    with pytest.raises(FitError, match="every repeat buyer spends the same 20"):
        gamma_gamma.fit(np.ones(50), np.full(50, 20.0))


def test_spend_frequency_correlation():
    frequency = np.arange(1, 101, dtype=float)
    assert gamma_gamma.spend_frequency_correlation(frequency, 10 * frequency) == pytest.approx(1.0)
    assert gamma_gamma.spend_frequency_correlation(np.zeros(10), np.zeros(10)) == 0.0


def test_model_round_trips_through_json(rows, customers):
    model = ClvModel(purchases=bgnbd.fit(rows), spend=gamma_gamma.fit(customers["frequency"], customers["monetary_value"]),
                     time_unit="week", calibration_end="2024-01-31")
    again = ClvModel.from_json(model.to_json())
    assert again == model
    assert isinstance(again.purchases, Fit) and again.purchase_model is bgnbd
