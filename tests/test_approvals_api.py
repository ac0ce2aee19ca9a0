"""A supervisor's approval over the sidebar API (real app, real worker, real Redis): the reply asks for an
offer that needs approval until it is approved, an outcome that gives that much is refused until then,
approving again changes nothing, and the tier's role is checked against the role the sidebar reports."""

from __future__ import annotations

from datetime import datetime

import pytest

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.rules import load_rules
from clvdesk.standins.zendesk import ticket_created_event
from tests.conftest import ADMIN_TOKEN, API_TOKEN

AGENT = {"Authorization": f"Bearer {API_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."
ASKED = "I have asked for $248.00 to be refunded to your original payment method."
GIVEN = "I have refunded $248.00 to your original payment method."


def handled(redis, standin, deliver, work, *, residual_clv: float, ticket_id: int = 101) -> str:
    """A champion's angry ticket, handled by the worker: the offer is 20% of `residual_clv`."""
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=residual_clv, historical_spend=2300)])
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(ticket_id, requester_id=901)
    deliver(ticket_created_event(ticket_id=ticket_id, requester_id=901, subject="Broken", description=ANGRY,
                                 event_id=f"evt-{ticket_id}"))
    work()
    return str(ticket_id)


@pytest.fixture
def ticket(redis, standin, deliver, work):
    """Ticket 101: a $248.00 partial refund, above the champions' $150 approval threshold."""
    return handled(redis, standin, deliver, work, residual_clv=1240)


def shown(client, ticket_id):
    return client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers=AGENT).json


def approve(client, ticket_id, body, headers=AGENT):
    return client.post(f"/api/v1/zendesk/tickets/{ticket_id}/approval", json=body, headers=headers)


def record(client, ticket_id, body):
    return client.post(f"/api/v1/zendesk/tickets/{ticket_id}/outcome", json=body, headers=AGENT)


def test_an_offer_that_needs_approval_is_asked_for_until_a_supervisor_approves_it(client, ticket, standin):
    before = shown(client, ticket)
    assert before["offer"]["needs_approval"] and before["offer"]["approval_above"] == 150.0
    assert before["approval"] is None
    assert before["reply"]["awaits_approval"] is True
    assert ASKED in before["reply"]["text"] and "I will write to you again" in before["reply"]["text"]
    assert "refunded $248" not in before["reply"]["text"]
    [note] = standin.notes(101)
    assert "(needs approval by a supervisor)" in note["body"]
    assert "until then the suggested reply says only that you have asked for it" in note["body"]

    refused = record(client, ticket, {"outcome": "applied", "agent_id": 377, "event_id": before["event_id"]})
    assert refused.status_code == 409 and refused.json["error"] == "approval_required"
    assert "needs approval by a supervisor before it is given: approve it first" in refused.json["message"]
    assert shown(client, ticket)["outcome"] is None

    answer = approve(client, ticket, {"agent_id": 55, "agent_name": "Sam Lead", "agent_role": "admin",
                                      "event_id": before["event_id"]})
    assert answer.status_code == 200
    approval = answer.json
    assert (approval["approved_by"], approval["approved_by_name"], approval["approver_role"]) == ("55", "Sam Lead", "admin")
    assert datetime.fromisoformat(approval["approved_at"]).tzinfo is not None
    assert approval["reply"]["awaits_approval"] is False and GIVEN in approval["reply"]["text"]

    after = shown(client, ticket)
    assert after["approval"] == {key: approval[key] for key in ("approved_by", "approved_by_name", "approver_role", "approved_at")}
    assert after["reply"] == approval["reply"]
    applied = record(client, ticket, {"outcome": "applied", "agent_id": 377, "event_id": before["event_id"]})
    assert applied.status_code == 200 and applied.json["given_amount"] == 248.0


def test_approving_again_keeps_the_first_approval(client, ticket):
    first = approve(client, ticket, {"agent_id": 55, "agent_name": "Sam Lead"}).json
    again = approve(client, ticket, {"agent_id": 56, "agent_name": "Someone Else"})
    assert again.status_code == 200
    assert (again.json["approved_by"], again.json["approved_at"]) == ("55", first["approved_at"])
    assert shown(client, ticket)["approval"]["approved_by_name"] == "Sam Lead"


def test_a_changed_amount_needs_approval_only_above_the_threshold(client, ticket):
    above = record(client, ticket, {"outcome": "changed", "agent_id": 377, "amount": 150.01, "currency": "USD"})
    assert above.status_code == 409 and above.json["error"] == "approval_required"
    within = record(client, ticket, {"outcome": "changed", "agent_id": 377, "amount": 150, "currency": "USD"})
    assert within.status_code == 200 and within.json["given_amount"] == 150.0
    declined = record(client, ticket, {"outcome": "declined", "agent_id": 377, "reason": "Supervisor said no"})
    assert declined.status_code == 200


@pytest.mark.parametrize(("body", "status", "error", "message"), [
    ({}, 422, "invalid_approval", "agent_id: Field required"),
    ({"agent_id": 1, "approved": True}, 422, "invalid_approval", "approved: is not a field of an approval"),
    ({"agent_id": 1, "agent_name": " "}, 422, "invalid_approval", "agent_name"),
    ({"agent_id": 1, "event_id": "evt-0"}, 409, "stale_suggestion", "evt-0 was replaced by evt-101"),
])
def test_a_bad_approval_gets_a_clear_error_and_nothing_is_stored(client, ticket, body, status, error, message):
    answer = approve(client, ticket, body)
    assert (answer.status_code, answer.json["error"]) == (status, error)
    assert message in answer.json["message"]
    assert shown(client, ticket)["approval"] is None


def test_approval_requests_that_cannot_be_matched_or_are_not_authorised(client, ticket):
    assert approve(client, "999", {"agent_id": 1}).status_code == 404
    assert approve(client, "abc", {"agent_id": 1}).json["error"] == "invalid_ticket_id"
    broken = client.post(f"/api/v1/zendesk/tickets/{ticket}/approval", data="{", headers=AGENT, content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"] == "invalid_json"
    assert approve(client, ticket, {"agent_id": 1}, headers={}).status_code == 401
    assert shown(client, ticket)["approval"] is None


def test_an_offer_within_the_threshold_needs_no_approval(client, redis, standin, deliver, work):
    ticket = handled(redis, standin, deliver, work, residual_clv=500)  # $100.00
    before = shown(client, ticket)
    assert before["offer"]["needs_approval"] is False and before["reply"]["awaits_approval"] is False
    assert "I have refunded $100.00" in before["reply"]["text"]
    answer = approve(client, ticket, {"agent_id": 55})
    assert answer.status_code == 409 and answer.json["error"] == "approval_not_needed"
    assert record(client, ticket, {"outcome": "applied", "agent_id": 377}).status_code == 200


def test_the_tiers_approval_role_is_named_and_checked_against_the_reported_role(client, redis, standin, deliver, work):
    rules = load_rules().model_dump(mode="json")
    rules["tiers"][0]["approval_role"] = "Team lead"
    published = client.put("/api/v1/admin/rules", json={"author": "mia", "comment": "leads approve", "rules": rules}, headers=ADMIN)
    assert published.status_code == 201
    ticket = handled(redis, standin, deliver, work, residual_clv=1240)
    before = shown(client, ticket)
    assert before["offer"]["approval_role"] == "Team lead"
    assert any(r["text"] == "Above $150.00: a supervisor with the role Team lead must approve" for r in before["reasons"])
    [note] = standin.notes(101)
    assert "(needs approval by a supervisor with the role Team lead)" in note["body"]

    refused = approve(client, ticket, {"agent_id": 56, "agent_role": "agent"})
    assert refused.status_code == 403 and refused.json["error"] == "not_an_approver"
    assert refused.json["message"] == "this offer needs approval by a supervisor with the role Team lead; your role is agent"
    assert shown(client, ticket)["approval"] is None

    lead = approve(client, ticket, {"agent_id": 55, "agent_role": "team lead"})  # roles compare without case
    assert lead.status_code == 200 and lead.json["approver_role"] == "team lead"
