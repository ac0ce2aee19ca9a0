"""Metrics from every process at /metrics, JSON logs that name the event, security headers."""

from __future__ import annotations

import json
import logging

import pytest

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.zendesk import ticket_created_event
from clvdesk.logs import JsonFormatter, event_context, scrub
from clvdesk.metrics import Metrics


def sample(text: str, line_start: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(line.rsplit(" ", 1)[1])


def test_metrics_count_webhooks_notes_and_latency(client, deliver, work, redis, standin):
    CustomerStore(redis).replace_all([CustomerValue(email="a@example.com", residual_clv=100, historical_spend=50)])
    standin.add_user(9, "a@example.com")
    standin.add_ticket(7, requester_id=9)
    body = ticket_created_event(ticket_id=7, requester_id=9, subject="Late", description="Still not delivered", event_id="e1")
    deliver(body)
    deliver(body)
    deliver(body, secret="wrong")
    standin.fail_next(429, retry_after=1, method="PUT")
    work()

    text = client.get("/metrics").get_data(as_text=True)
    account = f'account="{standin.url.removeprefix("http://")}",helpdesk="zendesk"'
    assert sample(text, f'clvdesk_webhooks_total{{{account},outcome="queued"}}') == 1
    assert sample(text, f'clvdesk_webhooks_total{{{account},outcome="duplicate"}}') == 1
    assert sample(text, f'clvdesk_webhooks_total{{{account},outcome="unauthorized"}}') == 1
    assert sample(text, f"clvdesk_notes_posted_total{{{account}}}") == 1
    assert sample(text, f'clvdesk_helpdesk_requests_total{{{account},status="429"}}') == 1
    assert sample(text, f"clvdesk_helpdesk_retries_total{{{account}}}") == 1
    assert sample(text, "clvdesk_queue_depth") == 0
    assert sample(text, "clvdesk_dead_letters") == 0
    assert sample(text, "clvdesk_event_latency_seconds_count") == 1
    assert sample(text, 'clvdesk_event_latency_seconds_bucket{le="+Inf"}') == 1
    assert "# TYPE clvdesk_event_latency_seconds histogram" in text
    buckets = [line for line in text.splitlines() if line.startswith("clvdesk_job_duration_seconds_bucket")]
    bounds = [float(line.split('le="')[1].split('"')[0]) for line in buckets]
    assert bounds == sorted(bounds)  # Prometheus reads buckets in increasing order


def test_metrics_refuse_unknown_names(redis):
    metrics = Metrics(redis)
    try:
        metrics.count("clvdesk_typo_total")
    except KeyError:
        return
    raise AssertionError("an unknown metric was recorded")


def test_json_log_lines_name_the_event_and_hide_emails_and_secrets():
    formatter = JsonFormatter()
    record = logging.LogRecord("clvdesk", logging.INFO, __file__, 1, "customer %s token=%s", ("ana@example.com", "s3cr3t"), None)
    with event_context("evt-1", "req-1"):
        line = json.loads(formatter.format(record))
    assert line["event_id"] == "evt-1" and line["request_id"] == "req-1"
    assert "ana@example.com" not in line["message"] and "s3cr3t" not in line["message"]
    assert line["message"].startswith("customer email:")
    assert scrub('{"Authorization": "Basic abc"}') == '{"Authorization": "[redacted]"}'


@pytest.mark.parametrize("send", [
    lambda client, deliver, **headers: client.get("/healthz", headers=headers),
    lambda client, deliver, **headers: deliver(ticket_created_event(ticket_id=1, requester_id=2, subject="s",
                                                                    description="d"), **headers),
], ids=["flask", "webhook"])
def test_api_answers_carry_security_headers_and_a_request_id(client, deliver, send):
    response = send(client, deliver, **{"X-Request-Id": "abc123"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Request-Id"] == "abc123"
    assert len(send(client, deliver).headers["X-Request-Id"]) == 32
