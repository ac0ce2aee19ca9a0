"""`clvdesk demo`: the whole path on one machine with nothing configured.

It starts an embedded Redis in a scratch directory, a stand-in for each chosen helpdesk on loopback
(`--helpdesk NAME`, or `all`: every registered one, in one deployment), and the real `clvdesk web` and
`clvdesk worker` processes; loads sample customers; sends each helpdesk's signed sample tickets (a
valuable angry customer, a low-value one, an unknown one) and prints each note as it is posted.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import signal
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
from clvdesk.helpdesk import REGISTRY
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis
from clvdesk.settings import ENV_PREFIX
from clvdesk.standins.scenario import DEMO_CUSTOMERS, DemoFactory, DemoScenario

READY_TIMEOUT_SECONDS = 20
ALL = "all"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scenario_factory(name: str) -> DemoFactory:
    """The demo of helpdesk `name`: its stand-in module's `demo_scenario` (clvdesk/standins/<name>.py)."""
    return importlib.import_module(f"clvdesk.standins.{name}").demo_scenario


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


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, a service manager, kill) stops the demo as Ctrl-C does: every child too."""
    raise KeyboardInterrupt


def run_demo(*, once: bool, timeout: float, helpdesk: str = ALL) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    names = list(REGISTRY) if helpdesk == ALL else [helpdesk]  # the command offers registered names only
    scratch = Path(tempfile.mkdtemp(prefix="clvdesk-demo-"))
    posted = threading.Event()
    notes: list[str] = []
    expected = len(names) * len(DEMO_CUSTOMERS)

    def on_note(name: str):
        def show(ticket_id: str, body: str) -> None:
            print(f"\n--- {name} note posted on ticket {ticket_id} ---\n{body}\n", flush=True)
            notes.append(f"{name}:{ticket_id}")
            if len(notes) >= expected:
                posted.set()
        return show

    api_token = secrets.token_urlsafe(32)
    redis_url = ensure_embedded_redis(scratch)
    scenarios: dict[str, DemoScenario] = {}
    processes: list[subprocess.Popen] = []
    try:
        for name in names:
            scenarios[name] = scenario_factory(name)(DEMO_CUSTOMERS, on_note(name))
        sample = resources.files("clvdesk").joinpath("data/demo_customers.csv")
        with resources.as_file(sample) as path:
            count = CustomerStore(connect(redis_url)).replace_all(read_customer_csv(path))
        print(f"embedded Redis at {redis_url}; {count} sample customers imported", flush=True)

        port = free_port()
        web_url = f"http://127.0.0.1:{port}"
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)},
            "CLVDESK_REDIS_URL": redis_url,
            "CLVDESK_DATA_DIR": str(scratch),
            "CLVDESK_API_TOKEN": api_token,
            "CLVDESK_LOG_LEVEL": "WARNING",
        }
        for scenario in scenarios.values():
            env.update(scenario.env)
        command = [sys.executable, "-m", "clvdesk"]
        processes.append(subprocess.Popen([*command, "web", "--port", str(port)], env=env))
        processes.append(subprocess.Popen([*command, "worker"], env=env))
        wait_until_serving(web_url, processes[0])
        stands = ", ".join(f"stand-in {name} at {scenario.standin.url}" for name, scenario in scenarios.items())
        print(f"web at {web_url}, worker running, {stands}", flush=True)

        for name, scenario in scenarios.items():
            for request in scenario.requests:
                url = f"{web_url}/webhooks/{name}" + (f"?{request.query}" if request.query else "")
                answer = requests.post(url, data=request.body, headers=request.headers, timeout=5)
                print(f"sent {name} {request.label}: {answer.status_code} {answer.json()}", flush=True)

        if not posted.wait(timeout):
            print(f"only {len(notes)} of {expected} notes were posted within {timeout:.0f} s", file=sys.stderr)
            return 1
        print("all sample notes posted", flush=True)
        if once:
            return 0
        print(
            "\nclvdesk keeps running; try:\n"
            f"  curl -H 'Authorization: Bearer {api_token}' {web_url}/api/v1/{names[0]}/tickets/101/suggestion\n"
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
        for scenario in scenarios.values():
            scenario.standin.stop()
        stop_embedded_redis(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
