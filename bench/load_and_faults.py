"""Load and faults: every acknowledged webhook gets exactly one note, whatever breaks on the way.

For each helpdesk asked for (every registered one with `all`), sends N authenticated "customer wrote on
ticket N" deliveries, built by the stand-in module's PROFILE (clvdesk.standins.scenario.StandinProfile),
to the receiver under gunicorn, 10% of them delivered twice, while two worker processes post notes to that
helpdesk's stand-in, which answers 429 or 503 to a share of calls (before serving them), applies a share of
its writes and then loses the answer (a proxy's 502 or 504, the connection cut, or the answer held
past the client's read timeout), and enforces a per-minute rate limit (Gorgias: its leaky bucket leaking as
much). Midway it kills one worker with SIGKILL (a supervisor starts another, as docker's restart policy
would) and kills and restarts Redis (AOF on). The sender behaves like a helpdesk: it retries a delivery that
got no 2xx, built afresh (a new signature where the vendor's carries a time). Then it counts, from the
stand-in's own records: webhooks acknowledged, notes posted, lost, duplicated, 429s, answers lost. Loopback
only; each helpdesk's run stops by itself after --minutes.
Usage: python -m bench.load_and_faults [--helpdesk NAME|all] [--events N] [--minutes M]
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
from urllib.parse import urlsplit

from bench.harness import ROOT, customer_email, gunicorn, process_env, requester_of, scratch_redis, store_customers, table
from clvdesk.defaults import HTTP_READ_TIMEOUT_SECONDS
from clvdesk.helpdesk import REGISTRY
from clvdesk.redis_server import ensure_embedded_redis
from clvdesk.standins.scenario import StandinProfile, WebhookRequest, profile

DUPLICATE_SHARE = 0.10
FAULT_SHARES = {503: 0.09, 429: 0.01}  # 10% of helpdesk calls fail; every 429 pauses all workers
# Of the writes served in the method of the helpdesk's note (Zendesk: PUT, notes and tags; the others: POST,
# notes and, for Gorgias, tags), this share is applied and its answer lost: 5% in all. Each slow one holds a
# worker thread for the client's whole read timeout, so they are few.
LOST_ANSWER_SHARES = {502: 0.02, 504: 0.01, "cut": 0.019, "slow": 0.001}
STANDIN_LIMIT_PER_MINUTE = 30_000
CLVDESK_LIMIT_PER_MINUTE = 24_000  # with the burst, under the stand-in's limit
WORKERS = 2
SENDERS = 4
SEND_PER_SECOND = 150  # all senders together: sending lasts long enough to meet both faults
WORKER_STOP_SECONDS = 30  # how long a worker may take to stop on SIGTERM at the end before it is killed
DELIVERY_ATTEMPTS = 60  # helpdesks retry a failed delivery; the bench keeps trying through outages
TEXTS = ("It arrived broken!", "Still not delivered.", "Charged twice.")

Delivery = tuple[int, str, str, WebhookRequest]  # ticket, text, event id, its first request


def _post(web: str, path: str, request: WebhookRequest) -> int:
    parts = urlsplit(web)
    try:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("POST", path + (f"?{request.query}" if request.query else ""),
                           body=request.body, headers=request.headers)
        status = connection.getresponse().status
        connection.close()
    except OSError:
        return 0
    return status


def _deliver(profile_: StandinProfile, standin, web: str, deliveries: list[Delivery],
             outcomes: list[tuple[int, int]]) -> None:
    """Send each delivery until it is acknowledged (2xx), rebuilding it for each retry; records (ticket,
    final status)."""
    path = f"/webhooks/{profile_.name}"
    for ticket, text, event_id, request in deliveries:
        status = 0
        for attempt in range(DELIVERY_ATTEMPTS):
            if attempt:
                request = profile_.webhook(standin, ticket, text, event_id)
            status = _post(web, path, request)
            if 200 <= status < 300:
                break
            time.sleep(min(0.1 * 2**attempt, 2))
        outcomes.append((ticket, status))
        time.sleep(SENDERS / SEND_PER_SECOND)


def _kill_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _redis_pid(redis) -> int:
    return int(redis.info("server")["process_id"])


def run(name: str, events: int, minutes: float) -> tuple[list[str], list[list[object]], bool]:
    """One helpdesk's run: what happened, the counts, and whether every acknowledged event has one note."""
    deadline = time.monotonic() + minutes * 60
    rng = random.Random(7)
    drive = profile(name)
    posted: Counter[int] = Counter()  # notes by ticket, as the stand-in stores them
    posted_lock = threading.Lock()

    def on_note(ticket_id: int, note: dict) -> None:
        with posted_lock:
            posted[ticket_id] += 1

    def notes_posted() -> int:
        with posted_lock:
            return sum(posted.values())

    with scratch_redis() as (url, redis, data_dir), drive.standin(
        on_note=on_note, requests_per_minute=STANDIN_LIMIT_PER_MINUTE
    ) as standin:
        for ticket in range(1, events + 1):
            drive.add_ticket(standin, ticket, customer_email(requester_of(ticket)))
        store_customers(redis)
        texts = {ticket: rng.choice(TEXTS) for ticket in range(1, events + 1)}
        tickets = list(texts) + rng.sample(list(texts), int(events * DUPLICATE_SHARE))  # 10% delivered twice
        rng.shuffle(tickets)
        deliveries = [(ticket, texts[ticket], f"evt-{ticket}", drive.webhook(standin, ticket, texts[ticket], f"evt-{ticket}"))
                      for ticket in tickets]
        standin.fail_randomly(FAULT_SHARES, retry_after=1, seed=11)
        standin.lose_answers_randomly(LOST_ANSWER_SHARES, method=drive.note_method,
                                      hold_seconds=HTTP_READ_TIMEOUT_SECONDS + 1, seed=13)
        rate_variable = REGISTRY[name].settings.model_config["env_prefix"] + "REQUESTS_PER_MINUTE"
        env = process_env(url, drive.env(standin), **{rate_variable: str(CLVDESK_LIMIT_PER_MINUTE)})
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

        with gunicorn("plugin:create_app()", env) as web:
            workers += [start_worker() for _ in range(WORKERS)]
            supervisor = threading.Thread(target=supervise, daemon=True)
            supervisor.start()
            started = time.monotonic()
            outcomes: list[tuple[int, int]] = []
            senders = [threading.Thread(target=_deliver, args=(drive, standin, web, deliveries[i::SENDERS], outcomes),
                                        daemon=True) for i in range(SENDERS)]
            for sender in senders:
                sender.start()

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

            for sender in senders:
                sender.join(max(1, deadline - time.monotonic()))
            acknowledged = {ticket for ticket, status in list(outcomes) if 200 <= status < 300}
            while time.monotonic() < deadline:
                with posted_lock:
                    if all(posted[ticket] for ticket in acknowledged):
                        break
                time.sleep(1)
            elapsed = time.monotonic() - started
            stop.set()
            supervisor.join()
            for process in workers:
                _kill_group(process, signal.SIGTERM)
            for process in workers:
                try:
                    process.wait(WORKER_STOP_SECONDS)
                except subprocess.TimeoutExpired:  # one slow to stop on a busy machine: the counts are in
                    _kill_group(process, signal.SIGKILL)
                    process.wait()

        per_ticket = {ticket: len(drive.notes(standin, ticket)) for ticket in texts}  # the stand-in's own records
        lost = sum(1 for ticket in acknowledged if not per_ticket[ticket])
        duplicated = sum(1 for count in per_ticket.values() if count > 1)
        rows = [
            ["deliveries", len(deliveries)],
            ["seconds", round(elapsed)],
            ["webhooks acknowledged (distinct events)", len(acknowledged)],
            ["deliveries never acknowledged", len({ticket for ticket, _ in outcomes} - acknowledged)],
            ["notes posted", sum(per_ticket.values())],
            ["lost (acknowledged, no note)", lost],
            ["duplicated (more than one note)", duplicated],
            ["429 injected by the stand-in", standin.injected[429]],
            ["503 injected by the stand-in", standin.injected[503]],
            ["429 from exceeding the rate limit", standin.rate_limited],
            *[[f"updates applied, answer lost: {how}", standin.lost[str(how)]] for how in LOST_ANSWER_SHARES],
            ["contract violations recorded by the stand-in", len(standin.violations)],
        ]
        held = not (lost or duplicated or standin.rate_limited or standin.violations)
    return events_log, rows, held


def main(names: list[str], events: int, minutes: float) -> None:
    results = {}
    for name in names:
        events_log, rows, held = run(name, events, minutes)
        results[name] = (rows, held)
        for line in events_log:
            print("-", line)
        print(table(f"Load and faults, {name}: {events} events", ["measure", "count"], rows), flush=True)
    if len(names) > 1:
        measures = [row[0] for row in next(iter(results.values()))[0]]
        print(table(f"Load and faults: {events} events per helpdesk", ["measure", *names],
                    [[measure, *[rows[i][1] for rows, _ in results.values()]] for i, measure in enumerate(measures)]))
    failed = [name for name, (_, held) in results.items() if not held]
    if failed:
        print(f"the guarantees did not hold for: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helpdesk", default="all", choices=[*REGISTRY, "all"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=20)
    arguments = parser.parse_args()
    main(list(REGISTRY) if arguments.helpdesk == "all" else [arguments.helpdesk], arguments.events, arguments.minutes)
