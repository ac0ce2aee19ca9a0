"""`clvdesk demo`: the whole path on one machine with nothing configured.

It starts an embedded Redis in a scratch directory, a stand-in Zendesk on loopback, and the real
`clvdesk web` and `clvdesk worker` processes; loads sample customers; sends three signed tickets
(a valuable angry customer, a low-value one, an unknown one) and prints each note as it is posted.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path

import requests

from clvdesk.connection import connect
from clvdesk.customers import CustomerStore, read_customer_csv
from clvdesk.standins.zendesk import comment_added_event, signed_request, ticket_created_event, trigger_body
from clvdesk.standins.zendesk import ZendeskStandin
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis

READY_TIMEOUT_SECONDS = 20

SAMPLE_USERS = [  # (user id, email) as the stand-in Zendesk knows them
    (9001, "ana.larsen@example.com"),
    (9002, "ben.okafor@example.com"),
    (9003, "dana.novak@example.net"),
]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample_requests(secret: str, standin: ZendeskStandin) -> list[tuple[str, bytes, dict[str, str]]]:
    events = [
        (
            "ticket 101 (ana, a valuable customer, angry)",
            ticket_created_event(
                ticket_id=101,
                requester_id=9001,
                subject="Blender arrived broken",
                description="My order #4471 arrived broken. This is ridiculous!! Refund me or I will cancel my account.",
                ticket_state=standin.ticket_state(101),
            ),
        ),
        (
            "ticket 102 (ben, a low-value customer, mildly annoyed)",
            comment_added_event(ticket_id=102, requester_id=9002, subject="Where is my parcel?", body="The parcel is a few days late, any news?",
                                ticket_state=standin.ticket_state(102)),
        ),
        (
            "ticket 103 (dana, not in the customer store)",
            trigger_body(
                ticket_id=103,
                subject="Still waiting",
                latest_comment="Still waiting for my order after two weeks. This is unacceptable.",
                requester_email="dana.novak@example.net",
                requester_id="9003",
            ),
        ),
    ]
    return [(label, *signed_request(secret, body)) for label, body in events]


def wait_until_serving(url: str, process: subprocess.Popen, path: str = "/readyz") -> None:
    """Wait until the web `process` answers `path` with 2xx; raise if it exits or takes too long."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited with code {process.returncode}")
        try:
            if requests.get(f"{url}{path}", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the web process did not become ready within {READY_TIMEOUT_SECONDS} s")


def run_demo(*, once: bool, timeout: float) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="clvdesk-demo-"))
    posted = threading.Event()
    notes: list[int] = []

    def on_note(ticket_id: int, comment: dict) -> None:
        print(f"\n--- note posted on ticket {ticket_id} ---\n{comment['body']}\n", flush=True)
        notes.append(ticket_id)
        if len(notes) >= len(SAMPLE_USERS):
            posted.set()

    api_token, zendesk_token, webhook_secret = (secrets.token_urlsafe(32) for _ in range(3))
    redis_url = ensure_embedded_redis(scratch)
    standin = ZendeskStandin(email="clvdesk@example.com", api_token=zendesk_token, on_note=on_note).start()
    processes: list[subprocess.Popen] = []
    try:
        for user_id, email in SAMPLE_USERS:
            standin.add_user(user_id, email)
        for ticket_id, (user_id, _) in zip((101, 102, 103), SAMPLE_USERS):
            standin.add_ticket(ticket_id, requester_id=user_id)
        sample = resources.files("clvdesk").joinpath("data/demo_customers.csv")
        with resources.as_file(sample) as path:
            count = CustomerStore(connect(redis_url)).replace_all(read_customer_csv(path))
        print(f"embedded Redis at {redis_url}; {count} sample customers imported", flush=True)

        port = free_port()
        web_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "CLVDESK_REDIS_URL": redis_url,
            "CLVDESK_DATA_DIR": str(scratch),
            "CLVDESK_ZENDESK_URL": standin.url,
            "CLVDESK_ZENDESK_EMAIL": "clvdesk@example.com",
            "CLVDESK_ZENDESK_API_TOKEN": zendesk_token,
            "CLVDESK_ZENDESK_WEBHOOK_SECRET": webhook_secret,
            "CLVDESK_API_TOKEN": api_token,
            "CLVDESK_LOG_LEVEL": "WARNING",
        }
        env.pop("CLVDESK_ZENDESK_OAUTH_TOKEN", None)
        command = [sys.executable, "-m", "clvdesk"]
        processes.append(subprocess.Popen([*command, "web", "--port", str(port)], env=env))
        processes.append(subprocess.Popen([*command, "worker"], env=env))
        wait_until_serving(web_url, processes[0])
        print(f"web at {web_url}, worker running, stand-in Zendesk at {standin.url}", flush=True)

        for label, payload, headers in _sample_requests(webhook_secret, standin):
            answer = requests.post(f"{web_url}/webhooks/zendesk", data=payload, headers=headers, timeout=5)
            print(f"sent {label}: {answer.status_code} {answer.json()}", flush=True)

        if not posted.wait(timeout):
            print(f"only {len(notes)} of {len(SAMPLE_USERS)} notes were posted within {timeout:.0f} s", file=sys.stderr)
            return 1
        print("all sample notes posted", flush=True)
        if once:
            return 0
        print(
            "\nclvdesk keeps running; try:\n"
            f"  curl -H 'Authorization: Bearer {api_token}' {web_url}/api/v1/tickets/101/suggestion\n"
            f"  curl {web_url}/readyz\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        standin.stop()
        stop_embedded_redis(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
