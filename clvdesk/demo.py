"""`clvdesk demo`: the whole path on one machine with nothing configured.

It starts an embedded Redis in a scratch directory, a stand-in for each chosen helpdesk on loopback
(`--helpdesk NAME`, or `all`: every registered one, in one deployment), and the real `clvdesk web` and
`clvdesk worker` processes; fits the CLV engine on the shipped sample orders (`clvdesk clv fit`, the
orders moved in time so the last is today); sends each helpdesk's signed sample tickets (a valuable
angry customer, a low-value one, an unknown one) and prints each note as it is posted. Left running, it
prints where to explore: the admin page and its generated token, the sidebar preview, each webhook and
its secret, and `clvdesk demo send`, which finds the demo through the state file it writes
(clvdesk.demo_send).

The sample orders (clvdesk/data/demo_orders.csv) are synthetic: 600 customers drawn once by
tests/test_clv_cli.py's synthetic_orders (BG/NBD and Gamma-Gamma with CDNOW's published parameters,
seed 15, dates moved from 1997 to 2024), and three named customers written by hand: ana (an order every
three weeks), ben (two small orders a year before the end) and carla.
"""

from __future__ import annotations

import importlib
import json
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

from clvdesk.demo_send import SCRATCH_PREFIX, DemoState
from clvdesk.helpdesk import REGISTRY
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis
from clvdesk.settings import ENV_PREFIX
from clvdesk.standins.scenario import DEMO_CUSTOMERS, DemoFactory, DemoScenario

READY_TIMEOUT_SECONDS = 60  # the web process imports pandas and scipy: slow on a busy machine
FIT_TIMEOUT_SECONDS = 300  # `clvdesk clv fit` on the sample orders: seconds, unless the machine is very busy
ALL = "all"
SAMPLE_ORDERS = "data/demo_orders.csv"  # in the clvdesk package


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


def fit_sample_customers(scratch: Path, env: dict[str, str]) -> dict:
    """Run `clvdesk clv fit` on the sample orders, moved so that the last order is today: the customers'
    P(alive) and residual CLV are as of now, as a nightly fit's would be. Returns the fit's JSON report."""
    import pandas as pd

    with resources.as_file(resources.files("clvdesk").joinpath(SAMPLE_ORDERS)) as path:
        orders = pd.read_csv(path, dtype=str, keep_default_na=False)
    dates = pd.to_datetime(orders["date"], format="%Y-%m-%d")
    moved = dates + (pd.Timestamp.now(tz="UTC").tz_localize(None).normalize() - dates.max())
    shifted = scratch / "orders.csv"
    orders.assign(date=moved.dt.strftime("%Y-%m-%d")).to_csv(shifted, index=False)
    result = subprocess.run([sys.executable, "-m", "clvdesk", "clv", "fit", str(shifted), "--json"], env=env,
                            capture_output=True, text=True, timeout=FIT_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise RuntimeError(f"clvdesk clv fit on the sample orders failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def webhook_secret(name: str, scenario: DemoScenario) -> str:
    """The generated secret that signs helpdesk `name`'s webhooks in the demo."""
    return scenario.env[f"{REGISTRY[name].settings.model_config['env_prefix']}WEBHOOK_SECRET"]


def explore_text(web_url: str, admin_token: str, scenarios: dict[str, DemoScenario]) -> str:
    """What to try while the demo runs, printed once the sample notes are posted."""
    lines = ["", "clvdesk keeps running. Explore it:",
             f"  admin page:      {web_url}/admin/login   (sign in with the admin token {admin_token})"]
    if "zendesk" in scenarios:
        lines.append(f"  sidebar preview: {web_url}/admin/preview/zendesk/101   (ana's ticket, as the Zendesk "
                     "sidebar shows it; sign in first)")
    for name, scenario in scenarios.items():
        lines.append(f"  {name} webhook: {web_url}/webhooks/{name}   (secret {webhook_secret(name, scenario)})")
    if "zendesk" in scenarios:
        lines += ["  a ticket of your own, in another terminal:",
                  '    clvdesk demo send "My parcel never came and nobody answers!" [--language da] [--customer EMAIL]']
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, a service manager, kill) stops the demo as Ctrl-C does: every child too."""
    raise KeyboardInterrupt


def run_demo(*, once: bool, timeout: float, helpdesk: str = ALL) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    names = list(REGISTRY) if helpdesk == ALL else [helpdesk]  # the command offers registered names only
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
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

    api_token, admin_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    redis_url = ensure_embedded_redis(scratch)
    scenarios: dict[str, DemoScenario] = {}
    processes: list[subprocess.Popen] = []
    try:
        for name in names:
            scenarios[name] = scenario_factory(name)(DEMO_CUSTOMERS, on_note(name))
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)},
            "CLVDESK_REDIS_URL": redis_url,
            "CLVDESK_DATA_DIR": str(scratch),
            "CLVDESK_API_TOKEN": api_token,
            "CLVDESK_ADMIN_TOKEN": admin_token,
            "CLVDESK_LOG_LEVEL": "WARNING",
        }
        fit = fit_sample_customers(scratch, env)
        print(f"embedded Redis at {redis_url}; {fit['stored']} sample customers fitted on the sample orders "
              f"(calibration end {fit['calibration_end']}, total CLV {fit['totals']['total_clv']:,.2f})", flush=True)

        port = free_port()
        web_url = f"http://127.0.0.1:{port}"
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
        if "zendesk" in scenarios:
            zendesk = scenarios["zendesk"].env
            DemoState(pid=os.getpid(), web_url=web_url, redis_url=redis_url,
                      webhook_secret=zendesk["CLVDESK_ZENDESK_WEBHOOK_SECRET"], zendesk_url=zendesk["CLVDESK_ZENDESK_URL"],
                      zendesk_email=zendesk["CLVDESK_ZENDESK_EMAIL"], zendesk_token=zendesk["CLVDESK_ZENDESK_API_TOKEN"],
                      ).write(scratch)
        print(explore_text(web_url, admin_token, scenarios), flush=True)
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
