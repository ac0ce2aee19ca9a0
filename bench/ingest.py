"""Webhook ingest under gunicorn next to a bare LPUSH endpoint, and the time from webhook to note.

Part 1 sends N distinct signed Zendesk events to clvdesk's receiver (verify, validate, enqueue once)
and the same bodies to a bare Flask endpoint that only LPUSHes them, both under gunicorn with the
same workers, from the same client processes, alternating rounds; it prints requests per second
and p50/p99 acknowledgement latency. Part 2 runs a worker beside the receiver, sends events at a
steady pace, and measures each event's time from sending to its note reaching the stand-in Zendesk.
Usage: python -m bench.ingest [N]
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from multiprocessing import Pool
from urllib.parse import urlsplit

from rq import Worker

from bench.harness import (
    ROOT, WEBHOOK_SECRET, clvdesk_env, gunicorn, median, paired_ratios, percentile, requester_of, scratch_redis, shop,
    table,
)
from clvdesk.standins.zendesk import signed_request, ticket_created_event

CLIENTS = 4  # concurrent client processes
ROUNDS = 6
PACED_EVENTS = 300
PACED_PER_SECOND = 30


def _send(job: tuple[str, str, list[tuple[bytes, dict[str, str]]]]) -> list[float]:
    """Send each request on a fresh connection (gunicorn's sync workers close them); latencies in s."""
    url, path, batch = job
    parts = urlsplit(url)
    latencies = []
    for payload, headers in batch:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status not in (200, 202):
            raise RuntimeError(f"{path} answered {response.status}")
        latencies.append(time.perf_counter() - started)
    return latencies


def _requests(count: int, first_ticket: int) -> list[tuple[bytes, dict[str, str]]]:
    return [
        signed_request(WEBHOOK_SECRET, ticket_created_event(
            ticket_id=ticket, requester_id=requester_of(ticket), subject="Late", description="Still not delivered!"))
        for ticket in range(first_ticket, first_ticket + count)
    ]


def _blast(pool: Pool, url: str, path: str, requests: list) -> tuple[float, list[float]]:
    batches = [(url, path, requests[i::CLIENTS]) for i in range(CLIENTS)]
    started = time.perf_counter()
    latencies = [latency for part in pool.map(_send, batches) for latency in part]
    return len(requests) / (time.perf_counter() - started), latencies


def ingest(count: int) -> None:
    with scratch_redis() as (url, redis, _):
        env = clvdesk_env(url, "http://127.0.0.1:9")  # the receiver never calls the helpdesk
        with gunicorn("plugin:create_app()", env) as ours, gunicorn("bench.bare_app:create_app()", env) as bare, \
                Pool(CLIENTS) as pool:
            results: dict[str, list] = {"bare": [], "clvdesk": []}
            ticket = 1
            for _ in range(ROUNDS):
                requests = _requests(count, ticket)
                ticket += count
                results["bare"].append(_blast(pool, bare, "/webhooks/bare", requests))
                results["clvdesk"].append(_blast(pool, ours, "/webhooks/zendesk", requests))
        assert redis.llen("rq:queue:clvdesk") == count * ROUNDS, "every accepted event must be queued once"
    rates = {name: [rate for rate, _ in results[name]] for name in results}
    ratios = {"bare": ("1.00", ""), "clvdesk": paired_ratios(rates["clvdesk"], rates["bare"])}
    rows = []
    for name, label in (("bare", "bare endpoint (LPUSH only)"), ("clvdesk", "clvdesk /webhooks/zendesk")):
        latencies = [latency * 1000 for _, part in results[name] for latency in part]
        rows.append([label, median(rates[name]), *ratios[name], percentile(latencies, 0.5), percentile(latencies, 0.99)])
    print(table(f"Ingest under gunicorn (2 workers), {count} signed webhooks x {ROUNDS} rounds, {CLIENTS} clients",
                ["endpoint", "req/s", "ratio (median of rounds)", "range", "p50 ms", "p99 ms"], rows))


def webhook_to_note() -> None:
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def on_note(ticket_id: int, comment: dict) -> None:
        with lock:
            arrived[comment["body"].rsplit("clvdesk-ref:", 1)[1].strip()] = time.perf_counter()

    with scratch_redis() as (url, redis, _), shop(redis, tickets=PACED_EVENTS, on_note=on_note) as standin:
        env = clvdesk_env(url, standin.url, CLVDESK_ZENDESK_REQUESTS_PER_MINUTE="100000")
        worker = subprocess.Popen([sys.executable, "-m", "clvdesk", "worker"], env=env, cwd=ROOT)
        sent: dict[str, float] = {}
        try:
            with gunicorn("plugin:create_app()", env) as ours:
                deadline = time.monotonic() + 60  # the figures are the worker's, not its start-up
                while not Worker.count(connection=redis) and time.monotonic() < deadline:
                    time.sleep(0.05)
                parts = urlsplit(ours)
                for ticket in range(1, PACED_EVENTS + 1):
                    body = ticket_created_event(ticket_id=ticket, requester_id=requester_of(ticket), subject="Late",
                                                description="Where is my parcel? This is unacceptable.",
                                                ticket_state=standin.ticket_state(ticket))
                    payload, headers = signed_request(WEBHOOK_SECRET, body)
                    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                    sent[body["id"]] = time.perf_counter()
                    connection.request("POST", "/webhooks/zendesk", body=payload, headers=headers)
                    connection.getresponse().read()
                    connection.close()
                    time.sleep(1 / PACED_PER_SECOND)
                deadline = time.monotonic() + 60
                while len(arrived) < PACED_EVENTS and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(30)
    latencies = [(arrived[event] - sent[event]) * 1000 for event in sent if event in arrived]
    print(table(f"Webhook to note, {PACED_EVENTS} events at {PACED_PER_SECOND}/s, one worker process",
                ["notes posted", "p50 ms", "p95 ms", "max ms"],
                [[f"{len(latencies)} of {PACED_EVENTS}", percentile(latencies, 0.5), percentile(latencies, 0.95),
                  max(latencies)]]))


if __name__ == "__main__":
    ingest(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    print()
    webhook_to_note()
