"""Scores, segments, value tiers and the load into the customer store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvdesk.clv import bgnbd, gamma_gamma
from clvdesk.clv.model import fit_model
from clvdesk.clv.records import customer_records
from clvdesk.clv.report import top_share_of_revenue
from clvdesk.clv.scoring import SCORE_COLUMNS, Money, ScoreError, check_scores, customer_equity, score
from clvdesk.clv.segments import SEGMENTS, segment, value_tier
from clvdesk.clv.simulate import simulate_summary
from clvdesk.customers import CustomerStore

MONEY = Money(margin=0.3, annual_discount_rate=0.1, cac=5.0)


@pytest.fixture(scope="module")
def summary():
    frame = simulate_summary(20_000, bgnbd.BgNbdParams(0.243, 4.414, 0.793, 2.426), gamma_gamma.GammaGammaParams(6.25, 3.74, 15.44), seed=11)
    frame.index = frame.index.map(lambda i: f"C{i}")
    return frame.assign(email=[f"c{i}@example.com" if i % 2 else None for i in range(len(frame))])


@pytest.fixture(scope="module")
def model(summary):
    return fit_model(summary, purchase_model="bgnbd", time_unit="week")


@pytest.fixture(scope="module")
def scores(model, summary):
    return score(model, summary, MONEY)


def test_scores_equal_the_per_customer_formulas(model, summary, scores):
    params = bgnbd.params_of(model.purchases)
    x, t_x, T = (summary[name].to_numpy(dtype=float) for name in ("frequency", "recency", "T"))
    delta = np.log(1.1) * 7 / 365.25
    alive = bgnbd.p_alive(params, x, t_x, T)
    np.testing.assert_allclose(scores["p_alive"], alive, rtol=1e-12)
    np.testing.assert_allclose(scores["expected_purchases_1y"], bgnbd.expected_purchases(params, 365 / 7, x, t_x, T), rtol=1e-10)
    residual = alive * bgnbd.purchases_if_alive(params, x, T, delta=delta)
    np.testing.assert_allclose(scores["residual_purchases"], residual, rtol=1e-10)
    spend = gamma_gamma.expected_spend(gamma_gamma.params_of(model.spend), x, summary["monetary_value"])
    np.testing.assert_allclose(scores["residual_clv"], 0.3 * spend * residual, rtol=1e-10)
    np.testing.assert_allclose(scores["total_clv"], 0.3 * summary["historical_spend"] + scores["residual_clv"], rtol=1e-12)
    assert list(scores.index) == list(summary.index)


def test_scoring_partitions_gives_the_same_scores(model, summary, scores):
    """What the Dask/Spark recipe relies on: scoring is a pure function of (model, partition)."""
    parts = [score(model, summary.iloc[start:start + 3000], MONEY) for start in range(0, len(summary), 3000)]
    pd.testing.assert_frame_equal(pd.concat(parts), scores, rtol=1e-12)


def test_horizon_and_discount_lower_the_value(model, summary, scores):
    year = score(model, summary, MONEY, horizon_days=365)
    steeper = score(model, summary, Money(margin=0.3, annual_discount_rate=0.3), horizon_days=None)
    assert (year["residual_clv"] < scores["residual_clv"]).all()
    assert (steeper["residual_clv"] < scores["residual_clv"]).all()
    undiscounted_year = year["residual_purchases"] / year["p_alive"]
    assert (undiscounted_year <= scores["expected_purchases_1y"] / scores["p_alive"] + 1e-9).all()


def test_customer_equity_subtracts_acquisition_cost(scores):
    assert customer_equity(scores, MONEY) == pytest.approx(scores["total_clv"].sum() - 5.0 * len(scores))


def test_segment_rules_first_match_wins():
    frame = pd.DataFrame(
        [  # frequency, T (weeks), historical_spend, p_alive, residual_clv, expected segment
            (3, 30, -5.0, 0.9, 900.0, "below_zero"),
            (0, 10, 50.0, 1.0, 900.0, "new"),
            (4, 30, 900.0, 0.9, 950.0, "champions"),
            (2, 30, 40.0, 0.8, 10.0, "potential_loyalists"),
            (5, 30, 1000.0, 0.3, 20.0, "cant_lose_them"),
            (5, 30, 1100.0, 0.1, 5.0, "lost_high_value"),
            (0, 40, 30.0, 1.0, 8.0, "hibernating"),
            (0, 100, 1200.0, 1.0, 30.0, "hibernating"),  # a one-time big spender BG/NBD still counts alive
            (1, 30, 20.0, 0.1, 1.0, "lost"),
            (1, 30, 25.0, 0.3, 2.0, "hibernating"),
            (2, 30, 35.0, 0.2, 3.0, "hibernating"),
        ],
        columns=["frequency", "T", "historical_spend", "p_alive", "residual_clv", "expected"],
    )
    assert list(segment(frame, unit_days=7)) == list(frame["expected"])
    assert set(frame["expected"]) == set(SEGMENTS)


def test_value_tiers_by_percentile_or_amount():
    residual = pd.Series(np.arange(100, dtype=float))
    tiers = value_tier(residual)
    assert tiers.value_counts().to_dict() == {"low": 50, "medium": 30, "high": 15, "top": 5}
    by_amount = value_tier(pd.Series([500.0, 150.0, 20.0, 5.0]), amounts={"top": 300, "high": 100, "medium": 20})
    assert list(by_amount) == ["top", "high", "medium", "low"]


def test_top_share_of_revenue():
    assert top_share_of_revenue(pd.Series([60.0, 10, 10, 10, 10])) == pytest.approx(0.6)


def test_records_load_into_the_store(redis, scores):
    scored = scores.assign(segment=segment(scores, unit_days=7), value_tier=value_tier(scores["residual_clv"]))
    seen = []
    loaded = CustomerStore(redis).replace_records(customer_records(scored), progress=seen.append)
    assert loaded == len(scored) and seen and seen[-1] <= loaded
    store = CustomerStore(redis)
    assert store.count() == len(scored)
    row = scored.loc["C1"]
    found = store.find(email="C1@example.com")
    assert (found.email, found.customer_id, found.segment, found.value_tier) == ("c1@example.com", "C1", row["segment"], row["value_tier"])
    for name in ("residual_clv", "historical_spend", "total_clv", "p_alive", "expected_purchases_1y", "expected_spend"):
        assert getattr(found, name) == pytest.approx(row[name], rel=1e-14), name  # JSON keeps 15 digits
    assert store.find(customer_id="C2").email is None
    assert found.tier is None  # the rule tier is chosen at suggestion time, never by the engine


def test_customers_known_by_email_alone_get_no_id(redis):
    frame = pd.DataFrame({"email": ["a@x.com"], "residual_clv": [1.0], "historical_spend": [2.0], "total_clv": [2.6],
                          "p_alive": [0.5], "expected_purchases_1y": [0.4], "expected_spend": [3.0], "segment": ["new"],
                          "value_tier": ["low"], "frequency": [0], "recency": [0.0], "T": [2.0]}, index=pd.Index(["a@x.com"], name="customer_id"))
    [(email, customer_id, _)] = list(customer_records(frame))
    assert (email, customer_id) == ("a@x.com", None)


@pytest.fixture(scope="module")
def no_drop_out():
    """A shop whose customers almost never drop out: BG/NBD lands near a = 0 with a large b."""
    return simulate_summary(20_000, bgnbd.BgNbdParams(0.5, 5.0, 5e-5, 480.0), gamma_gamma.GammaGammaParams(6.25, 3.74, 15.44), seed=1)


def test_a_fit_at_the_no_drop_out_boundary_scores_every_customer(no_drop_out):
    model = fit_model(no_drop_out, purchase_model="bgnbd", time_unit="week")
    assert model.purchases.params["a"] < 1e-3 and model.purchases.params["b"] > 171  # where hyp2f1 overflowed
    scores = score(model, no_drop_out, Money(margin=0.3, annual_discount_rate=0.1))
    check_scores(scores, model)
    assert np.isfinite(scores[list(SCORE_COLUMNS)].to_numpy()).all()
    assert (scores["residual_purchases"] > scores["expected_purchases_1y"]).all()
    # almost nobody drops out: a customer's lifetime is long, each one worth many years of purchases
    assert (scores["p_alive"] > 0.5).mean() > 0.95


def test_scores_that_are_not_finite_or_out_of_range_are_refused(model, scores):
    check_scores(scores, model)
    broken = scores.copy()
    broken.iloc[[3, 8], broken.columns.get_loc("residual_clv")] = np.nan
    broken.iloc[5, broken.columns.get_loc("p_alive")] = 1.5
    broken.iloc[9, broken.columns.get_loc("expected_spend")] = -1.0
    with pytest.raises(ScoreError) as info:
        check_scores(broken, model)
    assert str(info.value) == (
        f"BG/NBD gave 4 of {len(scores):,} customers no valid score (p_alive, expected_spend, residual_clv not finite or "
        "out of range); nothing stored: try --model pareto or a longer calibration period"
    )
    spend = scores.copy()
    spend.iloc[0, spend.columns.get_loc("historical_spend")] = np.inf
    with pytest.raises(ScoreError, match="1 of .* customers no valid score \\(historical_spend not finite or out of range\\); "
                                         "nothing stored: their historical spend does not add up"):
        check_scores(spend, model)
