"""Values at lookup: the customer store recomputes P(alive) and residual CLV for the ticket's instant from
each customer's stored history and the stored valuation; at the fit's instant they are the batch scores."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from clvdesk.clv.fresh import Valuation
from clvdesk.clv.records import customer_records
from clvdesk.clv.scoring import Money
from clvdesk.clv.simulate import simulated_fit
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.suggestions import SuggestionStore
from tests.conftest import ADMIN_TOKEN
from tests.test_outcomes import suggestion

FIT_INSTANT = datetime(2026, 3, 1, tzinfo=timezone.utc)
MONEY = Money(margin=0.3, annual_discount_rate=0.1)
SCORED = ("p_alive", "residual_clv", "total_clv", "expected_purchases_1y")


@pytest.fixture(scope="module", params=["mbgnbd", "bgnbd"])
def fitted(request):
    return simulated_fit(2000, purchase_model=request.param, seed=3, calibration_end=str(FIT_INSTANT.date()),
                         margin=MONEY.margin, annual_discount_rate=MONEY.annual_discount_rate)


@pytest.fixture
def store(redis, fitted):
    valuation, scores = fitted
    store = CustomerStore(redis)
    store.replace_records(customer_records(scores), valuation=valuation.to_json())
    return store


def test_the_fit_instant_is_the_calibration_end(fitted):
    valuation, _ = fitted
    assert valuation.as_of == FIT_INSTANT
    assert Valuation.from_json(valuation.to_json()) == valuation


def test_values_at_the_fit_instant_are_the_batch_scores(store, fitted):
    _, scores = fitted
    for customer_id in scores.index[::50]:
        found = store.find(customer_id=customer_id, as_of=FIT_INSTANT)
        assert found.values_as_of == FIT_INSTANT
        for name in SCORED:
            assert getattr(found, name) == pytest.approx(scores.at[customer_id, name], rel=1e-12, abs=1e-300), name


def test_values_fall_as_time_passes_without_a_purchase(store, fitted):
    valuation, scores = fitted
    one_time = scores.index[scores["frequency"] == 0][:20]
    repeat = scores.index[scores["frequency"] > 0][:20]
    for customer_id in [*one_time, *repeat]:
        at_fit = store.find(customer_id=customer_id, as_of=FIT_INSTANT)
        later = store.find(customer_id=customer_id, as_of=FIT_INSTANT + timedelta(days=200))
        assert later.values_as_of == FIT_INSTANT + timedelta(days=200)
        assert later.residual_clv < at_fit.residual_clv and later.expected_purchases_1y < at_fit.expected_purchases_1y
        if valuation.model.purchases.model == "bgnbd" and customer_id in one_time:
            assert later.p_alive == at_fit.p_alive == 1.0  # BG/NBD cannot tell: no drop-out before a repeat purchase
        else:
            assert later.p_alive < at_fit.p_alive
        assert later.total_clv == pytest.approx(MONEY.margin * later.historical_spend + later.residual_clv, rel=1e-12)


def test_a_clock_behind_the_fit_counts_as_the_fit_instant(store, fitted):
    _, scores = fitted
    customer_id = scores.index[0]
    before = store.find(customer_id=customer_id, as_of=FIT_INSTANT - timedelta(days=3))
    assert before.residual_clv == pytest.approx(scores.at[customer_id, "residual_clv"], rel=1e-12)


def test_without_a_time_or_a_valuation_the_stored_values_come_back(redis, store, fitted):
    _, scores = fitted
    customer_id = scores.index[0]
    plain = store.find(customer_id=customer_id)
    assert plain.values_as_of is None and plain.residual_clv == float(np.float64(scores.at[customer_id, "residual_clv"]))
    imported = CustomerStore(redis)
    imported.replace_all([CustomerValue(email="a@example.com", residual_clv=10, historical_spend=20)])
    found = imported.find(email="a@example.com", as_of=FIT_INSTANT + timedelta(days=200))
    assert found.residual_clv == 10 and found.values_as_of is None and imported.valuation() is None


def test_a_ticket_gets_the_values_as_of_its_time(redis, fitted, standin, deliver, work, client):
    from clvdesk.standins.zendesk import ticket_created_event
    from tests.conftest import API_TOKEN

    valuation, scores = fitted
    customer_id = scores.index[scores["frequency"] > 0][0]
    scores = scores.assign(email=scores["email"].astype(object))
    scores.loc[customer_id, "email"] = "ana@example.com"
    store = CustomerStore(redis)
    store.replace_records(customer_records(scores), valuation=valuation.to_json())
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    when = FIT_INSTANT + timedelta(days=200)
    body = ticket_created_event(ticket_id=101, requester_id=901, subject="Late", description="Where is my order?")
    body["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert deliver(body).status_code == 202
    work()
    answer = client.get("/api/v1/zendesk/tickets/101/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200, answer.json
    shown = answer.json["customer"]
    assert datetime.fromisoformat(shown["values_as_of"].replace("Z", "+00:00")) == when
    expected = store.find(customer_id=customer_id, as_of=when)
    assert shown["residual_clv"] == pytest.approx(expected.residual_clv, rel=1e-12)
    assert shown["p_alive"] == pytest.approx(expected.p_alive, rel=1e-12) and expected.p_alive < scores.at[customer_id, "p_alive"]
    assert shown["residual_clv"] < scores.at[customer_id, "residual_clv"]


def test_the_fits_customer_equity_reaches_the_outcome_report(redis, fitted, client):
    valuation, scores = fitted
    equity = float(scores["total_clv"].sum())
    CustomerStore(redis).replace_records(customer_records(scores), valuation=replace(valuation, customer_equity=equity).to_json())
    SuggestionStore(redis).save(suggestion(created=datetime.now(timezone.utc)))
    answer = client.get("/api/v1/admin/report", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    [totals] = answer.json["totals"]
    assert totals["customer_equity"] == round(equity, 2)
    assert totals["spend_share_of_customer_equity"] == 0.0  # nothing given yet
