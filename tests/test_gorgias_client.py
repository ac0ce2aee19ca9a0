"""The Gorgias client against the stand-in over real HTTP: the internal note (never twice, even when its
answer is lost after Gorgias applied it), finding it again through the message pages, tags added without
dropping the ticket's others, the customer, and the account's leaky bucket shared by every worker."""

from __future__ import annotations

import time

import pytest
import urllib3

from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskRequestError, HelpdeskUnavailable
from clvdesk.helpdesk.gorgias.client import GorgiasClient
from clvdesk.note import note_reference, render_note, text_note_as_html
from clvdesk.ratelimit import RateLimiter
from clvdesk.standins.gorgias import SENDER_ID, GorgiasStandin
from tests.gorgias_bodies import real_suggestion

EMAIL, KEY = "clvdesk-bot@shop.example", "gorgias-api-key-test"
TICKET, CUSTOMER = 8651, 387705374
NOTE = 'clvdesk suggestion: Store credit: $25.00\n\nCustomer: jane.doe@example.com · tier "<VIP>"\n\nRules v1 · '


def event(message_id: int = 208841467, ticket_id: int = TICKET) -> TicketEvent:
    return TicketEvent(helpdesk="gorgias", account="127.0.0.1", event_id=f"ticket:{ticket_id}:message:{message_id}",
                       kind="ticket.comment_added", ticket_id=str(ticket_id), text="It broke")


def note_for(posted: TicketEvent) -> str:
    return NOTE + note_reference(posted.event_id)


@pytest.fixture
def gorgias():
    server = GorgiasStandin(email=EMAIL, api_key=KEY).start()
    server.add_customer(CUSTOMER, "jane.doe@example.com", external_id="shop-cust-5521", name="Jane Doe")
    server.add_ticket(TICKET, CUSTOMER, subject="Order #1002 arrived broken", tags=("vip", "refund"))
    server.customer_writes(TICKET, "It broke")
    yield server
    server.stop()
    assert server.violations == [], "requests that break Gorgias's documented contract"


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(gorgias, waits):
    made = GorgiasClient(gorgias.url, email=EMAIL, api_key=KEY,
                         sender_user_id=str(SENDER_ID), sleep=waits.append)
    yield made
    made.close()


def test_the_note_is_an_internal_note_from_clvdesks_user_with_both_bodies(gorgias, client):
    posted = event()
    assert client.post_note(posted, note_for(posted), ["clvdesk"]).tags is None  # tags are add_tags' write
    (note,) = gorgias.notes(TICKET)
    assert (note["channel"], note["from_agent"], note["public"], note["sender"]["id"]) == ("internal-note", True, False, SENDER_ID)
    assert note["external_id"] == note_reference(posted.event_id)
    assert note["body_text"] == note_for(posted) and note["body_html"] == text_note_as_html(note_for(posted))
    assert "&lt;VIP&gt;" in note["body_html"] and "<VIP>" not in note["body_html"]
    (request,) = [r for r in gorgias.requests if r.method == "POST"]
    assert request.path == f"/api/tickets/{TICKET}/messages" and request.headers["Authorization"] == "Basic <redacted>"


def test_the_note_is_found_again_by_its_reference_and_only_on_its_ticket(gorgias, client):
    posted = event()
    assert not client.has_note(str(TICKET), note_reference(posted.event_id))
    client.post_note(posted, note_for(posted), [])
    assert client.has_note(str(TICKET), note_reference(posted.event_id))
    assert not client.has_note(str(TICKET), note_reference(event(208841999).event_id))
    gorgias.add_ticket(8652, CUSTOMER)
    assert not client.has_note("8652", note_reference(posted.event_id))


def test_a_note_behind_many_newer_messages_is_found_through_the_cursor_pages(gorgias, client):
    posted = event()
    client.post_note(posted, note_for(posted), [])
    for number in range(230):
        gorgias.customer_writes(TICKET, f"and another thing #{number}")
    before = len(gorgias.requests)
    assert client.has_note(str(TICKET), note_reference(posted.event_id))
    pages = [r for r in gorgias.requests[before:] if r.path == "/api/messages"]
    assert len(pages) == 3 and "cursor" not in pages[0].query and all("cursor" in p.query for p in pages[1:])
    assert {p.query["order_by"][0] for p in pages} == {"created_datetime:desc"}


def test_a_note_an_agent_copied_by_hand_counts_by_its_ref_line(gorgias, client):
    posted = event()
    copy = GorgiasClient(gorgias.url, email=EMAIL, api_key=KEY, sender_user_id=str(SENDER_ID))
    copy._call("POST", f"/api/tickets/{TICKET}/messages", json={  # what an agent's paste into a note makes
        "channel": "internal-note", "from_agent": True, "sender": {"id": SENDER_ID}, "body_text": note_for(posted)})
    assert client.has_note(str(TICKET), note_reference(posted.event_id))
    copy.close()


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_note_applied_then_answered_badly_is_not_posted_again(gorgias, client, how):
    posted = event()
    gorgias.lose_answer_next(how, method="POST")
    with pytest.raises(AmbiguousWrite):
        client.post_note(posted, note_for(posted), [])
    assert len(gorgias.notes(TICKET)) == 1  # Gorgias applied it: the caller must look before writing again
    assert client.has_note(str(TICKET), note_reference(posted.event_id))
    assert [r.method for r in gorgias.requests].count("POST") == 1


def test_a_429_took_nothing_so_the_note_is_sent_again_after_retry_after(gorgias, client, waits):
    posted = event()
    gorgias.fail_next(429, retry_after=2, method="POST")
    client.post_note(posted, note_for(posted), [])
    assert len(gorgias.notes(TICKET)) == 1 and waits == [2.0]


def test_a_5xx_on_the_note_is_ambiguous_and_the_note_absent_is_then_posted_once(gorgias, client):
    posted = event()
    gorgias.fail_next(500, method="POST")  # refused before applying, but a 500 cannot say so
    with pytest.raises(AmbiguousWrite):
        client.post_note(posted, note_for(posted), [])
    assert not client.has_note(str(TICKET), note_reference(posted.event_id))
    client.post_note(posted, note_for(posted), [])
    assert len(gorgias.notes(TICKET)) == 1


def test_tags_are_added_keeping_the_tickets_others_creating_the_ones_the_account_lacks(gorgias, client):
    tags = client.add_tags(str(TICKET), ["clvdesk", "clvdesk_tier_vip"])
    assert tags == ["vip", "refund", "clvdesk", "clvdesk_tier_vip"] == gorgias.tags(TICKET)
    assert [r.method for r in gorgias.requests if r.path.endswith("/tags")].count("PUT") == 0  # PUT would replace
    gorgias.set_tags(TICKET, ["vip", "clvdesk", "escalated"])  # an agent's edit in between
    assert client.add_tags(str(TICKET), ["clvdesk", "clvdesk_tier_vip"]) == ["vip", "clvdesk", "escalated", "clvdesk_tier_vip"]


def test_a_lost_answer_on_adding_tags_is_retried_and_leaves_each_tag_once(gorgias, client):
    gorgias.add_account_tag("clvdesk")
    gorgias.lose_answer_next("cut", method="POST")
    assert client.add_tags(str(TICKET), ["clvdesk"]) == ["vip", "refund", "clvdesk"]


def test_the_requester_is_the_tickets_customer(gorgias, client):
    requester = client.requester(str(CUSTOMER))
    assert (requester.email, requester.external_id) == ("jane.doe@example.com", "shop-cust-5521")
    gorgias.add_customer(5, None)
    assert (client.requester("5").email, client.requester("5").external_id) == (None, None)
    with pytest.raises(HelpdeskRequestError) as missing:
        client.requester("6")
    assert missing.value.status == 404


def test_wrong_credentials_are_refused_and_never_sent_to_the_log(gorgias):
    wrong = GorgiasClient(gorgias.url, email=EMAIL, api_key="not-the-key", sender_user_id="42")
    with pytest.raises(HelpdeskRequestError) as refused:
        wrong.requester(str(CUSTOMER))
    assert refused.value.status == 401 and "not-the-key" not in str(refused.value)
    wrong.close()


def test_ids_that_name_no_record_never_reach_a_path(client):
    with pytest.raises(ValueError, match="must be a Gorgias id"):
        client.add_tags("8651/../../account", ["x"])


def test_the_standin_records_bodies_that_break_the_contract(gorgias):
    http = urllib3.PoolManager()
    auth = urllib3.make_headers(basic_auth=f"{EMAIL}:{KEY}") | {"Content-Type": "application/json"}
    cases = [
        ({"channel": "internal-note", "body_text": "x", "sender": {"id": SENDER_ID}}, "from_agent is required"),
        ({"channel": "internal-note", "from_agent": True, "body_text": "x"}, "sender must be"),
        ({"channel": "internal-note", "from_agent": True, "body_text": "x", "sender": {"id": 7}}, "sender must be"),
        ({"channel": "internal-note", "from_agent": True, "sender": {"id": SENDER_ID}}, "body_text or body_html"),
        ({"channel": "internal-note", "from_agent": True, "sender": {"id": SENDER_ID}, "body_text": "x",
          "external_id": "e" * 256}, "external_id must be"),
    ]
    for body, message in cases:
        answer = http.request("POST", f"{gorgias.url}/api/tickets/{TICKET}/messages", json=body, headers=auth)
        assert answer.status == 400 and message in answer.json()["error"]["msg"]
    page = http.request("GET", f"{gorgias.url}/api/messages?ticket_id={TICKET}&limit=101", headers=auth)
    assert page.status == 400
    assert len(gorgias.violations) == len(cases) + 1 and gorgias.notes(TICKET) == []
    gorgias.violations.clear()


# --- the account's leaky bucket -----------------------------------------------------------------------


def limiter(redis, account: str = "gorgias:acme") -> RateLimiter:
    return RateLimiter(redis, account, per_minute=6000, burst=100, max_wait_seconds=10)


def test_workers_reading_the_call_limit_header_keep_the_bucket_from_overflowing(redis):
    """Two workers on one account, each pacing itself far above the bucket's rate: the header tells them
    how full it is, and holding all of them as it fills keeps every request within it."""
    server = GorgiasStandin(email=EMAIL, api_key=KEY, bucket_size=8, window_seconds=1).start()
    server.add_customer(CUSTOMER, "jane.doe@example.com")
    workers = [GorgiasClient(server.url, email=EMAIL, api_key=KEY, sender_user_id="42",
                             window_seconds=1, limiter=limiter(redis)) for _ in range(2)]
    started = time.monotonic()
    for number in range(24):
        workers[number % 2].requester(str(CUSTOMER))
    elapsed = time.monotonic() - started
    assert server.rate_limited == 0 and len(server.requests) == 24
    assert elapsed > 1.5  # 24 requests through a bucket of 8 leaking 8 a second: about (24 - 6) / 8 s
    for worker in workers:
        worker.close()
    server.stop()


def test_a_429_holds_every_worker_of_the_account_for_its_retry_after(redis, gorgias):
    first = GorgiasClient(gorgias.url, email=EMAIL, api_key=KEY, sender_user_id="42",
                          limiter=limiter(redis), max_attempts=1)
    second = GorgiasClient(gorgias.url, email=EMAIL, api_key=KEY, sender_user_id="42",
                           limiter=limiter(redis))
    gorgias.fail_next(429, retry_after=1)
    with pytest.raises(HelpdeskUnavailable):
        first.requester(str(CUSTOMER))  # its 429 paused the whole account
    started = time.monotonic()
    assert second.requester(str(CUSTOMER)).email == "jane.doe@example.com"
    assert 0.8 < time.monotonic() - started < 3
    first.close()
    second.close()


def test_every_answer_reports_the_bucket_and_a_bare_429_backs_off(waits):
    server = GorgiasStandin(email=EMAIL, api_key=KEY, bucket_size=40, window_seconds=20).start()
    server.add_customer(CUSTOMER, "jane.doe@example.com")
    made = GorgiasClient(server.url, email=EMAIL, api_key=KEY, sender_user_id="42", sleep=waits.append)
    made.requester(str(CUSTOMER))
    answer = made._api.call("GET", f"/api/customers/{CUSTOMER}")
    assert answer.headers["X-Gorgias-Account-Api-Call-Limit"] == "2/40"
    server.fail_next(429)  # neither Retry-after nor the call-limit header: the transport's own back-off
    made.requester(str(CUSTOMER))
    assert waits == [0.5]
    made.close()
    server.stop()


def test_the_html_body_is_what_clvdesk_renders_as_html_for_the_same_suggestion():
    suggestion = real_suggestion()
    assert text_note_as_html(render_note(suggestion, "text")) == render_note(suggestion, "html")
    html = text_note_as_html(render_note(suggestion.model_copy(update={"customer": suggestion.customer.model_copy(
        update={"email": "<img src=x onerror=alert(1)>@x.com"})}), "text"))
    assert "&lt;img src=x onerror=alert(1)&gt;@x.com" in html and "<img" not in html
