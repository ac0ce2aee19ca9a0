"""The Help Scout client against the stand-in over real HTTP: tokens that lapse, notes whose answers are
lost after they were applied, tags merged into the list Help Scout replaces, and 429s."""

from __future__ import annotations

import logging
from contextlib import closing
import threading
import time

import pytest
import requests

from clvdesk.defaults import HELPSCOUT_MAX_THREAD_PAGES, HELPSCOUT_TOKEN_REFRESH_MARGIN_SECONDS, RATE_LIMIT_MAX_WAIT_SECONDS
from clvdesk.events import TicketEvent
from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError
from clvdesk.helpdesk.helpscout.client import HelpScoutAuthError, HelpScoutClient, TokenError
from clvdesk.helpdesk.helpscout import HELPSCOUT
from clvdesk.helpdesk.helpscout.settings import HelpScoutSettings
from clvdesk.metrics import Metrics
from clvdesk.ratelimit import RateLimiter
from clvdesk.standins.helpscout import HelpScoutStandin

APP_ID, APP_SECRET = "hs-app-id", "hs-app-secret-do-not-log"
REF = "clvdesk-ref: 501:80001"


@pytest.fixture
def helpscout():
    server = HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET).start()
    server.add_customer(9001, "jane@acme.example.com")
    server.add_conversation(501, 9001, tags=["Orders"])
    server.customer_wrote(501, "My blender arrived broken.")
    yield server
    server.stop()
    assert server.violations == [], "requests that break Help Scout's documented contract"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(helpscout, sleeps):
    with closing(HelpScoutClient(helpscout.url, app_id=APP_ID, app_secret=APP_SECRET, sleep=sleeps)) as made:
        yield made


def note_event(conversation_id: int = 501) -> TicketEvent:
    return TicketEvent(helpdesk="helpscout", account=APP_ID, event_id=f"{conversation_id}:80001", kind="ticket.created",
                       ticket_id=str(conversation_id))


def calls(server, method, path_end=""):
    return [r for r in server.requests if r.method == method and r.path.endswith(path_end)]


def test_one_token_serves_every_thread(helpscout, client):
    threads = [threading.Thread(target=lambda: [client.requester("9001") for _ in range(5)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert helpscout.tokens_issued == 1 and len(calls(helpscout, "GET", "/customers/9001")) == 40
    token_call = calls(helpscout, "POST", "/oauth2/token")[0]
    assert token_call.json == {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET}


def test_every_worker_threads_client_shares_the_processs_token(helpscout, redis):
    settings = HelpScoutSettings(app_id=APP_ID, app_secret=APP_SECRET, api_url=helpscout.url)
    metrics = Metrics(redis)
    policy = HELPSCOUT.rate_limit(settings)
    limiter = RateLimiter(redis, f"helpscout:{settings.account}", per_minute=policy.per_minute, burst=policy.burst,
                          max_wait_seconds=RATE_LIMIT_MAX_WAIT_SECONDS)
    clients = [HELPSCOUT.client(settings, limiter, metrics) for _ in range(4)]  # as each worker thread builds its own
    for client in clients:
        assert client.requester("9001").email == "jane@acme.example.com"
        client.close()
    assert helpscout.tokens_issued == 1 and clients[0].tokens is clients[3].tokens
    assert (clients[0].helpdesk, clients[0].account) == ("helpscout", APP_ID)


def test_a_token_is_renewed_before_it_lapses(helpscout, sleeps):
    now = [1000.0]
    helpscout.token_seconds = 3600
    with closing(HelpScoutClient(helpscout.url, app_id=APP_ID, app_secret=APP_SECRET, sleep=sleeps, clock=lambda: now[0])) as client:
        client.requester("9001")
        now[0] += 3600 - HELPSCOUT_TOKEN_REFRESH_MARGIN_SECONDS - 1
        client.requester("9001")
        assert helpscout.tokens_issued == 1
        now[0] += 2  # within the margin of the end: a new token before the old one lapses
        client.requester("9001")
    assert helpscout.tokens_issued == 2 and all(r.status != 401 for r in helpscout.requests)


def test_a_lapsed_token_is_replaced_once_and_the_note_goes_once(helpscout, client):
    client.requester("9001")
    helpscout.expire_tokens()  # as if expires_in had run out unnoticed (a suspended machine, a revoked token)
    client.post_note(note_event(), f"<p>Suggestion</p><p>{REF}</p>", [])
    assert [r.status for r in calls(helpscout, "POST", "/notes")] == [401, 201]
    assert helpscout.tokens_issued == 2 and len(helpscout.notes(501)) == 1


def test_a_token_refused_twice_is_an_error_not_a_loop(helpscout, client, caplog):
    client.requester("9001")
    helpscout.expire_tokens()
    helpscout._credentials = (APP_ID, "rotated")  # the app's secret was regenerated in Help Scout
    with caplog.at_level(logging.DEBUG), pytest.raises(HelpScoutAuthError) as raised:
        client.requester("9001")
    assert raised.value.status == 401 and len(calls(helpscout, "POST", "/oauth2/token")) <= 3
    assert APP_SECRET not in str(raised.value) and APP_SECRET not in caplog.text


def test_wrong_credentials_say_so(helpscout, sleeps):
    with closing(HelpScoutClient(helpscout.url, app_id=APP_ID, app_secret="wrong", sleep=sleeps)) as client:
        with pytest.raises(HelpScoutAuthError, match="invalid_client"):
            client.requester("9001")


def test_a_429_waits_what_help_scout_says(helpscout, client, sleeps):
    helpscout.fail_next(429, retry_after=7, method="GET")
    assert client.requester("9001").email == "jane@acme.example.com"
    assert sleeps == [7.0]
    limited = next(r for r in helpscout.requests if r.status == 429)
    assert limited.path == "/v2/customers/9001"


def test_the_minutes_budget_is_reported_on_every_answer():
    with HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET, requests_per_minute=3) as server:
        server.add_customer(9001, "jane@acme.example.com")
        token = requests.post(f"{server.url}/v2/oauth2/token", timeout=5, data={
            "grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET}).json()["access_token"]
        answers = [requests.get(f"{server.url}/v2/customers/9001", headers={"Authorization": f"Bearer {token}"}, timeout=5)
                   for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining-Minute"] for a in answers] == ["1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit-Minute"] for a in answers} == {"3"}
    assert 1 <= int(answers[2].headers["X-RateLimit-Retry-After"]) <= 60


def test_a_spent_budget_is_waited_out(sleeps):
    with HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET, requests_per_minute=2, rate_window_seconds=1) as server:
        server.add_customer(9001, "jane@acme.example.com")
        with closing(HelpScoutClient(server.url, app_id=APP_ID, app_secret=APP_SECRET, sleep=time.sleep)) as client:
            assert all(client.requester("9001").email for _ in range(4))
        assert server.rate_limited >= 1 and server.violations == []


@pytest.mark.parametrize("how", [502, 504, "cut"])
def test_a_note_applied_then_lost_is_ambiguous_and_found(helpscout, client, how):
    helpscout.lose_answer_next(how, method="POST")
    with pytest.raises(AmbiguousWrite):
        client.post_note(note_event(), f"<p>Suggestion</p><p>{REF}</p>", [])
    assert len(helpscout.notes(501)) == 1 and len(calls(helpscout, "POST", "/notes")) == 1  # not sent again blindly
    assert client.has_note("501", REF)


def test_a_note_refused_before_applying_is_not_there(helpscout, client):
    helpscout.fail_next(503, method="POST")
    with pytest.raises(AmbiguousWrite):  # a 503 may come from a proxy after Help Scout applied it
        client.post_note(note_event(), f"<p>{REF}</p>", [])
    assert not client.has_note("501", REF) and helpscout.notes(501) == []


def test_the_note_is_found_on_a_later_page(sleeps):
    with HelpScoutStandin(app_id=APP_ID, app_secret=APP_SECRET, page_size=2) as server:
        server.add_customer(9001, "jane@acme.example.com")
        server.add_conversation(501, 9001)
        with closing(HelpScoutClient(server.url, app_id=APP_ID, app_secret=APP_SECRET, sleep=sleeps)) as client:
            client.post_note(note_event(), f"<p>{REF}</p>", [])
            for n in range(4):
                server.customer_wrote(501, f"message {n}")
            assert client.has_note("501", REF) and not client.has_note("501", "clvdesk-ref: 501:other")
            assert [r.query.get("page") for r in calls(server, "GET", "/threads")][-3:] == [["1"], ["2"], ["3"]]
            for n in range(2 * HELPSCOUT_MAX_THREAD_PAGES):
                server.customer_wrote(501, f"more {n}")
            with pytest.raises(HelpdeskError, match="cannot be ruled out"):
                client.has_note("501", "clvdesk-ref: 501:other")


def test_tags_are_added_to_the_ones_there(helpscout, client):
    helpscout.set_tags(501, ["orders", "vip"])
    assert client.add_tags("501", ["clvdesk", "clvdesk_tier_gold", "VIP"]) == ["orders", "vip", "clvdesk", "clvdesk_tier_gold"]
    assert helpscout.tags(501) == ["orders", "vip", "clvdesk", "clvdesk_tier_gold"]
    assert client.add_tags("501", ["clvdesk"]) == helpscout.tags(501)
    assert len(calls(helpscout, "PUT", "/tags")) == 1  # nothing new: no write


def test_a_lost_tags_answer_is_read_again_not_repeated(helpscout, client):
    helpscout.lose_answer_next(504, method="PUT")
    assert client.add_tags("501", ["clvdesk"]) == ["orders", "clvdesk"]
    assert len(calls(helpscout, "PUT", "/tags")) == 1 and helpscout.tags(501) == ["orders", "clvdesk"]


def test_the_requester_is_the_customers_email(helpscout, client):
    helpscout.add_customer(9002, None)
    assert client.requester("9001").email == "jane@acme.example.com"
    assert client.requester("9002").email is None
    with pytest.raises(ValueError):
        client.requester("../users/me")


def test_the_standin_records_requests_that_break_the_contract(helpscout, client):
    token = client.tokens.token()
    answer = requests.post(f"{helpscout.url}/v2/conversations/501/notes", json={"body": "x"},
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert answer.status_code == 400 and helpscout.violations == ["Create Note: text is required and may not be empty"]
    helpscout.violations.clear()


def test_a_merged_conversation_is_followed_to_where_it_lives(helpscout, client):
    helpscout.add_conversation(502, 9001, tags=["vip"])
    helpscout.merge(501, into=502)
    client.post_note(note_event(501), f"<p>{REF}</p>", [])
    assert len(helpscout.notes(502)) == 1 and [r.status for r in calls(helpscout, "POST", "/notes")] == [404, 201]
    assert client.has_note("501", REF)
    assert client.add_tags("501", ["clvdesk"]) == ["vip", "clvdesk"] and helpscout.tags(502) == ["vip", "clvdesk"]
    assert client.conversation("501")["id"] == 502


def test_a_conversation_that_is_gone_is_refused(helpscout, client):
    with pytest.raises(HelpdeskRequestError) as refused:
        client.post_note(note_event(999), f"<p>{REF}</p>", [])
    assert refused.value.status == 404


class NotHelpScout(HelpScoutStandin):
    """A server at the API URL that answers the token call with something else than a token."""

    def _token(self, request):
        from clvdesk.standins.server import json_answer

        return json_answer(200, {"token_type": "mac", "access_token": "x", "expires_in": 60})


def test_an_answer_without_a_bearer_token_says_the_url_is_wrong(sleeps):
    with NotHelpScout(app_id=APP_ID, app_secret=APP_SECRET) as server:
        server.add_customer(9001, "jane@acme.example.com")
        with closing(HelpScoutClient(server.url, app_id=APP_ID, app_secret=APP_SECRET, sleep=sleeps)) as client:
            with pytest.raises(TokenError, match="without a bearer token"):
                client.requester("9001")
        assert [r.path for r in server.requests] == ["/v2/oauth2/token"]  # no API call without a token
