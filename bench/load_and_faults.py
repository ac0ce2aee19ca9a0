"""Load and faults: every acknowledged webhook gets exactly one note, whatever breaks on the way.

Sends N signed Zendesk events to the receiver under gunicorn, 10% of them delivered twice, while
two worker processes post notes to a stand-in Zendesk that answers 429 or 503 to a share of calls
(before serving them), applies a share of its updates and then loses the answer (a proxy's 502 or
504, the connection cut, or the answer held past the client's read timeout), and enforces a
per-minute rate limit. Midway it kills one worker with SIGKILL (a supervisor starts
another, as docker's restart policy would) and kills and restarts Redis (AOF on). The sender
behaves like Zendesk: it retries a delivery that got no 2xx. Then it counts, from the stand-in's
own records: webhooks acknowledged, notes posted, lost, duplicated, 429s, answers lost. Loopback only; it stops
by itself after --minutes. Usage: python -m bench.load_and_faults [--events N] [--minutes M]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from multiprocessing import Pool
from urllib.parse import urlsplit

from bench.harness import (
    ROOT, WEBHOOK_SECRET, clvdesk_env, gunicorn, requester_of, scratch_redis, shop, table,
)
from clvdesk.defaults import HTTP_READ_TIMEOUT_SECONDS
from clvdesk.standins.zendesk import signed_request, ticket_created_event
from clvdesk.redis_server import ensure_embedded_redis

DUPLICATE_SHARE = 0.10
FAULT_SHARES = {503: 0.09, 429: 0.01}  # 10% of helpdesk calls fail; every 429 pauses all workers
# Of the updates served (notes, tags), this share is applied and its answer lost: 5% in all. Each slow
# one holds a worker thread for the client's whole read timeout, so they are few.
LOST_ANSWER_SHARES = {502: 0.02, 504: 0.01, "cut": 0.019, "slow": 0.001}
STANDIN_LIMIT_PER_MINUTE = 30_000
CLVDESK_LIMIT_PER_MINUTE = 24_000  # with the burst, under the stand-in's limit
WORKERS = 2
SENDERS = 4
SEND_PER_SECOND = 150  # all senders together: sending lasts long enough to meet both faults
DELIVERY_ATTEMPTS = 60  # Zendesk retries a failed delivery; the bench keeps trying through outages


def _deliver(job: tuple[str, list[dict]]) -> list[tuple[str, int]]:
    """Send each body until it is acknowledged (2xx); returns (event id, final status)."""
    url, bodies = job
    parts = urlsplit(url)
    outcomes = []
    for body in bodies:
        status = 0
        for attempt in range(DELIVERY_ATTEMPTS):
            payload, headers = signed_request(WEBHOOK_SECRET, body)  # re-signed: the timestamp is fresh
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                connection.request("POST", "/webhooks/zendesk", body=payload, headers=headers)
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = 0
            if 200 <= status < 300:
                break
            time.sleep(min(0.1 * 2**attempt, 2))
        outcomes.append((body["id"], status))
        time.sleep(SENDERS / SEND_PER_SECOND)
    return outcomes


def _kill_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _redis_pid(redis) -> int:
    return int(redis.info("server")["process_id"])


def main(events: int, minutes: float) -> None:
    deadline = time.monotonic() + minutes * 60
    rng = random.Random(7)
    with scratch_redis() as (url, redis, data_dir), shop(
        redis, tickets=events, requests_per_minute=STANDIN_LIMIT_PER_MINUTE
    ) as standin:
        bodies = [
            ticket_created_event(ticket_id=ticket, requester_id=requester_of(ticket), subject="Order problem",
                                 description=rng.choice(["It arrived broken!", "Still not delivered.", "Charged twice."]),
                                 ticket_state=standin.ticket_state(ticket))
            for ticket in range(1, events + 1)
        ]
        deliveries = bodies + rng.sample(bodies, int(events * DUPLICATE_SHARE))  # 10% delivered twice
        rng.shuffle(deliveries)
        standin.fail_randomly(FAULT_SHARES, retry_after=1, seed=11)
        standin.lose_answers_randomly(LOST_ANSWER_SHARES, method="PUT", hold_seconds=HTTP_READ_TIMEOUT_SECONDS + 1, seed=13)
        env = clvdesk_env(url, standin.url, CLVDESK_ZENDESK_REQUESTS_PER_MINUTE=str(CLVDESK_LIMIT_PER_MINUTE))
        workers: list[subprocess.Popen] = []
        stop = threading.Event()
        events_log: list[str] = []

        def start_worker() -> subprocess.Popen:  # in its own process group, so a kill takes all of it
            return subprocess.Popen([sys.executable, "-m", "clvdesk", "worker"], env=env, cwd=ROOT, start_new_session=True)

        def supervise() -> None:  # restart a worker that exits, as a process supervisor would
            while not stop.is_set():
                for index, process in enumerate(workers):
                    if process.poll() is not None:
                        _kill_group(process, signal.SIGKILL)  # its scheduler child, if it outlived it
                        events_log.append(f"worker {process.pid} exited ({process.returncode}); started another")
                        workers[index] = start_worker()
                time.sleep(0.5)

        with gunicorn("plugin:create_app()", env) as web, Pool(SENDERS) as pool:
            workers += [start_worker() for _ in range(WORKERS)]
            supervisor = threading.Thread(target=supervise, daemon=True)
            supervisor.start()
            started = time.monotonic()
            pending = pool.map_async(_deliver, [(web, deliveries[i::SENDERS]) for i in range(SENDERS)])

            def notes_posted() -> int:
                return len(standin.notes())

            while notes_posted() < events * 0.3 and time.monotonic() < deadline:
                time.sleep(0.2)
            victim = workers[0]
            os.killpg(victim.pid, signal.SIGKILL)  # the worker and its scheduler child, as a container kill
            events_log.append(f"SIGKILL worker {victim.pid} at {notes_posted()} notes")

            while notes_posted() < events * 0.6 and time.monotonic() < deadline:
                time.sleep(0.2)
            os.kill(_redis_pid(redis), signal.SIGKILL)
            events_log.append(f"SIGKILL redis at {notes_posted()} notes")
            time.sleep(2)
            ensure_embedded_redis(data_dir)  # restarts from its append-only file
            events_log.append("redis restarted")

            outcomes = [outcome for part in pending.get(timeout=max(1, deadline - time.monotonic()))
                        for outcome in part]
            acknowledged = {event for event, status in outcomes if 200 <= status < 300}
            while time.monotonic() < deadline:
                per_event = Counter(note["body"].rsplit("clvdesk-ref:", 1)[1].strip() for note in standin.notes())
                if acknowledged <= set(per_event):
                    break
                time.sleep(1)
            elapsed = time.monotonic() - started
            stop.set()
            supervisor.join()
            for process in workers:
                _kill_group(process, signal.SIGTERM)
            for process in workers:
                process.wait(30)

    per_event = Counter(note["body"].rsplit("clvdesk-ref:", 1)[1].strip() for note in standin.notes())
    lost = len(acknowledged - set(per_event))
    duplicated = sum(1 for count in per_event.values() if count > 1)
    for line in events_log:
        print("-", line)
    print(table(
        f"Load and faults: {events} events, {len(deliveries)} deliveries, {elapsed:.0f} s",
        ["measure", "count"],
        [
            ["webhooks acknowledged (distinct events)", len(acknowledged)],
            ["deliveries never acknowledged", len(set(event for event, _ in outcomes) - acknowledged)],
            ["notes posted", sum(per_event.values())],
            ["lost (acknowledged, no note)", lost],
            ["duplicated (more than one note)", duplicated],
            ["429 injected by the stand-in", standin.injected[429]],
            ["503 injected by the stand-in", standin.injected[503]],
            ["429 from exceeding the rate limit", standin.rate_limited],
            *[[f"updates applied, answer lost: {how}", standin.lost[str(how)]] for how in LOST_ANSWER_SHARES],
        ],
    ))
    if lost or duplicated or standin.rate_limited:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=20)
    arguments = parser.parse_args()
    main(arguments.events, arguments.minutes)
