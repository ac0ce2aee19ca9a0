"""The receiver and the JSON APIs answer any input with a deliberate status and a JSON error, never a 500."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvdesk.defaults import MAX_JSON_DEPTH, MAX_JSON_INTEGER_DIGITS
from clvdesk.standins.zendesk import comment_added_event, signed_request, ticket_created_event, trigger_body
from clvdesk.rules import load_rules
from tests.conftest import ADMIN_TOKEN, API_TOKEN, WEBHOOK_SECRET
from tests.test_outcomes_api import ticket  # noqa: F401  (a fixture: ticket 101 with its suggestion)

ALLOWED = {200, 202, 400, 401, 413}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["type", "id", "time", "detail", "event", "ticket_id", "latest_comment", "requester_email", "requester_id"]


def mutated(body: dict, data) -> dict:
    """A real Zendesk body with some fields replaced by arbitrary JSON."""
    for _ in range(data.draw(st.integers(0, 3))):
        target = body
        if data.draw(st.booleans()) and isinstance(body.get("detail"), dict):
            target = body["detail"]
        key = data.draw(st.sampled_from(sorted(target) + FIELDS))
        target[key] = data.draw(json_values)
    return body


fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(data=st.data())
def test_signed_mutations_of_real_bodies(client, redis, data):
    base = data.draw(st.sampled_from([
        ticket_created_event(ticket_id=1, requester_id=2, subject="s", description="d"),
        comment_added_event(ticket_id=1, requester_id=2, body="b"),
        {"ticket_id": "1", "subject": "s", "latest_comment": "c", "requester_email": "a@example.com"},
    ]))
    payload, headers = signed_request(WEBHOOK_SECRET, mutated(json.loads(json.dumps(base)), data))
    assert client.post("/webhooks/zendesk", data=payload, headers=headers).status_code in ALLOWED


@fuzz
@given(body=st.binary(max_size=300), header_values=st.lists(st.text(max_size=60), min_size=3, max_size=3))
def test_arbitrary_bytes_and_headers(client, redis, body, header_values):
    signature, timestamp, invocation = header_values
    signed, headers = signed_request(WEBHOOK_SECRET, body)
    for name, value in zip(("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp", "X-Zendesk-Webhook-Invocation-Id"), header_values):
        if value.isprintable() and value.isascii():
            headers[name] = value
    assert client.post("/webhooks/zendesk", data=signed, headers=headers).status_code in ALLOWED
    payload, good = signed_request(WEBHOOK_SECRET, body)  # correctly signed arbitrary bytes
    assert client.post("/webhooks/zendesk", data=payload, headers=good).status_code in ALLOWED


# --- the shapes of issue #13: depth, huge numbers, odd ids and request ids, in real bodies ------------

PLACE = "\u0000hostile\u0000"  # where the raw JSON fragment goes in a body's text
hostile = st.one_of(
    st.integers(MAX_JSON_DEPTH - 2, 100_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(MAX_JSON_DEPTH - 2, 100_000).map(lambda depth: '{"a":' * depth + "0" + "}" * depth),
    st.integers(MAX_JSON_INTEGER_DIGITS - 2, 5_000).map(lambda digits: "-" * (digits % 2) + "9" * digits),
    st.integers(300, 99_999).map(lambda exponent: f"1e{exponent}"),
    st.sampled_from(["1.7e308", "-1.7e308", "5e-324", "NaN", "Infinity", "-Infinity", "1e9", "1000000000.01"]),
    st.sampled_from(["0", "-1", "01", str(2**63 - 1), str(2**63), "18446744073709551616", "²"]).map(json.dumps),
    json_values.map(json.dumps),
)
request_ids = st.text(st.characters(max_codepoint=255, blacklist_categories=("Cc",)), max_size=80)


def with_fragment(body: dict, data) -> bytes:
    """`body`'s JSON with one field (at the top or one level down) holding a hostile fragment."""
    target = body
    nested = [key for key, value in body.items() if isinstance(value, dict)]
    if nested and data.draw(st.booleans()):
        target = body[data.draw(st.sampled_from(nested))]
    target[data.draw(st.sampled_from(sorted(target) + FIELDS))] = PLACE
    return json.dumps(body).replace(json.dumps(PLACE), data.draw(hostile)).encode()


def assert_deliberate(answer) -> None:
    """Never a 500; an error is a JSON object saying what is wrong; the request id is a safe one."""
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", answer.headers["X-Request-Id"])
    if answer.status_code >= 400:
        assert set(answer.json) >= {"error", "message"} and answer.json["message"]


@fuzz
@given(data=st.data(), request_id=request_ids)
def test_hostile_numbers_and_depth_at_the_webhook(client, redis, data, request_id):
    base = data.draw(st.sampled_from([
        ticket_created_event(ticket_id=1, requester_id=2, subject="s", description="d"),
        comment_added_event(ticket_id=1, requester_id=2, body="b"),
        trigger_body(ticket_id=1, subject="s", latest_comment="c", requester_email="a@example.com", requester_id="2"),
    ]))
    payload, headers = signed_request(WEBHOOK_SECRET, with_fragment(json.loads(json.dumps(base)), data))
    answer = client.post("/webhooks/zendesk", data=payload, headers={**headers, "X-Request-Id": request_id})
    assert answer.status_code in ALLOWED
    assert_deliberate(answer)


@fuzz
@given(data=st.data(), request_id=request_ids)
def test_hostile_numbers_and_depth_at_the_json_apis(client, ticket, data, request_id):
    rules = load_rules().model_dump(mode="json", exclude={"version"})
    bodies = {
        ("POST", f"/api/v1/zendesk/tickets/{ticket}/outcome", API_TOKEN): {"outcome": "changed", "agent_id": 1, "amount": 5, "currency": "USD"},
        ("PUT", "/api/v1/admin/rules", ADMIN_TOKEN): {"author": "Mia", "comment": "", "rules": rules},
        ("POST", "/api/v1/admin/rules/rollback", ADMIN_TOKEN): {"author": "Mia", "version": 1},
    }
    (method, path, token), body = data.draw(st.sampled_from(list(bodies.items())))
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
    payload = with_fragment(json.loads(json.dumps(body)), data)
    assert_deliberate(client.open(path, method=method, data=payload, content_type="application/json", headers=headers))
    draft = json.dumps({**rules, "currency": PLACE}).replace(json.dumps(PLACE), data.draw(hostile))
    assert_deliberate(client.post("/api/v1/admin/rules/simulate", data={"draft": draft}, headers=headers))
