"""From a signed event to exactly one private note, through a real RQ worker and a stand-in Zendesk."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rq.registry import FailedJobRegistry

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.helpdesk.zendesk.settings import account_of
from clvdesk.helpdesk.zendesk.webhook import parse_zendesk_webhook
from clvdesk.standins.zendesk import comment_added_event, ticket_created_event, trigger_body
from clvdesk.pipeline import NoteLedger
from clvdesk.suggestions import SuggestionStore
from tests.conftest import API_TOKEN
from tests.test_customers import write_record
from workers.context import current_pipeline
from workers.queue import event_queue

ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."


@pytest.fixture
def shop(redis, standin):
    """Two known customers and one Zendesk ticket each, plus a ticket from a stranger."""
    CustomerStore(redis).replace_all(
        [
            CustomerValue(email="ana@example.com", customer_id="C-1", residual_clv=500, historical_spend=2300),
            CustomerValue(email="ben@example.com", customer_id="C-2", residual_clv=200, historical_spend=90),
        ]
    )
    for user_id, email in ((901, "ana@example.com"), (902, "ben@example.com"), (903, "stranger@example.net")):
        standin.add_user(user_id, email)
    standin.add_ticket(101, requester_id=901, tags=["vip", "blender"])
    standin.add_ticket(102, requester_id=902)
    standin.add_ticket(103, requester_id=903)
    return standin


def ana_event(event_id="evt-ana"):
    return ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY, event_id=event_id)


def suggestion_for(client, ticket_id):
    return client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"})


def test_event_becomes_one_private_note_with_value_and_reasons(shop, deliver, work, client):
    assert deliver(ana_event()).status_code == 202
    work()

    [note] = shop.notes(101)
    assert note["public"] is False
    body = note["body"]
    assert body.startswith("clvdesk suggestion: Partial refund: $100.00")  # 20% of $500 residual CLV
    assert "tier Champions" in body and "residual CLV $500.00" in body
    assert "churn intent" in body and "cancel my account" in body
    assert "Budget is 20% of residual CLV $500.00 = $100.00 [tiers.champions.budget_share]" in body
    assert body.rstrip().endswith("clvdesk-ref:evt-ana")
    assert {"vip", "blender", "clvdesk", "clvdesk_tier_champions", "clvdesk_offer_partial_refund"} <= set(shop.tags(101))

    suggestion = suggestion_for(client, 101)
    assert suggestion.status_code == 200
    data = suggestion.json
    assert data["customer"]["tier"] == "champions"
    assert data["customer"]["email"] == "ana@example.com"
    assert data["offer"] == {
        "instrument": "partial_refund",
        "instrument_label": "Partial refund",
        "amount": 100.0,
        "currency": "USD",
        "budget": 100.0,
        "needs_approval": False,
        "cost": 100.0,  # a partial refund is cash: it costs its face value
        "budget_left": 100.0,  # of the 30-day rolling budget, 40% of $500
        "flagged": False,
        "approval_above": None,  # set, with approval_role, only on an offer that needs approval
        "approval_role": None,
    }
    assert data["rules_version"] == "default-2026.11"
    assert data["sentiment"]["label"] == "very_negative"
    assert [reason["rule"] for reason in data["reasons"]][:2] == ["tiers.champions.when", "tiers.champions.budget_share"]


def test_a_requester_is_looked_up_once_for_all_their_events(shop, deliver, work, redis):
    """The lookup's answer is cached with the job's closing writes and read with the rules pointer."""
    deliver(ana_event("evt-1"))
    work()
    deliver(comment_added_event(ticket_id=101, requester_id=901, subject="Broken", body="Any news?", event_id="evt-2"))
    work()
    assert len(shop.notes(101)) == 2
    assert [request.path for request in shop.requests if request.path.startswith("/api/v2/users")] == ["/api/v2/users/901"]
    assert redis.ttl(f"clvdesk:requester:zendesk:{shop.url.removeprefix('http://')}:901") > 0


def test_rerun_after_the_note_was_posted_posts_nothing(shop, deliver, work, redis):
    deliver(ana_event())
    work()
    event = parse_zendesk_webhook(ana_event(), account=account_of(shop.url))
    pipeline = current_pipeline(redis)

    pipeline.handle(event)  # the job runs again after success: the marker says posted
    assert len(shop.notes(101)) == 1

    # The job died after Zendesk took the note but before the marker was confirmed.
    redis.set(f"clvdesk:note:{event.key}", NoteLedger.POSTING)
    pipeline.handle(event)
    assert len(shop.notes(101)) == 1
    assert redis.get(f"clvdesk:note:{event.key}") == NoteLedger.POSTED


def test_throttled_then_accepted(shop, deliver, work):
    shop.fail_next(429, retry_after=1, method="PUT")
    deliver(ana_event())
    work()
    puts = [request.status for request in shop.requests if request.method == "PUT" and request.path == "/api/v2/tickets/101"]
    assert puts == [429, 200]
    assert len(shop.notes(101)) == 1


def test_server_error_then_accepted(shop, deliver, work):
    shop.fail_next(500, method="PUT")
    deliver(ana_event())
    work()
    puts = [request.status for request in shop.requests if request.method == "PUT" and request.path == "/api/v2/tickets/101"]
    assert puts == [500, 200]
    assert len(shop.notes(101)) == 1


def test_unknown_ticket_fails_the_job_visibly(shop, deliver, work, redis):
    response = deliver(ticket_created_event(ticket_id=999, requester_id=901, subject="?", description="Hello?"))
    work()
    failed = FailedJobRegistry(queue=event_queue(redis))
    assert failed.get_job_ids() == [response.json["job_id"]]
    job = event_queue(redis).fetch_job(response.json["job_id"])
    assert "PUT /api/v2/tickets/999 answered 404" in job.latest_result().exc_string
    assert shop.notes(999) == []


def test_unknown_customer_gets_the_new_tier(shop, deliver, work, client):
    body = trigger_body(
        ticket_id=103, subject="Still waiting", latest_comment="Still waiting after two weeks, unacceptable.",
        requester_email="stranger@example.net",
    )
    assert deliver(body, invocation_id="inv-1").status_code == 202
    work()
    [note] = shop.notes(103)
    assert "tier New or low value · not in the customer store" in note["body"]
    assert suggestion_for(client, 103).json["customer"]["known"] is False
    assert not any(request.path.startswith("/api/v2/users") for request in shop.requests)  # the email came with the body


def test_customer_comment_is_scored_on_its_own_words(shop, deliver, work, client):
    deliver(comment_added_event(ticket_id=102, requester_id=902, subject="Parcel", body="Thanks for the quick reply!"))
    work()
    data = suggestion_for(client, 102).json
    assert data["customer"]["tier"] == "potential_loyalists"
    assert data["sentiment"]["label"] == "positive"
    assert data["offer"]["instrument"] == "apology_only"


def test_suggestion_api_requires_the_token(client):
    assert suggestion_for(client, 1).status_code == 404
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_TOKEN}):
        response = client.get("/api/v1/zendesk/tickets/1/suggestion", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="clvdesk"'
    assert client.get("/api/v1/zendesk/tickets/abc/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 400
    unknown = client.get("/api/v1/nodesk/tickets/1/suggestion", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert unknown.status_code == 404 and unknown.json["error"] == "unknown_helpdesk"


def test_one_message_announced_twice_gets_one_note(shop, deliver, work):
    # A new ticket may arrive as ticket.created and as comment_added for its first comment.
    assert deliver(ana_event("evt-created")).status_code == 202
    again = comment_added_event(ticket_id=101, requester_id=901, subject="Broken", body=ANGRY, event_id="evt-comment")
    assert deliver(again).status_code == 202
    later = comment_added_event(ticket_id=101, requester_id=901, subject="Broken", body="Any news?", event_id="evt-later")
    assert deliver(later).status_code == 202
    work()
    notes = shop.notes(101)
    assert [note["body"].rsplit("clvdesk-ref:", 1)[1] for note in notes] == ["evt-created", "evt-later"]


def test_add_tags_is_called_only_when_the_ticket_lacks_the_tags(shop, deliver, work):
    """The note's answer carries the ticket's tags: a second message on the same ticket with the same
    tier and offer needs no Add Tags call; the first one does."""
    add_tags = lambda: [r for r in shop.requests if r.method == "PUT" and r.path.endswith("/tags")]  # noqa: E731
    deliver(ana_event("evt-first"))
    work()
    assert len(add_tags()) == 1
    second = comment_added_event(ticket_id=101, requester_id=901, author_id=901, body=ANGRY + " Still waiting!", event_id="evt-second")
    deliver(second)
    work()
    assert len(shop.notes(101)) == 2
    assert len(add_tags()) == 1
    assert {"clvdesk", "clvdesk_tier_champions", "clvdesk_offer_partial_refund"} <= set(shop.tags(101))


def test_the_note_carries_the_tags_when_the_event_told_the_tickets_tags(shop, deliver, work):
    """One helpdesk call instead of two: the note's own update sets the tags, as a safe update."""
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY,
                                 event_id="evt-state", ticket_state=shop.ticket_state(101)))
    work()
    writes = [r for r in shop.requests if r.method == "PUT"]
    assert [r.path for r in writes] == ["/api/v2/tickets/101"]
    assert writes[0].json["ticket"]["safe_update"] is True
    assert len(shop.notes(101)) == 1
    assert shop.tags(101)[:2] == ["vip", "blender"]
    assert {"clvdesk", "clvdesk_tier_champions", "clvdesk_offer_partial_refund"} <= set(shop.tags(101))


def test_a_ticket_changed_since_the_event_keeps_its_new_tags(shop, deliver, work):
    """The agent tagged the ticket after the event: the safe update is refused, the note goes alone
    and Add Tags adds clvdesk's tags to the agent's, which stay."""
    state = shop.ticket_state(101)
    shop.set_tags(101, ["vip", "blender", "escalated"])
    deliver(ticket_created_event(ticket_id=101, requester_id=901, subject="Broken", description=ANGRY,
                                 event_id="evt-stale", ticket_state=state))
    work()
    assert len(shop.notes(101)) == 1
    assert [r.path for r in shop.requests if r.method == "PUT"] == [
        "/api/v2/tickets/101", "/api/v2/tickets/101", "/api/v2/tickets/101/tags"]
    assert {"vip", "blender", "escalated", "clvdesk", "clvdesk_tier_champions"} <= set(shop.tags(101))


def test_each_customer_message_is_logged_once_for_the_report(shop, deliver, work, redis, client):
    """The worker stores suggestions in its own claim script; the outcome report must still see each
    customer message once, and a repeat announcement must not replace the suggestion the sidebar shows."""
    deliver(ana_event("evt-created"))
    deliver(comment_added_event(ticket_id=101, requester_id=901, subject="Broken", body=ANGRY, event_id="evt-comment"))
    deliver(comment_added_event(ticket_id=102, requester_id=902, subject="Late", body="Where is my parcel?", event_id="evt-ben"))
    work()
    today = datetime.now(timezone.utc).date()
    logged = SuggestionStore(redis).log.records(today, today)
    assert sorted(record["event_id"] for record in logged) == ["evt-ben", "evt-created"]
    assert suggestion_for(client, 101).json["event_id"] == "evt-created"


def test_a_corrupt_customer_record_makes_the_customer_unknown_not_a_failed_job(shop, deliver, work, redis, client, caplog):
    write_record(redis, "email", "ana@example.com", '{"email": "ana@example.com", "residual_clv": NaN, "historical_spend": 2300}')
    response = deliver(ana_event())
    work()
    assert FailedJobRegistry(queue=event_queue(redis)).get_job_ids() == []
    [note] = shop.notes(101)
    assert "The customer's stored value is corrupt: treated as not in the store [customer_store]" in note["body"]
    assert "not in the customer store" in note["body"]
    suggestion = suggestion_for(client, 101).json
    assert suggestion["customer"]["known"] is False and suggestion["reasons"][0]["rule"] == "customer_store"
    assert response.status_code == 202
    assert any("is corrupt" in record.getMessage() and "treated as an unknown customer" in record.getMessage() for record in caplog.records)
