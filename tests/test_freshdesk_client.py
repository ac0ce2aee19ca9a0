"""FreshdeskClient against the stand-in Freshdesk: notes, conversations, tags, contacts, rate limits and
answers lost after the stand-in applied the write."""

from __future__ import annotations

import logging
import time

import pytest

from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError
from clvdesk.helpdesk.freshdesk import FreshdeskClient, FreshdeskSettings
from clvdesk.helpdesk.interface import Requester
from clvdesk.ratelimit import RateLimiter
from clvdesk.settings import SettingsError
from clvdesk.standins.freshdesk import AGENT_ID, FreshdeskStandin

API_KEY = "fd-api-key-0123456789"
CONTACT_ID = 43000123456
TICKET_ID = 4711
REF = "clvdesk-ref: fd-4711-abc123"


@pytest.fixture
def standin():
    with FreshdeskStandin(api_key=API_KEY) as server:
        server.add_contact(CONTACT_ID, "ana.lopez@example.com", name="Ana Lopez", external_id="shop-cust-88121")
        server.add_ticket(TICKET_ID, requester_id=CONTACT_ID, subject="Broken mug",
                          description="<div>The mug arrived in pieces.</div>", tags=["vip", "damaged"])
        yield server
        assert server.violations == [], "requests that break Freshdesk's documented fields"


@pytest.fixture
def sleeps():
    return []


def make_client(standin, sleeps, **options) -> FreshdeskClient:
    return FreshdeskClient(FreshdeskSettings(url=standin.url, api_key=API_KEY), sleep=sleeps.append, **options)


@pytest.fixture
def freshdesk(standin, sleeps):
    client = make_client(standin, sleeps)
    yield client
    client.close()


def event(ticket_id: int = TICKET_ID) -> TicketEvent:
    return TicketEvent(helpdesk="freshdesk", account="acme.freshdesk.com", event_id="fd-4711-abc123", kind="ticket.created", ticket_id=str(ticket_id))


def statuses(standin):
    return [request.status for request in standin.requests]


def test_a_note_is_a_private_html_conversation_found_again_by_its_reference(standin, freshdesk):
    body = f"<p>clvdesk suggestion: Refund &lt;b&gt;20%&lt;/b&gt; &amp; more</p><ul><li>loyal</li></ul><p>Rules 3 · {REF}</p>"
    assert freshdesk.post_note(event(), body, ["clvdesk"]).tags is None
    [note] = standin.notes(TICKET_ID)
    assert note["private"] is True and note["user_id"] == AGENT_ID and note["body"] == body
    assert "&lt;b&gt;20%&lt;/b&gt; &amp; more" in note["body"] and "<li>loyal</li>" in note["body"]
    assert standin.requests[-1].json == {"body": body, "private": True}
    assert standin.requests[-1].headers["Authorization"] == "Basic <redacted>"
    assert freshdesk.has_note(str(TICKET_ID), REF)
    assert not freshdesk.has_note(str(TICKET_ID), "clvdesk-ref: fd-4711-other")


def test_the_reference_in_a_public_reply_is_not_a_note(standin, freshdesk):
    standin.add_reply(TICKET_ID, f"<div>I saw {REF} somewhere</div>")
    assert not freshdesk.has_note(str(TICKET_ID), REF)


def test_has_note_pages_through_the_conversations(standin, freshdesk):
    for number in range(230):
        standin.add_reply(TICKET_ID, f"<div>message {number}</div>")
    freshdesk.post_note(event(), f"<p>{REF}</p>", [])
    assert freshdesk.has_note(str(TICKET_ID), REF)
    pages = [request.query["page"] for request in standin.requests if request.path.endswith("/conversations")]
    assert pages == [["1"], ["2"], ["3"]]
    assert all(request.query["per_page"] == ["100"] for request in standin.requests if request.query)


def test_add_tags_keeps_the_tickets_others_and_writes_nothing_when_all_are_there(standin, freshdesk):
    assert freshdesk.add_tags(str(TICKET_ID), ["clvdesk", "clvdesk_tier_gold"]) == ["vip", "damaged", "clvdesk", "clvdesk_tier_gold"]
    assert standin.tags(TICKET_ID) == ["vip", "damaged", "clvdesk", "clvdesk_tier_gold"]
    assert [r.method for r in standin.requests] == ["GET", "PUT"]
    assert standin.requests[-1].json == {"tags": ["vip", "damaged", "clvdesk", "clvdesk_tier_gold"]}
    assert freshdesk.add_tags(str(TICKET_ID), ["clvdesk"]) == ["vip", "damaged", "clvdesk", "clvdesk_tier_gold"]
    assert [r.method for r in standin.requests] == ["GET", "PUT", "GET"]


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_tags_write_whose_answer_is_lost_is_read_again_before_writing(standin, freshdesk, sleeps, how):
    standin.lose_answer_next(how, method="PUT")  # applied, but the answer never arrives
    standin.set_tags(TICKET_ID, ["vip"])  # and an agent had removed "damaged" before
    assert freshdesk.add_tags(str(TICKET_ID), ["clvdesk"]) == ["vip", "clvdesk"]
    assert [r.method for r in standin.requests] == ["GET", "PUT", "GET"]  # the re-read found it applied
    assert standin.lost == {str(how): 1} and sleeps == []


def test_tags_writes_failing_twice_are_ambiguous(standin, freshdesk, sleeps):
    """A 5xx may come after Freshdesk applied the PUT: the client reads again and writes once more, and a
    second failure ends the attempt (the job is retried later) instead of writing on and on."""
    standin.fail_next(500, times=2, method="PUT")
    with pytest.raises(AmbiguousWrite, match="answered 500"):
        freshdesk.add_tags(str(TICKET_ID), ["clvdesk"])
    assert [r.method for r in standin.requests] == ["GET", "PUT", "GET", "PUT"] and sleeps == []
    assert standin.tags(TICKET_ID) == ["vip", "damaged"]


def test_the_requester_is_the_contacts_email_and_external_id(standin, freshdesk):
    assert freshdesk.requester(str(CONTACT_ID)) == Requester(email="ana.lopez@example.com", external_id="shop-cust-88121")


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_note_whose_answer_is_lost_is_not_sent_again(standin, freshdesk, sleeps, how):
    standin.lose_answer_next(how, method="POST")
    with pytest.raises(AmbiguousWrite) as lost:
        freshdesk.post_note(event(), f"<p>{REF}</p>", [])
    assert (lost.value.method, lost.value.path) == ("POST", f"/api/v2/tickets/{TICKET_ID}/notes")
    assert len(standin.notes(TICKET_ID)) == 1 and len(standin.requests) == 1 and sleeps == []
    assert freshdesk.has_note(str(TICKET_ID), REF)  # what the pipeline looks for before writing again


def test_a_5xx_on_a_note_is_ambiguous_but_a_429_is_sent_again(standin, freshdesk, sleeps):
    standin.fail_next(500, method="POST")
    with pytest.raises(AmbiguousWrite, match="answered 500"):
        freshdesk.post_note(event(), f"<p>{REF}</p>", [])
    standin.fail_next(429, retry_after=2, method="POST")
    freshdesk.post_note(event(), f"<p>{REF}</p>", [])
    assert statuses(standin) == [500, 429, 201] and sleeps == [2]
    assert len(standin.notes(TICKET_ID)) == 1


def test_reads_are_retried_after_a_lost_answer(standin, freshdesk, sleeps):
    standin.lose_answer_next("cut", method="GET")
    standin.lose_answer_next(502, method="GET")
    assert freshdesk.requester(str(CONTACT_ID)).email == "ana.lopez@example.com"
    assert len(standin.requests) == 3 and len(sleeps) == 2


def test_the_budget_is_shared_and_a_429_pauses_every_worker(redis, sleeps):
    """Past the account's per-minute budget the stand-in answers 429 with Retry-After; the client pauses
    the shared limiter for it, so the next call, of this worker or another, waits it out and goes through."""
    limited = FreshdeskStandin(api_key=API_KEY, requests_per_minute=2, rate_window_seconds=1).start()
    try:
        limited.add_contact(CONTACT_ID, "ana.lopez@example.com")
        limiter = RateLimiter(redis, "freshdesk:test", per_minute=6000, burst=10, max_wait_seconds=5)
        first, second = (make_client(limited, sleeps, limiter=limiter) for _ in range(2))
        first.requester(str(CONTACT_ID))
        first.requester(str(CONTACT_ID))
        started = time.monotonic()
        assert first.requester(str(CONTACT_ID)).email == "ana.lopez@example.com"  # 429, paused, then served
        paused_until = time.monotonic()
        second.requester(str(CONTACT_ID))
        assert statuses(limited) == [200, 200, 429, 200, 200] and limited.rate_limited == 1
        assert paused_until - started >= 0.9 and sleeps == []  # the wait was the shared limiter's, not a backoff
        assert limited.requests[0].status == 200
        first.close()
        second.close()
    finally:
        limited.stop()


def test_a_plan_smaller_than_the_setting_is_logged_once(standin, sleeps, caplog):
    limited = FreshdeskStandin(api_key=API_KEY, requests_per_minute=30).start()
    try:
        limited.add_contact(CONTACT_ID, "ana.lopez@example.com")
        client = make_client(limited, sleeps)  # the default budget, 40 a minute, is above this plan's 30
        with caplog.at_level(logging.WARNING, logger="clvdesk.helpdesk"):
            client.requester(str(CONTACT_ID))
            client.requester(str(CONTACT_ID))
        [warning] = [r.getMessage() for r in caplog.records if "X-RateLimit-Total" in r.getMessage()]
        assert "allows 30 calls a minute" in warning and API_KEY not in warning
        client.close()
    finally:
        limited.stop()


def test_a_wrong_key_is_refused_with_freshdesks_reason(standin, sleeps):
    client = FreshdeskClient(FreshdeskSettings(url=standin.url, api_key="wrong-key"), sleep=sleeps.append)
    with pytest.raises(HelpdeskRequestError) as refused:
        client.requester(str(CONTACT_ID))
    assert refused.value.status == 401 and "You have to be logged in" in str(refused.value)
    assert "wrong-key" not in str(refused.value) and sleeps == []


def test_an_unknown_ticket_is_a_404_and_a_bad_id_never_reaches_the_api(standin, freshdesk):
    with pytest.raises(HelpdeskRequestError) as missing:
        freshdesk.has_note("999", REF)
    assert missing.value.status == 404
    with pytest.raises(ValueError, match="must be a Freshdesk id"):
        freshdesk.add_tags("1/../../contacts/1", ["x"])
    assert len(standin.requests) == 1


def test_a_body_freshdesk_does_not_document_is_refused_and_recorded(standin, freshdesk):
    with pytest.raises(HelpdeskRequestError, match=r"Validation failed: colour: Unexpected/invalid field in request \(invalid_field\)"):
        freshdesk._call("POST", f"/api/v2/tickets/{TICKET_ID}/notes", json={"body": "<p>x</p>", "colour": "red"})
    assert standin.violations == [f"POST /api/v2/tickets/{TICKET_ID}/notes: colour invalid_field"]
    standin.violations.clear()


def test_the_stand_in_pages_with_a_link_header_and_refuses_pages_over_100(standin, freshdesk):
    for number in range(3):
        standin.add_reply(TICKET_ID, f"<div>message {number}</div>")
    page = freshdesk._api.call("GET", f"/api/v2/tickets/{TICKET_ID}/conversations", params={"page": 1, "per_page": 2})
    assert page.headers["Link"] == f'<{standin.url}/api/v2/tickets/{TICKET_ID}/conversations?page=2&per_page=2>; rel="next"'
    with pytest.raises(HelpdeskRequestError, match="per_page"):
        freshdesk._api.call("GET", f"/api/v2/tickets/{TICKET_ID}/conversations", params={"per_page": 101})
    assert len(standin.violations) == 1
    standin.violations.clear()


def test_a_client_without_credentials_is_refused():
    with pytest.raises(SettingsError, match="CLVDESK_FRESHDESK_API_KEY is not set; the worker needs it"):
        FreshdeskClient(FreshdeskSettings(url="acme"))


def test_a_ticket_past_the_page_cap_is_not_searched_to_the_end(standin, freshdesk, monkeypatch):
    monkeypatch.setattr("clvdesk.helpdesk.freshdesk.client.FRESHDESK_MAX_CONVERSATION_PAGES", 2)
    monkeypatch.setattr("clvdesk.helpdesk.freshdesk.client.FRESHDESK_PAGE_SIZE", 2)
    for number in range(5):
        standin.add_reply(TICKET_ID, f"<div>message {number}</div>")
    with pytest.raises(HelpdeskError, match="more than 2 pages"):
        freshdesk.has_note(str(TICKET_ID), REF)
