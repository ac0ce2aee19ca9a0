"""The sidebar's outcome API and the admins' report over HTTP: validation, tokens, CORS and logs."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timedelta, timezone

import pytest
import requests

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.logs import JsonFormatter
from tests.conftest import ADMIN_TOKEN, API_TOKEN

AGENT = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."


@pytest.fixture
def ticket(redis, standin, deliver, work):
    """Ticket 101 of a champion, handled by the worker: its suggestion is a $100.00 partial refund."""
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=500, historical_spend=2300)])
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY, event_id="evt-1"))
    work()
    return "101"


def record(client, ticket_id, body, headers=AGENT):
    return client.post(f"/api/v1/zendesk/tickets/{ticket_id}/outcome", json=body, headers=headers)


def report(client, query="", headers=ADMIN):
    return client.get(f"/api/v1/admin/report{query}", headers=headers)


def test_the_suggestion_carries_its_reply_and_later_its_outcome(client, ticket):
    shown = client.get(f"/api/v1/zendesk/tickets/{ticket}/suggestion", headers=AGENT).json
    assert shown["reply"] == {
        "language": "en",
        "text": "I'm sorry about the trouble, and thank you for your patience while we put it right. "
                "As an apology, I have refunded $100.00 to your original payment method.",
        "awaits_approval": False,  # $100 is within the champions' $150: no approval needed
    }
    assert shown["outcome"] is None and shown["approval"] is None and shown["customer"]["p_alive"] is None

    answer = record(client, ticket, {"outcome": "applied", "agent_id": 377, "event_id": shown["event_id"]})
    assert answer.status_code == 200
    assert answer.json["outcome"] == "applied" and answer.json["given_amount"] == 100.0
    outcome = client.get(f"/api/v1/zendesk/tickets/{ticket}/suggestion", headers=AGENT).json["outcome"]
    assert outcome["outcome"] == "applied" and outcome["agent_id"] == "377"


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"outcome": "declined", "agent_id": 1}, 422, "a declined outcome needs a reason"),
    ({"outcome": "changed", "agent_id": 1, "amount": -5, "currency": "USD"}, 422, "amount: Input should be greater"),
    ({"outcome": "changed", "agent_id": 1, "amount": 5, "currency": "EUR"}, 422, "currency: currency must be the"),
    ({"outcome": "applied", "agent_id": 1, "note": "x"}, 422, "note: is not a field of an outcome"),
    ({"outcome": "applied"}, 422, "agent_id: Field required"),
    ({"outcome": "applied", "agent_id": 1, "event_id": "evt-0"}, 409, "evt-0 was replaced by evt-1"),
])
def test_a_bad_outcome_gets_a_clear_error_and_nothing_is_stored(client, ticket, body, status, message):
    answer = record(client, ticket, body)
    assert answer.status_code == status
    assert message in answer.json["message"]
    assert client.get(f"/api/v1/zendesk/tickets/{ticket}/suggestion", headers=AGENT).json["outcome"] is None


def test_outcome_requests_that_cannot_be_matched_to_a_suggestion(client, ticket):
    assert record(client, "999", {"outcome": "applied", "agent_id": 1}).status_code == 404
    assert record(client, "abc", {"outcome": "applied", "agent_id": 1}).json["error"] == "invalid_ticket_id"
    broken = client.post(f"/api/v1/zendesk/tickets/{ticket}/outcome", data="{", headers=AGENT, content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"] == "invalid_json"
    assert record(client, ticket, {"outcome": "applied", "agent_id": 1}, headers={}).status_code == 401


def test_recording_again_is_counted_once_in_the_report(client, ticket):
    record(client, ticket, {"outcome": "applied", "agent_id": 1})
    record(client, ticket, {"outcome": "changed", "agent_id": 1, "amount": 30, "currency": "USD"})
    [totals] = report(client).json["totals"]
    assert (totals["suggestions"], totals["outcomes"], totals["applied"], totals["changed"]) == (1, 1, 0, 1)
    assert (totals["suggested_amount"], totals["given_amount"]) == (100.0, 30.0)


def test_the_report_as_csv_and_for_a_date_range(client, ticket):
    record(client, ticket, {"outcome": "declined", "agent_id": 1, "reason": "wanted nothing"})
    as_csv = report(client, "?format=csv")
    assert as_csv.mimetype == "text/csv" and "attachment" in as_csv.headers["Content-Disposition"]
    [row] = csv.DictReader(io.StringIO(as_csv.text))
    assert (row["tier"], row["instrument"], row["declined"], row["given_amount"]) == (
        "champions", "partial_refund", "1", "0.00")
    assert report(client, headers={**ADMIN, "Accept": "text/csv"}).mimetype == "text/csv"

    today = datetime.now(timezone.utc).date()
    earlier = report(client, f"?from={today - timedelta(days=9)}&to={today - timedelta(days=1)}").json
    assert earlier["by_tier"] == [] and earlier["from"] == str(today - timedelta(days=9))


@pytest.mark.parametrize(("query", "message"), [
    ("?from=2026-13-01", "from must be a date as YYYY-MM-DD, got '2026-13-01'"),
    ("?from=2026-03-02&to=2026-03-01", "from (2026-03-02) is after to (2026-03-01)"),
    ("?from=2024-01-01&to=2026-01-01", "a report covers at most 366 days"),
    ("?format=xml", "format must be json or csv"),
])
def test_a_bad_report_range_or_format_is_refused(client, redis, query, message):
    answer = report(client, query)
    assert answer.status_code == 400 and message in answer.json["message"]


def test_the_report_is_for_admins_only(client, redis):
    assert report(client, headers=AGENT).status_code == 401
    assert report(client, headers={}).status_code == 401


def test_the_token_is_accepted_from_the_authorization_header_only(client, ticket):
    path = f"/api/v1/zendesk/tickets/{ticket}/suggestion"
    assert client.get(f"{path}?api_token={API_TOKEN}").status_code == 401
    assert client.get(f"{path}?access_token={API_TOKEN}").status_code == 401
    assert client.get(path, headers={"X-Api-Token": API_TOKEN}).status_code == 401
    assert client.get(path, headers={"Cookie": f"api_token={API_TOKEN}"}).status_code == 401
    assert client.get(path, headers=AGENT).status_code == 200


def test_cors_answers_zendesks_origins_only(client, ticket):
    path = f"/api/v1/zendesk/tickets/{ticket}/outcome"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    for origin in ("https://acme.zendesk.com", "https://4711.apps.zdusercontent.com"):
        answer = client.options(path, headers={"Origin": origin, **preflight})
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
        assert "Origin" in answer.headers["Vary"]
        got = client.get(f"/api/v1/zendesk/tickets/{ticket}/suggestion", headers={"Origin": origin, **AGENT})
        assert got.headers["Access-Control-Allow-Origin"] == origin
    for origin in ("https://evil.example.com", "https://zendesk.com.evil.example", "http://acme.zendesk.com",
                   "https://acme.zendesk.com.evil.example", "null"):
        answer = client.options(path, headers={"Origin": origin, **preflight})
        assert "Access-Control-Allow-Origin" not in answer.headers, origin
    admin = client.get("/api/v1/admin/report", headers={"Origin": "https://acme.zendesk.com", **ADMIN})
    assert "Access-Control-Allow-Origin" not in admin.headers  # the admin API is not for the browser app


def test_no_token_reaches_the_logs(live_app, ticket):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    levels = root.level, werkzeug.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    werkzeug.setLevel(logging.INFO)
    try:
        base = f"{live_app}/api/v1/zendesk/tickets/{ticket}"
        requests.get(f"{base}/suggestion?api_token={API_TOKEN}", timeout=5)
        requests.get(f"{base}/suggestion", headers=AGENT, timeout=5)
        requests.post(f"{base}/outcome", json={"outcome": "nope"}, headers=AGENT, timeout=5)
        requests.get(f"{base}/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}x"}, timeout=5)
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        werkzeug.setLevel(levels[1])
    lines = captured.getvalue()
    assert "/suggestion" in lines  # the requests were logged ...
    assert API_TOKEN not in lines  # ... without the token
