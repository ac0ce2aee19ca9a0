"""The admin API over real HTTP (Flask's test client) and a real Redis: token, validation with paths,
versions, rollback, simulation, and a published change reaching the next suggestion via a real worker."""

from __future__ import annotations

import io
import json

import pytest
from pydantic import SecretStr

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.rules import load_rules
from plugin import create_app
from tests.conftest import ADMIN_TOKEN, API_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ANGRY = "My blender arrived broken. This is ridiculous!! I want my money back."


def rules_with(**tier0) -> dict:
    data = load_rules().model_dump(mode="json")
    data["tiers"][0].update(tier0)
    return data


def publish(client, rules, comment="test"):
    return client.put("/api/v1/admin/rules", json={"author": "mia", "comment": comment, "rules": rules}, headers=ADMIN)


def test_admin_token_is_required_and_separate(client):
    assert client.get("/api/v1/admin/rules").status_code == 401
    sidebar = client.get("/api/v1/admin/rules", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert sidebar.status_code == 401 and sidebar.json["error"] == "unauthorized"
    assert client.get("/api/v1/admin/rules", headers=ADMIN).status_code == 200


def test_admin_api_is_disabled_without_its_token(settings, redis):
    client = create_app(settings.model_copy(update={"admin_token": None}), redis=redis).test_client()
    answer = client.get("/api/v1/admin/rules", headers=ADMIN)
    assert answer.status_code == 503 and answer.json["error"] == "admin_disabled"
    assert "CLVDESK_ADMIN_TOKEN" in answer.json["message"]
    assert client.get("/healthz").status_code == 200  # the rest of the web still runs


def test_invalid_rules_list_every_error_with_its_path_and_store_nothing(client):
    rules = load_rules().model_dump(mode="json")
    rules["tiers"][2]["max_amount"] = -5
    rules["tiers"][0]["min_amount"] = 999
    rules["tiers"][1]["instruments"] = ["cash"]
    rules["tiers"][3]["rolling_budget"] = {"share": 1.5, "days": 30}
    rules["currency"] = "dollars"
    rules["sentiment_multipliers"].pop("neutral")
    rules["tiers"][4]["instruments"] = []
    answer = publish(client, rules)
    assert answer.status_code == 422 and answer.json["error"] == "invalid_rules"
    errors = {error["path"]: error["message"] for error in answer.json["errors"]}
    assert errors == {
        "currency": "must be a three-letter currency code in capitals, such as USD",
        "tiers[0].min_amount": "the minimum 999 is above the maximum 250",
        "tiers[1].instruments[0]": (
            "must be one of 'refund', 'partial_refund', 'store_credit', 'discount_next_order', "
            "'free_shipping', 'replacement', 'payment_plan', 'payment_deferral', 'fee_waiver' or 'apology_only'"
        ),
        "tiers[2].max_amount": "must be 0 or more",
        "tiers[3].rolling_budget.share": "must be 1 or less",
        "sentiment_multipliers": "needs a multiplier for every label; missing: neutral",
        "tiers[4].instruments": "needs at least 1 entry",
    }
    assert client.get("/api/v1/admin/rules/versions", headers=ADMIN).json == {"current": None, "versions": []}


def test_unknown_fields_and_missing_author_are_named(client):
    rules = rules_with(maximum=5)
    answer = client.put("/api/v1/admin/rules", json={"rules": rules}, headers=ADMIN)
    assert answer.json["errors"] == [{"path": "author", "message": "is required"}]
    answer = publish(client, rules)
    assert answer.json["errors"] == [
        {"path": "tiers[0].maximum", "message": "is not a setting clvdesk knows; check the spelling or remove it"}
    ]


def test_publish_history_diff_and_rollback(client):
    assert client.get("/api/v1/admin/rules", headers=ADMIN).json["number"] is None
    assert publish(client, rules_with(max_amount=200), "lower cap").status_code == 201
    assert publish(client, rules_with(max_amount=50), "much lower").status_code == 201
    history = client.get("/api/v1/admin/rules/versions", headers=ADMIN).json
    assert history["current"] == 2
    assert [(v["number"], v["author"], v["comment"]) for v in history["versions"]] == [(2, "mia", "much lower"), (1, "mia", "lower cap")]
    second = client.get("/api/v1/admin/rules/versions/2", headers=ADMIN).json
    assert second["against"] == 1
    assert second["changes"] == [{"path": "tiers[0].max_amount", "before": 200.0, "after": 50.0}]
    back = client.post("/api/v1/admin/rules/rollback", json={"author": "ole", "version": 1}, headers=ADMIN)
    assert back.status_code == 201 and (back.json["number"], back.json["rolled_back_from"]) == (3, 1)
    current = client.get("/api/v1/admin/rules", headers=ADMIN).json
    assert current["rules"]["version"] == "v3" and current["rules"]["tiers"][0]["max_amount"] == 200.0
    missing = client.post("/api/v1/admin/rules/rollback", json={"author": "ole", "version": 42}, headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json["message"] == "There is no rules version v42."


def test_compare_with_and_restore_the_shipped_rules(client):
    assert publish(client, rules_with(max_amount=200), "lower cap").status_code == 201
    first = client.get("/api/v1/admin/rules/versions/1?against=shipped", headers=ADMIN).json
    shipped_cap = load_rules().tiers[0].max_amount
    assert first["against"] == "shipped"
    assert first["changes"] == [{"path": "tiers[0].max_amount", "before": shipped_cap, "after": 200.0}]
    assert client.post("/api/v1/admin/rules/restore-shipped", json={}, headers=ADMIN).json["message"] == "author: is required"
    restored = client.post("/api/v1/admin/rules/restore-shipped", json={"author": "ole"}, headers=ADMIN)
    assert restored.status_code == 201
    assert (restored.json["number"], restored.json["shipped"], restored.json["author"]) == (2, True, "ole")
    assert restored.json["comment"] == "Restored the rules shipped with clvdesk"
    assert restored.json["rules"]["tiers"][0]["max_amount"] == shipped_cap
    assert client.get("/api/v1/admin/rules/versions/2?against=shipped", headers=ADMIN).json["changes"] == []
    assert client.get("/api/v1/admin/rules/versions/2", headers=ADMIN).json["changes"] == [
        {"path": "tiers[0].max_amount", "before": 200.0, "after": shipped_cap}]


@pytest.fixture
def shop(redis, standin):
    CustomerStore(redis).replace_all(
        [CustomerValue(email="ana@example.com", customer_id="C-1", residual_clv=1000, historical_spend=2300)]
    )
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    standin.add_ticket(102, requester_id=901)
    return standin


def test_a_published_change_reaches_the_next_suggestion(shop, client, deliver, work):
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY, event_id="e1"))
    work()
    before = client.get("/api/v1/zendesk/tickets/101/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"}).json
    assert (before["rules_version"], before["offer"]["amount"], before["offer"]["needs_approval"]) == (
        "default-2026.11", 200.0, True,
    )

    rules = rules_with(max_amount=120, approval_above=None, instruments=["store_credit"])
    assert publish(client, rules, "champions: store credit, $120 at most").status_code == 201
    deliver(ticket_created_event(ticket_id=102, requester_id=901, subject="Broken", description=ANGRY, event_id="e2"))
    work()
    after = client.get("/api/v1/zendesk/tickets/102/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"}).json
    assert after["rules_version"] == "v1"
    assert after["offer"]["instrument"] == "store_credit"
    assert (after["offer"]["amount"], after["offer"]["needs_approval"]) == (120.0, False)
    assert after["offer"]["cost"] == 72.0
    assert "Rules v1" in shop.notes(102)[0]["body"]


TICKETS_CSV = """ticket_id,customer,created,sentiment,category,signals
1,ana@example.com,2026-09-03,very_negative,damaged_item,churn_intent
2,ana@example.com,2026-09-10,very_negative,late_delivery,
3,ben@example.com,2026-10-01,negative,other,
4,stranger@example.net,2026-10-02,very_negative,late_delivery,
"""


def test_simulate_a_draft_on_uploaded_tickets(shop, redis, client):
    CustomerStore(redis).replace_all(
        [
            CustomerValue(email="ana@example.com", residual_clv=1000, historical_spend=2300),
            CustomerValue(email="ben@example.com", residual_clv=120, historical_spend=150),
        ]
    )
    draft = rules_with(max_amount=120)
    answer = client.post(
        "/api/v1/admin/rules/simulate",
        data={"draft": json.dumps(draft), "tickets": (io.BytesIO(TICKETS_CSV.encode()), "t.csv")},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["tickets"] == 4 and body["changed"] == 2
    totals = {row["rules"]: row for row in body["totals"]}
    # Current: ana $200 (needs approval) then the rest of her $400 rolling budget ($200); ben $18 store
    # credit (negative: 75% of $24); the stranger $5 free shipping. Draft: ana $120 twice.
    assert totals["current"] == {
        "rules": "current", "tickets": 4, "spend": 423.0, "counted": 423.0, "cost": 415.8, "approvals": 2, "flagged": 0,
        "customers_at_budget": 1,
    }
    assert (totals["draft"]["spend"], totals["draft"]["approvals"], totals["draft"]["customers_at_budget"]) == (263.0, 0, 0)
    by_month = {(row["rules"], row["month"]): row["spend"] for row in body["by_month"]}
    assert by_month[("draft", "2026-09")] == 240.0 and by_month[("draft", "2026-10")] == 23.0
    instruments = {(row["rules"], row["instrument"]) for row in body["by_instrument"]}
    assert ("current", "free_shipping") in instruments and ("current", "store_credit") in instruments
    assert [t["ticket_id"] for t in body["changed_tickets"]] == ["1", "2"]


def test_simulation_refuses_a_bad_file_or_draft(client):
    good = json.dumps(load_rules().model_dump(mode="json"))
    bad_csv = "ticket_id,customer,created,sentiment\n1,a@b.co,yesterday-ish,negative\n"
    answer = client.post(
        "/api/v1/admin/rules/simulate",
        data={"draft": good, "tickets": (io.BytesIO(bad_csv.encode()), "t.csv")},
        headers=ADMIN,
    )
    assert answer.status_code == 400 and answer.json["message"] == "line 2: created 'yesterday-ish' is not a date"
    draft = rules_with(budget_share=2)
    answer = client.post("/api/v1/admin/rules/simulate", data={"draft": json.dumps(draft)}, headers=ADMIN)
    assert answer.status_code == 422 and answer.json["errors"] == [{"path": "tiers[0].budget_share", "message": "must be 1 or less"}]


def test_simulate_on_the_tickets_clvdesk_has_seen(shop, client, deliver, work):
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY, event_id="e1"))
    work()
    draft = json.dumps(rules_with(max_amount=120))
    body = client.post("/api/v1/admin/rules/simulate", data={"draft": draft}, headers=ADMIN).json
    assert (body["tickets"], body["changed"]) == (1, 1)
    spend = {row["rules"]: row["spend"] for row in body["totals"]}
    assert spend == {"current": 200.0, "draft": 120.0}  # ana: residual CLV $1,000, very negative


def test_an_empty_admin_token_opens_nothing(settings, redis):
    client = create_app(settings.model_copy(update={"admin_token": SecretStr("")}), redis=redis).test_client()
    answer = client.get("/api/v1/admin/rules", headers={"Authorization": "Bearer "})
    assert answer.status_code == 503 and answer.json["error"] == "admin_disabled"
