"""Slow clients against the web server: do /healthz and a signed webhook still answer within 2 s?

40 connections each send one byte a second (half trickle their headers, half send headers and trickle a
webhook body), reconnecting whenever the server drops them, for 25 s; meanwhile /healthz and a signed
webhook are sent every half second on fresh connections. The same run measures the old setup as the
baseline (gunicorn, 2 sync workers), gunicorn's gthread workers (2 x 4 threads), then `clvdesk web`; for
sizing, each server's webhook throughput without slow clients comes first (bench.ingest's 4 clients).
Usage: python -m bench.slow_clients [SECONDS]
"""

from __future__ import annotations

import itertools
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing import Pool
from urllib.parse import urlsplit

import requests

from bench.harness import WEBHOOK_SECRET, clvdesk_env, clvdesk_web, gunicorn, median, scratch_redis, table
from bench.ingest import CLIENTS as SENDERS
from bench.ingest import _blast, _requests
from clvdesk.standins.zendesk import signed_request, ticket_created_event

CLIENTS = 40
SECONDS = 25
THROUGHPUT_WEBHOOKS = 2000
BYTE_EVERY_SECONDS = 1.0
PROBE_EVERY_SECONDS = 0.5
PROBE_TIMEOUT_SECONDS = 5.0  # a probe not answered by then counts as failed (and as this long)
GOAL_SECONDS = 2
_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # then "a" for ever
_BODY = b"POST /webhooks/zendesk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


class SlowConnection:
    """One connection that sends its request a byte at a time; `alive()` is False once the server ends it."""

    def __init__(self, host: str, port: int, trickle_body: bool):
        self._sock = socket.create_connection((host, port), timeout=5)
        if trickle_body:
            self._sock.sendall(_BODY)
            self._next: Iterator[bytes] = itertools.repeat(b"a")
        else:
            self._next = itertools.chain((bytes([byte]) for byte in _HEADERS), itertools.repeat(b"a"))
        self._sock.setblocking(False)

    def alive(self) -> bool:
        try:
            if select.select([self._sock], [], [], 0)[0]:
                return False  # closed, or answered (an error or a timeout): either way, ended by the server
            self._sock.send(next(self._next))
            return True
        except OSError:
            return False

    def close(self) -> None:
        self._sock.close()


class SlowClients:
    """`count` slow connections to host:port, trickling from a thread until the block ends."""

    def __init__(self, url: str, count: int = CLIENTS, every: float = BYTE_EVERY_SECONDS):
        parts = urlsplit(url)
        self._address, self._count, self._every = (parts.hostname, parts.port), count, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.dropped = 0  # connections the server ended; each is opened again at once
        self.connected = threading.Event()

    def _open(self, index: int) -> SlowConnection:
        return SlowConnection(*self._address, trickle_body=index % 2 == 1)

    def _run(self) -> None:
        connections = [self._open(index) for index in range(self._count)]
        self.connected.set()
        try:
            while not self._stop.wait(self._every):
                for index, connection in enumerate(connections):
                    if not connection.alive():
                        connection.close()
                        self.dropped += 1
                        connections[index] = self._open(index)
        finally:
            for connection in connections:
                connection.close()

    def __enter__(self) -> SlowClients:
        self._thread.start()
        if not self.connected.wait(30):
            raise RuntimeError("the slow clients could not connect")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Probes:
    """Latencies in seconds of /healthz and of a signed webhook; a failed probe counts as the timeout."""

    healthz: list[float] = field(default_factory=list)
    webhook: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def slowest(self) -> float:
        return max(self.healthz + self.webhook)


def _timed(probes: list[float], failures: list[str], send, expected: int) -> None:
    started = time.perf_counter()
    try:
        status = send().status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    probes.append(time.perf_counter() - started if status == expected else PROBE_TIMEOUT_SECONDS)
    if status != expected:
        failures.append(str(status))


def probe(url: str, seconds: float, secret: str = WEBHOOK_SECRET) -> Probes:
    """Send /healthz and a new signed webhook every PROBE_EVERY_SECONDS for `seconds`, each on a fresh connection."""
    probes = Probes()
    deadline = time.monotonic() + seconds
    for ticket in itertools.count(1):
        if time.monotonic() >= deadline:
            return probes
        payload, headers = signed_request(secret, ticket_created_event(
            ticket_id=ticket, requester_id=ticket, subject="Late", description="Still not delivered!"))
        _timed(probes.healthz, probes.failures, lambda: requests.get(f"{url}/healthz", timeout=PROBE_TIMEOUT_SECONDS), 200)
        _timed(probes.webhook, probes.failures, lambda: requests.post(
            f"{url}/webhooks/zendesk", data=payload, headers=headers, timeout=PROBE_TIMEOUT_SECONDS), 202)
        time.sleep(PROBE_EVERY_SECONDS)
    raise AssertionError("unreachable")


def _measure(server, seconds: float, pool: Pool) -> tuple[float, Probes, int]:
    """Webhooks per second undisturbed, then the probes and dropped slow connections under attack."""
    with server as url:
        rate, _ = _blast(pool, url, "/webhooks/zendesk", _requests(THROUGHPUT_WEBHOOKS, 1))
        with SlowClients(url) as clients:
            probes = probe(url, seconds)
        return rate, probes, clients.dropped


def main(seconds: float = SECONDS) -> None:
    with scratch_redis() as (redis_url, redis, _):
        env = clvdesk_env(redis_url, "http://127.0.0.1:9")  # no worker runs: the webhooks only queue
        servers = {
            "gunicorn, 2 sync workers (old)": lambda: gunicorn("plugin:create_app()", env),
            "gunicorn, gthread 2 x 4 threads": lambda: gunicorn(
                "plugin:create_app()", env, 2, "--worker-class", "gthread", "--threads", "4"),
            "clvdesk web (waitress, 8 threads)": lambda: clvdesk_web(env),
        }
        rows, slowest = [], {}
        with Pool(SENDERS) as pool:
            for name, server in servers.items():
                redis.flushdb()
                rate, probes, dropped = _measure(server(), seconds, pool)
                slowest[name] = probes.slowest()
                late = sum(latency > GOAL_SECONDS for latency in probes.healthz + probes.webhook)
                rows.append([name, rate, median(probes.healthz) * 1000, max(probes.healthz) * 1000,
                             median(probes.webhook) * 1000, max(probes.webhook) * 1000,
                             f"{late}/{len(probes.healthz) + len(probes.webhook)}", len(probes.failures), dropped])
    print(table(
        f"{CLIENTS} slow clients (a byte every {BYTE_EVERY_SECONDS:g} s) for {seconds:g} s; probes every "
        f"{PROBE_EVERY_SECONDS:g} s; a failed probe counts as {PROBE_TIMEOUT_SECONDS} s",
        ["server", "webhooks/s (no attack)", "healthz p50 ms", "healthz max ms", "webhook p50 ms", "webhook max ms",
         f"over {GOAL_SECONDS} s", "failed", "slow conns dropped"], rows))
    baseline, ours = slowest[next(iter(servers))], slowest[list(servers)[-1]]
    print(f"slowest probe: clvdesk web {ours * 1000:,.1f} ms, old setup {baseline * 1000:,.1f} ms "
          f"(ratio {ours / baseline:.3f})")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else SECONDS)
