"""ZendeskClient against the stand-in Zendesk, every request checked against Zendesk's OpenAPI description
(when ../shared has it: see tests/zendesk_contract.py)."""

import socket

import pytest
import requests

from clvdesk.defaults import HTTP_BACKOFF_BASE_SECONDS, HTTP_RETRY_AFTER_MAX_SECONDS
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskRequestError, HelpdeskUnavailable
from clvdesk.helpdesk.zendesk import UpdateConflict, ZendeskClient
from clvdesk.standins.zendesk import AGENT_ID, ZendeskStandin
from tests.shared_files import needs_shared
from tests.zendesk_contract import OAS, contract_validator

EMAIL = "agent@example.com"
API_TOKEN = "api-token-0123"
OAUTH_TOKEN = "oauth-token-4567"
CUSTOMER_ID = 501
TICKET_ID = 42


@pytest.fixture
def noted():
    return []


@pytest.fixture
def standin(noted):
    server = ZendeskStandin(
        email=EMAIL,
        api_token=API_TOKEN,
        oauth_token=OAUTH_TOKEN,
        validate=contract_validator(),
        on_note=lambda ticket_id, comment: noted.append((ticket_id, comment)),
    )
    with server:
        server.add_user(CUSTOMER_ID, "ann@example.com", name="Ann Lee", external_id="cust-7")
        server.add_ticket(
            TICKET_ID, requester_id=CUSTOMER_ID, subject="Late parcel", description="Where is my order?",
            tags=["vip", "shipping"],
        )
        yield server


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def zendesk(standin, sleeps):
    with ZendeskClient(standin.url, email=EMAIL, api_token=API_TOKEN, sleep=sleeps.append) as client:
        yield client


def statuses(standin):
    return [request.status for request in standin.requests]


def test_private_note_is_posted_as_an_internal_comment(standin, zendesk, noted):
    answer = zendesk.add_private_note(TICKET_ID, "Offer a 10% credit")

    [note] = standin.notes(TICKET_ID)
    assert (note["body"], note["public"], note["author_id"]) == ("Offer a 10% credit", False, AGENT_ID)
    assert standin.comments(TICKET_ID)[-1]["id"] == note["id"]
    assert noted == [(TICKET_ID, {key: value for key, value in note.items() if key != "ticket_id"})]
    assert {"type": "Comment", "public": False}.items() <= answer["audit"]["events"][0].items()
    [request] = standin.requests
    assert (request.method, request.path) == ("PUT", f"/api/v2/tickets/{TICKET_ID}")
    assert request.json == {"ticket": {"comment": {"body": "Offer a 10% credit", "public": False}}}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("clvdesk/")
    assert standin.tags(TICKET_ID) == ["vip", "shipping"]  # an update without "tags" leaves them alone
    assert standin.violations == []


def test_note_with_tags_is_a_safe_update_refused_once_the_ticket_changed(standin, zendesk, sleeps):
    stamp = standin.ticket_state(TICKET_ID)["updated_at"]
    standin.set_tags(TICKET_ID, ["vip", "shipping", "escalated"])  # an agent's edit after the event
    with pytest.raises(UpdateConflict) as refused:
        zendesk.add_private_note(TICKET_ID, "Offer a 10% credit", tags=["vip", "shipping", "clvdesk"], updated_stamp=stamp)
    assert refused.value.status == 409 and sleeps == []  # refused, not retried
    assert standin.notes(TICKET_ID) == [] and standin.tags(TICKET_ID) == ["vip", "shipping", "escalated"]

    fresh = standin.ticket_state(TICKET_ID)["updated_at"]
    answer = zendesk.add_private_note(TICKET_ID, "Offer a 10% credit", tags=["vip", "shipping", "escalated", "clvdesk"], updated_stamp=fresh)
    assert answer["ticket"]["tags"] == ["vip", "shipping", "escalated", "clvdesk"]
    assert standin.requests[-1].json["ticket"] == {
        "comment": {"body": "Offer a 10% credit", "public": False},
        "tags": ["vip", "shipping", "escalated", "clvdesk"], "safe_update": True, "updated_stamp": fresh,
    }
    assert len(standin.notes(TICKET_ID)) == 1 and standin.violations == []
    with pytest.raises(ValueError, match="updated_stamp"):
        zendesk.add_private_note(TICKET_ID, "x", tags=["clvdesk"])  # replacing tags blind could drop someone's


def test_add_tags_keeps_the_tickets_other_tags(standin, zendesk):
    assert zendesk.add_tags(TICKET_ID, ["clvdesk", "shipping"]) == ["vip", "shipping", "clvdesk"]
    assert zendesk.add_tags(TICKET_ID, ["clvdesk"]) == ["vip", "shipping", "clvdesk"]  # adding twice is harmless
    assert [(r.method, r.path, r.json) for r in standin.requests][0] == (
        "PUT", f"/api/v2/tickets/{TICKET_ID}/tags", {"tags": ["clvdesk", "shipping"]}
    )
    assert standin.violations == []


def test_basic_and_bearer_auth_are_accepted_and_a_wrong_token_is_refused(standin, zendesk):
    assert zendesk.get_ticket(TICKET_ID)["id"] == TICKET_ID
    with ZendeskClient(standin.url, oauth_token=OAUTH_TOKEN) as bearer:
        assert bearer.get_ticket(TICKET_ID)["id"] == TICKET_ID
    with ZendeskClient(standin.url, email=EMAIL, api_token="not-the-token") as wrong:
        with pytest.raises(HelpdeskRequestError) as refused:
            wrong.get_ticket(TICKET_ID)

    assert refused.value.status == 401
    assert "Couldn't authenticate you" in str(refused.value)
    assert "not-the-token" not in str(refused.value)
    assert [r.headers["Authorization"] for r in standin.requests] == [
        "Basic <redacted>", "Bearer <redacted>", "Basic <redacted>",
    ]
    assert statuses(standin) == [200, 200, 401]
    assert standin.violations == []


def test_429_waits_the_retry_after_then_succeeds(standin, zendesk, sleeps):
    standin.fail_next(429, retry_after=7)

    assert zendesk.get_ticket(TICKET_ID)["subject"] == "Late parcel"
    assert sleeps == [7]
    assert statuses(standin) == [429, 200]
    assert standin.violations == []


def test_500_backs_off_then_succeeds(standin, zendesk, sleeps):
    standin.fail_next(500)

    assert zendesk.get_ticket(TICKET_ID)["id"] == TICKET_ID
    assert sleeps == [HTTP_BACKOFF_BASE_SECONDS]
    assert statuses(standin) == [500, 200]
    assert standin.violations == []


def test_connection_refused_gives_up_after_max_attempts(sleeps):
    with socket.socket() as bound_not_listening:  # connecting to it is refused at once
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        with ZendeskClient(
            f"http://127.0.0.1:{port}", email=EMAIL, api_token=API_TOKEN, max_attempts=3, sleep=sleeps.append
        ) as zendesk:
            with pytest.raises(HelpdeskUnavailable) as unavailable:
                zendesk.get_ticket(TICKET_ID)

    assert (unavailable.value.status, unavailable.value.attempts) == (None, 3)
    assert sleeps == [HTTP_BACKOFF_BASE_SECONDS, 2 * HTTP_BACKOFF_BASE_SECONDS]


def test_unknown_ticket_is_a_404_request_error_naming_the_path(standin, zendesk, sleeps):
    with pytest.raises(HelpdeskRequestError) as refused:
        zendesk.get_ticket(999)

    assert refused.value.status == 404
    assert "GET /api/v2/tickets/999 answered 404" in str(refused.value)
    assert "RecordNotFound" in refused.value.body
    assert sleeps == []
    assert statuses(standin) == [404]
    assert standin.violations == []


def test_retry_after_above_the_maximum_fails_without_sleeping(standin, zendesk, sleeps):
    standin.fail_next(429, retry_after=HTTP_RETRY_AFTER_MAX_SECONDS + 1)

    with pytest.raises(HelpdeskUnavailable) as unavailable:
        zendesk.get_ticket(TICKET_ID)

    assert (unavailable.value.status, unavailable.value.attempts) == (429, 1)
    assert sleeps == []
    assert statuses(standin) == [429]
    assert standin.violations == []


def test_list_comments_newest_first(standin, zendesk):
    standin.add_comment(TICKET_ID, "Still nothing", author_id=CUSTOMER_ID)
    zendesk.add_private_note(TICKET_ID, "Customer is waiting")

    newest_first = [c["body"] for c in zendesk.list_comments(TICKET_ID)]
    oldest_first = [c["body"] for c in zendesk.list_comments(TICKET_ID, newest_first=False)]

    assert newest_first == ["Customer is waiting", "Still nothing", "Where is my order?"]
    assert oldest_first == newest_first[::-1]
    assert standin.requests[1].query == {"page[size]": ["100"], "sort": ["-created_at"]}
    assert standin.violations == []


def test_list_comments_follows_cursor_pages_up_to_the_limit(standin, zendesk):
    for number in range(1, 131):
        standin.add_comment(TICKET_ID, f"reply {number}", author_id=CUSTOMER_ID)

    comments = zendesk.list_comments(TICKET_ID, limit=120)

    assert [c["body"] for c in comments] == [f"reply {n}" for n in range(130, 10, -1)]
    assert len(standin.requests) == 2
    assert "page[after]" in standin.requests[1].query
    assert standin.violations == []


def test_get_user(standin, zendesk):
    user = zendesk.get_user(CUSTOMER_ID)

    assert (user["id"], user["email"], user["name"]) == (CUSTOMER_ID, "ann@example.com", "Ann Lee")
    assert (user["external_id"], user["role"]) == ("cust-7", "end-user")
    assert standin.violations == []


@needs_shared(OAS)
def test_a_request_zendesk_does_not_document_is_recorded_as_a_violation(standin, zendesk):
    answer = requests.put(
        f"{standin.url}/api/v2/tickets/{TICKET_ID}",
        json={"ticket": {"priority": "nonsense"}},
        auth=(f"{EMAIL}/token", API_TOKEN),
        timeout=5,
    )

    assert answer.status_code == 400
    [violation] = standin.violations
    assert "priority" in violation and "nonsense" in violation
    assert zendesk.get_ticket(TICKET_ID)["priority"] is None


def test_calls_go_through_the_environments_proxy(standin, monkeypatch):
    """HTTP(S)_PROXY is honoured as requests would: here the stand-in is the proxy for a host that
    does not resolve, so the call only succeeds through it."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", standin.url)
    with ZendeskClient("http://zendesk.invalid", email=EMAIL, api_token=API_TOKEN) as proxied:
        assert proxied.get_ticket(TICKET_ID)["id"] == TICKET_ID
    assert standin.requests[-1].path == f"/api/v2/tickets/{TICKET_ID}"


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_note_whose_answer_is_lost_is_not_sent_again(standin, zendesk, sleeps, how):
    standin.lose_answer_next(how, method="PUT")  # Zendesk applies the update; its answer never arrives

    with pytest.raises(AmbiguousWrite) as lost:
        zendesk.add_private_note(TICKET_ID, "Offer a 10% credit")

    assert lost.value.status == (how if isinstance(how, int) else None)
    assert (lost.value.method, lost.value.path) == ("PUT", f"/api/v2/tickets/{TICKET_ID}")
    assert len(standin.notes(TICKET_ID)) == 1 and standin.lost == {str(how): 1}
    assert len(standin.requests) == 1 and sleeps == []  # one send, no retry
    assert standin.violations == []


def test_a_5xx_that_may_follow_applying_is_not_retried_on_a_note(standin, zendesk, sleeps):
    """A 500, 502, 504 or a 503 without Retry-After may come from a proxy after Zendesk applied the
    update: even when nothing was written (as here), the client cannot tell, so it does not resend."""
    for status in (500, 502, 503, 504):
        standin.fail_next(status, method="PUT")
        with pytest.raises(AmbiguousWrite, match=f"answered {status}"):
            zendesk.add_private_note(TICKET_ID, "Offer a 10% credit")
    assert statuses(standin) == [500, 502, 503, 504] and sleeps == []
    assert standin.notes(TICKET_ID) == []


def test_a_note_refused_before_applying_is_sent_again(standin, zendesk, sleeps):
    """429, and 503 with Retry-After (Zendesk saying it is busy), mean nothing was written."""
    standin.fail_next(429, retry_after=3, method="PUT")
    standin.fail_next(503, retry_after=3, method="PUT")
    zendesk.add_private_note(TICKET_ID, "Offer a 10% credit")
    assert statuses(standin) == [429, 503, 200]
    assert sleeps == [3, 2 * HTTP_BACKOFF_BASE_SECONDS]
    assert len(standin.notes(TICKET_ID)) == 1


def test_a_note_whose_connection_was_refused_is_sent_again(sleeps):
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        with ZendeskClient(
            f"http://127.0.0.1:{port}", email=EMAIL, api_token=API_TOKEN, max_attempts=3, sleep=sleeps.append
        ) as zendesk:
            with pytest.raises(HelpdeskUnavailable) as unavailable:  # not AmbiguousWrite: nothing was sent
                zendesk.add_private_note(TICKET_ID, "Offer a 10% credit")
    assert unavailable.value.attempts == 3 and len(sleeps) == 2


@pytest.mark.parametrize("how", [502, "cut"])
def test_reads_and_add_tags_are_retried_after_a_lost_answer(standin, zendesk, sleeps, how):
    """Reading twice or adding a tag twice changes nothing: a lost answer is retried like a 5xx."""
    standin.lose_answer_next(how, times=2)
    assert zendesk.add_tags(TICKET_ID, ["clvdesk"]) == ["vip", "shipping", "clvdesk"]
    assert zendesk.get_ticket(TICKET_ID)["tags"] == ["vip", "shipping", "clvdesk"]
    assert len(standin.requests) == 4 and len(sleeps) == 2
    assert standin.violations == []


def test_lost_answer_faults_check_their_arguments(standin):
    with pytest.raises(ValueError, match="one of"):
        standin.lose_answer_next(500)
    with pytest.raises(ValueError, match="hold_seconds"):
        standin.lose_answers_randomly({"slow": 0.1})
