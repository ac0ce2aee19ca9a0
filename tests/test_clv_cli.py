"""`clvdesk clv` as a user runs it: real processes against a real Redis, on orders drawn from the BG/NBD
process (always) and on the CDNOW orders, whose published fit the report must reproduce (when ../shared
has them)."""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from clvdesk.clv.simulate import simulate_summary
from clvdesk.clv.bgnbd import BgNbdParams
from clvdesk.clv.gamma_gamma import GammaGammaParams
from clvdesk.customers import CustomerStore, CustomerValue
from tests.test_cli import env, run  # noqa: F401  (env is a fixture)
from tests.test_clv_reference import PUBLISHED_LOGLIK, read_cdnow
from tests.test_customers import write_record

CALIBRATION = ["--calibration-end", "1997-09-30"]
HOLDOUT = ["--holdout-end", "1998-06-30"]  # CDNOW's last day: 39 weeks after the calibration end
FIRST_DAY = pd.Timestamp("1997-01-01")
OBSERVED_DAYS = 546  # 1997-01-01 .. 1998-06-30, as CDNOW
ACQUISITION_DAYS = 84  # CDNOW's customers first bought in the first quarter of 1997
PURCHASES = BgNbdParams(0.243, 4.414, 0.793, 2.426)  # CDNOW's published values, per week
SPEND = GammaGammaParams(6.25, 3.74, 15.44)


class Orders(NamedTuple):
    path: str
    customers: int
    customer_id: str  # one customer with a repeat purchase, to look up
    loglik: float | None  # the published BG/NBD log-likelihood, where there is one
    pareto_r: str | None  # the Pareto/NBD r the text report shows, where it is known


def synthetic_orders(count: int = 1000, seed: int = 7) -> pd.DataFrame:
    """Orders of customers who buy as BG/NBD says (a Poisson process per customer, dropping out after a
    repeat purchase), spending as Gamma-Gamma says, recorded per day over CDNOW's dates."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer in range(count):
        weekly_rate = rng.gamma(PURCHASES.r, 1 / PURCHASES.alpha)
        dropout = rng.beta(PURCHASES.a, PURCHASES.b)
        spend_rate = rng.gamma(SPEND.q, 1 / SPEND.gamma)
        day = float(rng.integers(0, ACQUISITION_DAYS))
        repeats = 0
        while day < OBSERVED_DAYS:
            rows.append((f"C{customer:04d}", FIRST_DAY + pd.Timedelta(days=int(day)), round(rng.gamma(SPEND.p, 1 / spend_rate), 2)))
            if repeats and rng.random() < dropout:
                break
            repeats += 1
            day += 7 * rng.exponential(1 / weekly_rate)
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module", params=["synthetic", "cdnow"])
def orders(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("orders") / f"{request.param}.csv"
    frame = synthetic_orders() if request.param == "synthetic" else read_cdnow()
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))[["customer_id", "date", "amount"]].to_csv(path, index=False)
    if request.param == "cdnow":
        return Orders(str(path), 2357, "00004", PUBLISHED_LOGLIK, "0.553")
    calibration = frame[frame["date"] <= pd.Timestamp("1997-09-30")]
    repeaters = calibration.groupby("customer_id")["date"].nunique().loc[lambda days: days > 1]
    return Orders(str(path), frame["customer_id"].nunique(), repeaters.index[0], None, None)


def test_fit_scores_and_loads_every_customer(env, redis, orders):
    result = run(env, "clv", "fit", orders.path, *CALIBRATION, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["bgnbd"]) >= {"r", "alpha", "a", "b", "loglik"}
    assert set(report["gamma_gamma"]) >= {"p", "q", "gamma"}
    if orders.loglik is not None:
        assert report["bgnbd"]["loglik"] == pytest.approx(orders.loglik, abs=0.1)
    assert report["stored"] == orders.customers and sum(report["segments"].values()) == orders.customers
    assert 0.5 < report["top_20_percent_revenue_share"] < 0.8
    store = CustomerStore(redis)
    assert store.count() == orders.customers
    assert store.valuation().customer_equity == pytest.approx(report["totals"]["customer_equity"])  # for the outcome report
    customer = store.find(customer_id=orders.customer_id)
    assert customer.email is None and customer.tier is None
    assert customer.residual_clv > 0 and 0 < customer.p_alive <= 1 and customer.segment and customer.value_tier

    shown = run(env, "clv", "show", orders.customer_id, "--as-of", "1997-09-30")
    assert shown.returncode == 0, shown.stderr
    assert f"residual_clv: {customer.residual_clv:.6g}" in shown.stdout
    assert "values_as_of: 1997-09-30 00:00:00+00:00" in shown.stdout
    assert "model: BG/NBD per week, calibration end 1997-09-30, fitted as of 1997-09-30T00:00:00+00:00" in shown.stdout
    now = run(env, "clv", "show", orders.customer_id).stdout  # decades later: nearly certainly gone
    later = dict(line.split(": ", 1) for line in now.splitlines())
    assert float(later["residual_clv"]) < customer.residual_clv and float(later["p_alive"]) < customer.p_alive


def test_text_report(env, redis, orders):
    result = run(env, "clv", "fit", orders.path, *CALIBRATION, "--no-store", "--margin", "0.5", "--model", "pareto")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{orders.customers:,} customers; time unit week; calibration end 1997-09-30"
    assert lines[1].startswith(f"Pareto/NBD   r={orders.pareto_r or ''}")
    assert "margin 50%, discount 10% a year" in result.stdout
    assert lines[-1] == "Stored       nothing (--no-store)"
    assert CustomerStore(redis).count() == 0


def test_fit_from_a_ready_summary(env, redis, tmp_path):
    path = tmp_path / "summary.csv"
    simulate_summary(3000, BgNbdParams(0.243, 4.414, 0.793, 2.426), GammaGammaParams(6.25, 3.74, 15.44)).drop(
        columns="historical_spend").to_csv(path)
    result = run(env, "clv", "fit", "--summary", str(path), "--json", "--tier-amounts", "top=50,high=20,medium=5")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stored"] == 3000 and set(report["value_tiers"]) <= {"top", "high", "medium", "low"}
    assert CustomerStore(redis).find(customer_id="17").historical_spend >= 0


def test_auto_chooses_the_model_with_the_smallest_holdout_error(env, redis, orders):
    result = run(env, "clv", "fit", orders.path, "--model", "auto", "--json", "--no-store")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    selection = report["model_selection"]
    assert selection["criterion"] == "root_mean_squared_error" and selection["holdout_end"] == "1998-06-30"
    errors = {name: model["root_mean_squared_error"] for name, model in selection["models"].items()}
    assert set(errors) == {"bgnbd", "mbgnbd", "pareto"} and all(error > 0 for error in errors.values())
    assert selection["chosen"] == min(errors, key=errors.get) == report["purchase_model"]
    assert report["calibration_end"] == "1998-06-30"  # the chosen model is refitted on every order
    text = run(env, "clv", "fit", orders.path, "--model", "auto", "--no-store").stdout.splitlines()
    assert text[1].startswith("Model        ") and "holdout to 1998-06-30" in text[1]
    assert sum("RMSE" in line for line in text[2:5]) == 3 and sum("(chosen)" in line for line in text[2:5]) == 1


def test_auto_needs_orders(env, tmp_path):
    path = tmp_path / "summary.csv"
    simulate_summary(100, PURCHASES, SPEND).to_csv(path)
    result = run(env, "clv", "fit", "--summary", str(path), "--model", "auto")
    assert result.returncode == 2 and "--model auto needs ORDERS" in result.stderr


def test_validate_against_the_holdout(env, orders):
    result = run(env, "clv", "validate", orders.path, *CALIBRATION, *HOLDOUT, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["holdout_length"] == pytest.approx(39.0)
    assert report["aggregate"]["actual"] > 0 and abs(report["aggregate"]["error_percent"]) < 25
    assert [row["frequency"] for row in report["by_frequency"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    text = run(env, "clv", "validate", orders.path, *CALIBRATION, *HOLDOUT)
    assert "holdout 39 weeks" in text.stdout and "Aggregate    predicted" in text.stdout


@pytest.mark.parametrize(
    "name, text, args, message",
    [
        ("empty.csv", "", [], "{path}: the file is empty"),
        ("orders.csv", "customer_id,day,amount\nA,2024-01-01,1\n", [], "{path}: missing column(s) date; the header has customer_id, day, amount"),
        ("orders.csv", "customer_id,date,amount\nA,2024-01-01,1\nA,31/02/2024,2\n", [], "{path}: line 3: date '31/02/2024' is not a date"),
        ("summary.csv", "customer_id,frequency,recency,T,monetary_value\nA,-2,0,5,0\n", ["--summary"], "{path}: line 2: frequency -2 is not a whole number ≥ 0"),
        ("orders.csv", "customer_id,date,amount\nA,2024-01-01,1\nB,2024-01-02,1\n", [], "only 0 of 2 customers made a repeat purchase; BG/NBD needs at least 20"),
        ("orders.csv", "customer_id,date,amount\nA,2024-01-01,1\n", ["--margin", "1.5"], "--margin: input should be less than or equal to 1"),
        ("orders.csv", "customer_id,date,amount\nA,2024-01-01,1\n", ["--calibration-end", "someday"], "--calibration-end 'someday' is not a date"),
        ("orders.csv", "customer_id,date,amount\nA,2024-01-01,1\nA,2024-03-01,2\n", ["--calibration-end", "2024-06-30"],
         "--calibration-end 2024-06-30 is after the last order (2024-03-01)"),
    ],
)
def test_errors_are_one_line_exit_2_and_leave_the_store(env, redis, tmp_path, name, text, args, message):
    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="kept@example.com", residual_clv=1, historical_spend=1)])
    path = tmp_path / name
    path.write_text(text)
    where = [*args, str(path)] if args[:1] == ["--summary"] else [str(path), *args]
    result = run(env, "clv", "fit", *where)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("clvdesk: ") and message.format(path=path) in result.stderr
    assert store.count() == 1 and store.find(email="kept@example.com") is not None


def test_show_an_unknown_customer(env, redis):
    result = run(env, "clv", "show", "nobody@example.com")
    assert result.returncode == 2
    assert result.stderr.strip() == "clvdesk: no customer 'nobody@example.com' in the store"


def test_a_fit_at_the_no_drop_out_boundary_stores_only_finite_values(env, redis, tmp_path):
    """Issue #13: BG/NBD near a = 0, b ≈ 480 used to store NaN residual CLV for a third of the customers."""
    path = tmp_path / "summary.csv"
    simulate_summary(20_000, BgNbdParams(0.5, 5.0, 5e-5, 480.0), GammaGammaParams(6.25, 3.74, 15.44), seed=1).to_csv(path)
    result = run(env, "clv", "fit", "--summary", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bgnbd"]["a"] < 1e-3 and report["bgnbd"]["b"] > 171 and report["stored"] == 20_000
    version = redis.get("clvdesk:customers:current").decode()
    records = [CustomerValue.model_validate_json(raw) for raw in redis.hvals(f"clvdesk:customers:{version}:id")]
    assert len(records) == 20_000  # each one parsed: NaN or Infinity in any field is refused
    assert all(0 <= record.p_alive <= 1 and record.residual_clv >= 0 for record in records)
    shown = run(env, "clv", "show", "17")
    assert shown.returncode == 0 and "residual_clv: " in shown.stdout and "nan" not in shown.stdout


def test_scores_that_cannot_be_stored_are_refused_and_the_store_kept(env, redis, tmp_path):
    """A customer whose orders add up past what a float holds: one line, exit 2, nothing replaced."""
    store = CustomerStore(redis)
    store.replace_all([CustomerValue(email="kept@example.com", residual_clv=1, historical_spend=1)])
    path = tmp_path / "orders.csv"
    frame = synthetic_orders()
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    path.write_text(path.read_text() + "huge,1997-01-01,1e308\nhuge,1997-01-01,1e308\n")
    result = run(env, "clv", "fit", str(path), *CALIBRATION)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "clvdesk: BG/NBD gave 1 of 1,001 customers no valid score (total_clv, historical_spend not finite or out of range); "
        "nothing stored: their historical spend does not add up to a finite amount: check their order amounts"
    ]
    assert store.count() == 1 and store.find(email="kept@example.com").residual_clv == 1


def test_show_a_corrupt_record(env, redis):
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=1, historical_spend=1)])
    write_record(redis, "email", "ana@example.com", '{"email": "ana@example.com", "residual_clv": NaN, "historical_spend": 1}')
    result = run(env, "clv", "show", "ana@example.com")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "clvdesk: the stored record for 'ana@example.com' is corrupt (residual_clv: Input should be a finite number); "
        "reload the store with `clvdesk clv fit` or `clvdesk customers import`"
    )
