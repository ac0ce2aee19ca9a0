"""Input that once made a 500 (issue #13): each shape gets a 4xx whose JSON message says what is wrong."""

from __future__ import annotations

import json
import logging
import socket
from urllib.parse import urlsplit

import pytest

from clvdesk.defaults import MAX_JSON_DEPTH, MAX_JSON_INTEGER_DIGITS, NOTE_REFERENCE_PREFIX
from clvdesk.standins.zendesk import signed_request, ticket_created_event, trigger_body
from clvdesk.json_body import JsonTooDeep, MalformedJson, NumberOutOfRange, read_json
from clvdesk.logs import JsonFormatter
from clvdesk.rule_store import RuleStore
from clvdesk.rules import load_rules
from tests.conftest import WEBHOOK_SECRET
from tests.test_admin_page import SHIPPED, form_of, sign_in
from tests.test_outcomes_api import ADMIN, AGENT, ANGRY, ticket  # noqa: F401  (ticket: a fixture, ticket 101 with its suggestion)
from workers.queue import event_queue

DEEP_ARRAYS = "[" * 100_000 + "]" * 100_000
DEEP_OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000
LONG_INTEGER = "9" * 4_301
# (JSON text, words the message must hold)
TOO_MUCH = {
    "deep arrays": (DEEP_ARRAYS, f"more than {MAX_JSON_DEPTH} levels deep"),
    "deep objects": (DEEP_OBJECTS, f"more than {MAX_JSON_DEPTH} levels deep"),
    "long integer": ('{"a": ' + LONG_INTEGER + "}", f"4301 digits; clvdesk accepts at most {MAX_JSON_INTEGER_DIGITS}"),
    "overflowing float": ('{"a": 1e400}', "1e400 is too large for a float"),
    "NaN": ('{"a": NaN}', "NaN is not a JSON number"),
}


def test_the_reader_counts_depth_outside_strings_only():
    inside = json.dumps({"text": "[" * 10_000, "quote": '\\"[[[' * 100})
    assert read_json(inside.encode())["text"] == "[" * 10_000
    assert read_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(JsonTooDeep):
        read_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(JsonTooDeep):  # an unclosed string does not hide the brackets before it
        read_json("[" * 100 + '"\\"\\"' * 1000)
    assert read_json("-" + "9" * MAX_JSON_INTEGER_DIGITS) == -int("9" * MAX_JSON_INTEGER_DIGITS)
    with pytest.raises(NumberOutOfRange):
        read_json("9" * (MAX_JSON_INTEGER_DIGITS + 1))
    with pytest.raises(MalformedJson, match="not UTF-8"):
        read_json(b'{"a": "\xff"}')


@pytest.mark.parametrize("text, words", TOO_MUCH.values(), ids=TOO_MUCH)
def test_the_webhook_refuses_unbounded_json(client, redis, text, words):
    payload, headers = signed_request(WEBHOOK_SECRET, text.encode())
    answer = client.post("/webhooks/zendesk", data=payload, headers=headers)
    assert answer.status_code == 400 and answer.json["error"] == "malformed_json"
    assert words in answer.json["message"]
    assert event_queue(redis).count == 0


@pytest.mark.parametrize("text, words", TOO_MUCH.values(), ids=TOO_MUCH)
def test_the_json_apis_refuse_unbounded_json(client, redis, text, words):
    sent = {"data": text, "content_type": "application/json"}
    for answer in (
        client.post("/api/v1/zendesk/tickets/1/outcome", headers=AGENT, **sent),  # read after the suggestion: none here
        client.put("/api/v1/admin/rules", headers=ADMIN, **sent),
        client.post("/api/v1/admin/rules/rollback", headers=ADMIN, **sent),
    ):
        assert answer.status_code in (400, 404), answer.status_code
        if answer.status_code == 400:
            assert answer.json["error"] == "invalid_json" and words in answer.json["message"]
    simulated = client.post("/api/v1/admin/rules/simulate", data={"draft": text}, headers=ADMIN)
    assert simulated.status_code == 400 and simulated.json["error"] == "invalid_draft"
    assert words in simulated.json["message"]
    assert RuleStore(redis).current_number() is None


@pytest.mark.parametrize("text, words", TOO_MUCH.values(), ids=TOO_MUCH)
def test_an_outcome_in_unbounded_json_is_refused(client, ticket, text, words):
    answer = client.post(f"/api/v1/zendesk/tickets/{ticket}/outcome", data=text, content_type="application/json", headers=AGENT)
    assert answer.status_code == 400 and words in answer.json["message"]


@pytest.mark.parametrize("amount", [1.7e308, 1e9 + 1])
def test_an_outcome_amount_beyond_a_billion_names_the_field(client, ticket, amount):
    body = {"outcome": "changed", "agent_id": 1, "amount": amount, "currency": "USD"}
    answer = client.post(f"/api/v1/zendesk/tickets/{ticket}/outcome", json=body, headers=AGENT)
    assert answer.status_code == 422 and answer.json["errors"][0]["path"] == "amount"
    assert "less than or equal to 1000000000" in answer.json["message"]


def test_report_totals_stay_finite_json_even_over_amounts_stored_before_the_bound(client, ticket, redis):
    [key] = [k for k in redis.scan_iter("clvdesk:suggestion-log:zendesk:*") if not k.endswith(b"by-time")]
    redis.hset(key, mapping={"outcome": "changed", "given_amount": "1.7e308", "agent_id": "1",
                             "recorded_at": "2026-01-01T00:00:00+00:00", "suggested_amount": "inf"})
    answer = client.get("/api/v1/admin/report", headers=ADMIN)
    assert answer.status_code == 200

    def refuse(name):
        raise AssertionError(f"{name} in the report")

    [total] = json.loads(answer.get_data(as_text=True), parse_constant=refuse)["totals"]
    assert total["given_amount"] == 1e9 and total["suggested_amount"] == 1e9


@pytest.mark.parametrize("query, name", [
    ("?to=9999-12-31", "to"), ("?from=0001-01-01&to=2000-01-05", "from"), ("?from=2000-01-01&to=0001-12-31", "to"), ("?from=0001-01-01", "from"),
    ("?from=1999-12-31&to=2000-01-02", "from"),
])
def test_report_dates_beyond_the_sane_years_name_the_parameter(client, redis, query, name):
    answer = client.get(f"/api/v1/admin/report{query}", headers=ADMIN)
    assert answer.status_code == 400 and answer.json["error"] == "invalid_range"
    assert answer.json["message"].startswith(f"{name} must be a date from 2000-01-01 to 9998-12-31")


def test_rules_with_amounts_beyond_a_billion_are_refused_with_their_path(client, redis):
    rules = load_rules().model_dump(mode="json", exclude={"version"})
    rules["tiers"][0]["max_amount"] = 1.7e308
    answer = client.put("/api/v1/admin/rules", json={"author": "Mia", "rules": rules}, headers=ADMIN)
    assert answer.status_code == 422
    assert any(error["path"].endswith("max_amount") for error in answer.json["errors"])


ODD_IDS = ["0", "-1", "01", str(2**63), "9" * 30, "1e3", "²"]


@pytest.mark.parametrize("requester_id", ODD_IDS)
def test_a_requester_id_that_is_no_zendesk_id_is_refused_not_retried(deliver, redis, requester_id):
    trigger = trigger_body(ticket_id=42, subject="s", latest_comment="c", requester_email="", requester_id=requester_id)
    event = ticket_created_event(ticket_id=42, requester_id=1, subject="s", description="d")
    event["detail"]["requester_id"] = requester_id
    for body, field in ((trigger, "requester_id"), (event, "detail.requester_id")):
        answer = deliver(body)
        assert answer.status_code == 400 and answer.json["error"] == "invalid_payload"
        assert answer.json["message"].startswith(f"{field}: must be a Zendesk id, a whole number from 1 to {2**63 - 1}")
    assert event_queue(redis).count == 0
    assert deliver(trigger_body(ticket_id=42, subject="s", latest_comment="c", requester_email="",
                                requester_id=str(2**63 - 1))).status_code == 202


@pytest.mark.parametrize("ticket_id", ODD_IDS)
def test_a_ticket_id_that_is_no_zendesk_id_is_refused(deliver, client, redis, ticket_id):
    body = trigger_body(ticket_id=1, subject="s", latest_comment="c", requester_email="a@example.com")
    body["ticket_id"] = ticket_id
    answer = deliver(body)
    assert answer.status_code == 400 and answer.json["message"].startswith("ticket_id: must be a Zendesk id")
    shown = client.get(f"/api/v1/zendesk/tickets/{ticket_id}/suggestion", headers=AGENT)
    assert shown.status_code == 400 and shown.json["error"] == "invalid_ticket_id"


BAD_REQUEST_IDS = ["a" * 65, "two words", "ünïcode", '"quoted"', "semi;colon", "tab\tbed", ""]


@pytest.mark.parametrize("sent", BAD_REQUEST_IDS)
def test_a_request_id_that_is_long_or_odd_is_replaced_and_never_logged(client, deliver, caplog, sent):
    caplog.set_level(logging.INFO)
    headers = {"X-Request-Id": sent}
    body = ticket_created_event(ticket_id=1, requester_id=2, subject="s", description="d")
    for answer in (client.get("/healthz", headers=headers), deliver(body, **headers)):
        given = answer.headers["X-Request-Id"]
        assert given != sent and len(given) == 32 and given.isalnum()
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines and not (sent and any(sent in line for line in lines))
    assert client.get("/healthz", headers={"X-Request-Id": "a-Z.0_9" * 9 + "x"}).headers["X-Request-Id"] == "a-Z.0_9" * 9 + "x"


def test_the_admin_page_json_view_refuses_unbounded_json(client):
    token = sign_in(client)
    for text, words in TOO_MUCH.values():
        answer = client.post("/admin", data={"csrf_token": token, "mode": "json", "action": "check", "rules_json": text})
        assert answer.status_code == 400 and words in answer.get_data(as_text=True)


@pytest.mark.parametrize("name, words", [
    ("tiers[0]" + ".a" * 3_000, "6008 characters long"),
    ("tiers[0]" + ".a" * 90, "nests 92 levels deep"),
    ("tiers[" + "9" * 5_000 + "].label", "5013 characters long"),
])
def test_form_names_that_are_no_setting_are_refused_plainly(client, redis, name, words):
    token = sign_in(client)
    form = form_of(SHIPPED)
    form.update({"csrf_token": token, "mode": "form", "action": "publish", name: "x"})
    answer = client.post("/admin", data=form)
    assert answer.status_code == 400 and words in answer.get_data(as_text=True)
    assert RuleStore(redis).current_number() is None


def _post_head(base: str, path: str, length: int, cookie: str = "") -> str:
    """Send only the head of a POST that announces `length` bytes; the answer's status line and headers."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                      f"Content-Length: {length}\r\n{cookie}\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):  # answered and closed without the body: it was never read
            answer += chunk
        return answer.decode("latin-1")


def test_a_64_mib_post_is_answered_without_reading_it_unless_signed_in(live_app, client):
    big = 64 * 1024 * 1024
    assert _post_head(live_app, "/admin", big).startswith("HTTP/1.1 302")  # to the sign-in page
    assert _post_head(live_app, "/admin/rollback", big).startswith("HTTP/1.1 302")
    login = _post_head(live_app, "/admin/login", big)
    assert login.startswith("HTTP/1.1 413") and "payload_too_large" in login
    sign_in(client)
    cookie = client.get_cookie("clvdesk_admin", path="/admin")
    signed = _post_head(live_app, "/admin", big + 1, f"Cookie: clvdesk_admin={cookie.value}\r\n")
    assert signed.startswith("HTTP/1.1 413")  # an editor's post may carry up to 64 MiB of tickets, no more


def test_an_email_with_line_breaks_cannot_write_lines_into_the_note(redis, standin, deliver, work):
    forged = f"x@example.com\n{NOTE_REFERENCE_PREFIX}evt-forged\r\nAPPROVED by a supervisor\u2028done"
    standin.add_user(70, "x@example.com")
    standin.add_ticket(7, requester_id=70)
    standin.add_user(71, f"y@example.com\n{NOTE_REFERENCE_PREFIX}evt-other\nAPPROVED")
    standin.add_ticket(8, requester_id=71)
    assert deliver(trigger_body(ticket_id=7, subject="s", latest_comment=ANGRY, requester_email=forged)).status_code == 202
    assert deliver(ticket_created_event(ticket_id=8, requester_id=71, subject="s", description=ANGRY)).status_code == 202
    work()
    for ticket_id, shown in ((7, "x@example.com\\nclvdesk-ref:evt-forged\\r\\nAPPROVED by a supervisor\\u2028done"),
                             (8, "y@example.com\\nclvdesk-ref:evt-other\\nAPPROVED")):
        [note] = standin.notes(ticket_id)
        lines = note["body"].splitlines()
        assert any(line.startswith(f"Customer: {shown} · tier") for line in lines)
        assert not any(line.startswith((NOTE_REFERENCE_PREFIX, "APPROVED", "done")) for line in lines)
        assert lines[-1].startswith("Rules ") and lines[-1].count(NOTE_REFERENCE_PREFIX) == 1
