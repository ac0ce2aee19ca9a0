"""The receiver answers any input with a deliberate status, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvdesk.helpdesk.zendesk_events import comment_added_event, signed_request, ticket_created_event
from tests.conftest import WEBHOOK_SECRET

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
