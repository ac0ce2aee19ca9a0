"""The receiver: verify, validate, enqueue exactly once, and say precisely what is wrong."""

from __future__ import annotations

import http.client
import json
import socket
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from clvdesk.connection import connect
from clvdesk.defaults import WEBHOOK_REPLAY_SECONDS, WEBHOOK_TOLERANCE_SECONDS
from clvdesk.helpdesk.zendesk.webhook import INVOCATION_HEADER, parse_zendesk_webhook
from clvdesk.standins.zendesk import comment_added_event, signed_request, ticket_created_event, trigger_body
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis
from clvdesk.helpdesk.zendesk.signature import SIGNATURE_HEADER
from plugin import create_app
from tests.conftest import WEBHOOK_SECRET
from workers.queue import event_queue

BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def created(ticket_id=5158, event_id=None):
    return ticket_created_event(
        ticket_id=ticket_id, requester_id=777, subject="Broken", description="It arrived broken.", event_id=event_id
    )


def queued(redis) -> int:
    return event_queue(redis).count


def test_signed_event_is_queued_once(deliver, redis):
    response = deliver(created(event_id="evt-1"))
    assert response.status_code == 202
    assert response.json["status"] == "queued"
    job_id = response.json["job_id"]
    assert queued(redis) == 1

    again = deliver(created(event_id="evt-1"))
    assert again.status_code == 200
    assert again.json == {"status": "duplicate", "job_id": job_id}
    assert queued(redis) == 1


def test_distinct_events_are_distinct_jobs(deliver, redis):
    assert deliver(created(event_id="evt-1")).status_code == 202
    assert deliver(created(event_id="evt-2")).status_code == 202
    assert queued(redis) == 2


def post(client, payload: bytes, headers: dict[str, str], **changed: str):
    return client.post("/webhooks/zendesk", data=payload, headers={**headers, **changed})


def test_trigger_body_is_identified_by_invocation_id(deliver, client, redis):
    body = trigger_body(ticket_id=42, subject="Late", latest_comment="Where is it?", requester_email="a@example.com")
    assert deliver(body, invocation_id="inv-9").status_code == 202
    assert deliver(body, invocation_id="inv-9").status_code == 200
    # The trigger fires again on the same ticket: a new invocation, signed when Zendesk sends it.
    later = datetime.now(timezone.utc) + timedelta(seconds=2)
    assert post(client, *signed_request(WEBHOOK_SECRET, body, timestamp=later, invocation_id="inv-10")).status_code == 202
    assert queued(redis) == 2


def test_a_replayed_trigger_request_is_queued_once_whatever_its_invocation_id(standin, client, redis, work):
    """The invocation id is not signed: a replayer can mint fresh ones, but not a fresh signature."""
    standin.add_user(903, "c@example.com")
    standin.add_ticket(43, requester_id=903)
    body = trigger_body(ticket_id=43, subject="Late", latest_comment="Still nothing, unacceptable.", requester_email="c@example.com")
    payload, headers = signed_request(WEBHOOK_SECRET, body, invocation_id="inv-20")
    first = post(client, payload, headers)
    assert first.status_code == 202
    replays = [post(client, payload, headers, **{INVOCATION_HEADER: f"inv-replay-{n}"}) for n in range(4)]
    signature = headers[SIGNATURE_HEADER]  # the same bytes, spelt otherwise: base64's last character has spare bits
    respelt = signature[:-2] + BASE64[BASE64.index(signature[-2]) ^ 1] + signature[-1]
    replays.append(post(client, payload, headers, **{SIGNATURE_HEADER: respelt, INVOCATION_HEADER: "inv-replay-x"}))
    assert [answer.status_code for answer in replays] == [200] * 5
    assert all(answer.json == {"status": "duplicate", "job_id": first.json["job_id"]} for answer in replays)
    assert queued(redis) == 1
    work()
    assert len(standin.notes(43)) == 1


def test_a_signed_request_is_remembered_as_long_as_it_could_pass_the_signature_check(client, redis):
    """Signed up to the tolerance ahead of this clock, a request passes until twice the tolerance from now."""
    ahead = datetime.now(timezone.utc) + timedelta(seconds=WEBHOOK_TOLERANCE_SECONDS - 5)
    body = trigger_body(ticket_id=44, subject="", latest_comment="hi", requester_email="a@example.com")
    payload, headers = signed_request(WEBHOOK_SECRET, body, timestamp=ahead)
    assert post(client, payload, headers).status_code == 202
    [key] = redis.keys("clvdesk:zendesk:*:signed:*")
    assert 2 * WEBHOOK_TOLERANCE_SECONDS - 5 < redis.ttl(key) <= WEBHOOK_REPLAY_SECONDS


def test_what_the_signature_covers_tells_a_replay_from_a_new_request(client, redis):
    """A different body or a different signing time is a different request; only a copy is a replay."""
    body = trigger_body(ticket_id=45, subject="", latest_comment="hi", requester_email="a@example.com")
    now = datetime.now(timezone.utc)
    answers = [
        post(client, *signed_request(WEBHOOK_SECRET, body, timestamp=now)),
        post(client, *signed_request(WEBHOOK_SECRET, {**body, "latest_comment": "hi again"}, timestamp=now)),
        post(client, *signed_request(WEBHOOK_SECRET, body, timestamp=now + timedelta(seconds=1))),
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert queued(redis) == 3


def test_zendesks_retry_of_an_event_is_a_duplicate_however_it_is_signed(client, redis):
    """A retry carries the first attempt's invocation id; signed anew or not, its event is not queued twice."""
    body = trigger_body(ticket_id=46, subject="", latest_comment="hi", requester_email="a@example.com")
    now = datetime.now(timezone.utc)
    assert post(client, *signed_request(WEBHOOK_SECRET, body, timestamp=now, invocation_id="inv-46")).status_code == 202
    for signed_at in (now, now + timedelta(seconds=30)):
        retry = post(client, *signed_request(WEBHOOK_SECRET, body, timestamp=signed_at, invocation_id="inv-46"))
        assert retry.status_code == 200 and retry.json["status"] == "duplicate"
    assert queued(redis) == 1


def test_trigger_body_without_invocation_id_is_rejected(client, redis):
    payload, headers = signed_request(
        WEBHOOK_SECRET, trigger_body(ticket_id=42, subject="", latest_comment="hi", requester_email="a@example.com")
    )
    del headers["X-Zendesk-Webhook-Invocation-Id"]
    response = client.post("/webhooks/zendesk", data=payload, headers=headers)
    assert response.status_code == 400
    assert "X-Zendesk-Webhook-Invocation-Id is missing" in response.json["message"]
    assert queued(redis) == 0


def test_unsigned_request_is_refused(client, redis):
    response = client.post("/webhooks/zendesk", json=created())
    assert response.status_code == 401
    assert response.json == {"error": "invalid_signature", "message": "missing X-Zendesk-Webhook-Signature header"}
    assert queued(redis) == 0


def test_wrong_secret_is_refused(deliver, redis):
    response = deliver(created(), secret="not-the-secret")
    assert response.status_code == 401
    assert "does not match" in response.json["message"]
    assert queued(redis) == 0


def test_stale_timestamp_is_refused(client, redis):
    payload, headers = signed_request(WEBHOOK_SECRET, created(), timestamp=datetime.now(timezone.utc) - timedelta(minutes=6))
    response = client.post("/webhooks/zendesk", data=payload, headers=headers)
    assert response.status_code == 401
    assert "beyond the 300 s tolerance" in response.json["message"]


def test_malformed_json_is_400(client, redis):
    payload, headers = signed_request(WEBHOOK_SECRET, b'{"ticket_id": ')
    response = client.post("/webhooks/zendesk", data=payload, headers=headers)
    assert response.status_code == 400
    assert response.json["error"] == "malformed_json"
    assert response.json["message"].startswith("body: not valid JSON")


def test_schema_error_names_the_field(deliver, redis):
    body = created()
    body["detail"]["id"] = "not-a-number"
    response = deliver(body)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_payload"
    assert response.json["message"].startswith("detail.id:")
    assert queued(redis) == 0


def test_comment_event_without_comment_names_the_field(deliver):
    body = comment_added_event(ticket_id=1, requester_id=2, body="hi")
    del body["event"]["comment"]
    response = deliver(body)
    assert response.status_code == 400
    assert response.json["message"].startswith("event.comment:")


def test_unknown_body_shape_is_400(deliver):
    response = deliver({"hello": "world"})
    assert response.status_code == 400
    assert "neither a Zendesk event" in response.json["message"]


def test_the_tickets_tags_and_update_time_are_read_and_checked(deliver):
    state = {"tags": ["vip"], "updated_at": "2026-11-23T10:15:00Z"}
    event = parse_zendesk_webhook(ticket_created_event(ticket_id=7, requester_id=8, subject="s", description="d", ticket_state=state), account="acme.zendesk.com")
    assert (event.ticket_tags, event.ticket_updated_at) == (("vip",), "2026-11-23T10:15:00Z")
    bad = ticket_created_event(ticket_id=7, requester_id=8, subject="s", description="d",
                               ticket_state={"tags": ["vip"], "updated_at": "yesterday"})
    response = deliver(bad)
    assert response.status_code == 400 and response.json["message"].startswith("detail.updated_at:")


def test_body_over_one_mebibyte_is_413(deliver, redis):
    body = created()
    body["detail"]["description"] = "x" * (1024 * 1024)
    response = deliver(body)
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"
    assert queued(redis) == 0


def test_other_methods_are_405_and_name_the_allowed_one(client, redis):
    response = client.get("/webhooks/zendesk")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    assert response.json == {"error": "method_not_allowed", "message": "/webhooks/zendesk accepts POST only"}


def test_a_chunked_body_is_read_up_to_the_limit_over_real_http(live_app, redis):
    """Without Content-Length the endpoint reads the stream itself, one byte past the limit at most."""
    parts = urlsplit(live_app)

    def post_chunked(body: dict) -> tuple[int, dict]:
        payload, headers = signed_request(WEBHOOK_SECRET, body)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        chunks = (payload[i:i + 4096] for i in range(0, len(payload), 4096))
        connection.request("POST", "/webhooks/zendesk", body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        answer = (response.status, json.loads(response.read()))
        connection.close()
        return answer

    status, answer = post_chunked(created(event_id="evt-chunked"))
    assert (status, answer["status"]) == (202, "queued")
    big = created(event_id="evt-big")
    big["detail"]["description"] = "x" * (1024 * 1024)
    status, answer = post_chunked(big)
    assert (status, answer["error"]) == (413, "payload_too_large")
    assert queued(redis) == 1


@pytest.mark.parametrize("length", [b"ten", b"\xb2"])  # latin-1 for "²", which str.isdigit() accepts
def test_a_content_length_that_is_not_a_number_is_400(live_app, redis, length):
    parts = urlsplit(live_app)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\nConnection: close\r\n\r\n{}" % length)
        answer = b"".join(iter(lambda: raw.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body) == {"error": "bad_request",
                                "message": f"Content-Length is not a number: {length.decode('latin-1')!r}"}
    assert queued(redis) == 0


def test_agent_comments_and_clvdesk_notes_are_ignored(deliver, redis):
    agent = comment_added_event(ticket_id=1, requester_id=2, author_id=3, body="We are on it", is_staff=True)
    ours = comment_added_event(ticket_id=1, requester_id=2, body="clvdesk suggestion …\nclvdesk-ref:abc")
    private = comment_added_event(ticket_id=1, requester_id=2, body="internal", is_public=False)
    trigger = trigger_body(ticket_id=1, subject="", latest_comment="x\nclvdesk-ref:abc", requester_email="a@example.com")
    reasons = [deliver(agent).json, deliver(ours).json, deliver(private).json, deliver(trigger).json]
    assert [r["reason"] for r in reasons] == [
        "comment written by an agent",
        "comment written by clvdesk",
        "private comment",
        "comment written by clvdesk",
    ]
    assert queued(redis) == 0


def test_other_event_types_are_acknowledged_and_ignored(deliver, redis):
    body = created()
    body["type"] = "zen:event-type:ticket.priority_changed"
    response = deliver(body)
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert queued(redis) == 0


def test_redis_down_is_503_and_nothing_is_lost(settings, tmp_path):
    url = ensure_embedded_redis(tmp_path / "flaky")
    redis = connect(url)
    client = create_app(settings, redis=redis).test_client()
    body = created(event_id="evt-during-outage")
    try:
        stop_embedded_redis(tmp_path / "flaky")
        payload, headers = signed_request(WEBHOOK_SECRET, body)
        down = client.post("/webhooks/zendesk", data=payload, headers=headers)
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "30"
        assert down.json["error"] == "storage_unavailable"
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200

        ensure_embedded_redis(tmp_path / "flaky")  # Redis is back; Zendesk retries the delivery
        payload, headers = signed_request(WEBHOOK_SECRET, body)
        assert client.post("/webhooks/zendesk", data=payload, headers=headers).status_code == 202
        assert event_queue(redis).count == 1
    finally:
        stop_embedded_redis(tmp_path / "flaky")


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_oversized_field_is_rejected_and_nothing_stored(deliver, redis):
    body = created()
    body["detail"]["subject"] = "s" * 5000
    response = deliver(body)
    assert response.status_code == 400
    assert response.json["message"].startswith("detail.subject: String should have at most 1024 characters")
    assert queued(redis) == 0


def test_queued_job_is_the_job_rqs_own_unique_enqueue_writes(deliver, redis):
    """The receiver's one-round-trip script writes the hash RQ's enqueue_call would, times aside."""
    from rq import Retry
    from rq.job import Job

    from clvdesk.defaults import EVENT_DEDUPE_SECONDS, FAILED_JOB_TTL_SECONDS, JOB_RETRY_INTERVALS_SECONDS, JOB_TIMEOUT_SECONDS
    from clvdesk.helpdesk.zendesk import ZENDESK, ZendeskSettings
    from clvdesk.helpdesk.zendesk.webhook import parse_zendesk_webhook
    from clvdesk.settings import load_settings
    from workers.queue import JOB_FUNCTION, description

    ours = deliver(created(event_id="evt-layout")).json["job_id"]
    job = Job.fetch(ours, connection=redis, serializer=event_queue(redis).serializer)
    account = ZENDESK.webhook(load_settings(ZendeskSettings)).account
    event = parse_zendesk_webhook(created(event_id="evt-layout"), account=account).model_copy(update={"received_at": None})
    rqs = event_queue(redis).enqueue_call(
        JOB_FUNCTION,
        args=(event.model_dump(mode="json"),),
        job_id="rq-own",
        unique=True,
        timeout=JOB_TIMEOUT_SECONDS,
        retry=Retry(max=len(JOB_RETRY_INTERVALS_SECONDS), interval=list(JOB_RETRY_INTERVALS_SECONDS)),
        result_ttl=EVENT_DEDUPE_SECONDS,
        failure_ttl=FAILED_JOB_TTL_SECONDS,
        description=description(event),
    )
    stored = {key: redis.hgetall(f"rq:job:{job_id}") for key, job_id in (("ours", ours), ("rq", rqs.id))}
    varying = {b"created_at", b"enqueued_at", b"data"}
    assert {k: v for k, v in stored["ours"].items() if k not in varying} == {k: v for k, v in stored["rq"].items() if k not in varying}
    assert job.func_name == JOB_FUNCTION and job.get_status() == "queued" and job.retries_left == len(JOB_RETRY_INTERVALS_SECONDS)
    assert job.args[0]["event_id"] == "evt-layout" and job.args[0]["received_at"] is not None
    assert redis.sismember("rq:queues", "rq:queue:clvdesk")


def test_queued_and_duplicate_deliveries_are_counted(deliver, client, standin):
    deliver(created(event_id="evt-count"))
    deliver(created(event_id="evt-count"))
    metrics = client.get("/metrics").get_data(as_text=True)
    account = standin.url.removeprefix("http://")
    assert f'clvdesk_webhooks_total{{account="{account}",helpdesk="zendesk",outcome="queued"}} 1' in metrics
    assert f'clvdesk_webhooks_total{{account="{account}",helpdesk="zendesk",outcome="duplicate"}} 1' in metrics


def test_a_webhook_for_no_configured_helpdesk_is_a_json_404(client, redis):
    response = client.post("/webhooks/freshdeskk", data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == "not_found" and "/webhooks/zendesk" in response.json["message"]
    assert client.get("/webhooks/zendesk").status_code == 405
    assert redis.keys("rq:job:*") == []
