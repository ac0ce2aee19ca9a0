"""The `clvdesk` command as a user runs it: real processes, real Redis, a recording stand-in Zendesk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from clvdesk.customers import CustomerStore
from clvdesk.demo import free_port, wait_until_serving
from clvdesk.helpdesk import REGISTRY
from clvdesk.standins.zendesk import signed_request, ticket_created_event
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, ZENDESK_EMAIL, ZENDESK_TOKEN

CLVDESK = [sys.executable, "-m", "clvdesk"]
HELPDESK_PREFIXES = ", ".join(entry.settings.model_config["env_prefix"] + "*" for entry in REGISTRY.values())


@pytest.fixture
def env(redis_url, redis, tmp_path):
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    return {**clean, "CLVDESK_REDIS_URL": redis_url, "CLVDESK_DATA_DIR": str(tmp_path)}


def run(env, *args, timeout=60):
    return subprocess.run([*CLVDESK, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_import_customers(env, redis, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("email,residual_clv,historical_spend\na@example.com,10,20\nb@example.com,30,40\n")
    result = run(env, "customers", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported 2 customers from {path}"
    assert CustomerStore(redis).find(email="b@example.com").residual_clv == 30


def test_bad_import_is_one_line_exit_2_and_changes_nothing(env, redis, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("email,residual_clv,historical_spend\na@example.com,10,20\n")
    bad.write_text("email,residual_clv,historical_spend\nb@example.com,10,20\nc@example.com,ten,20\n")
    assert run(env, "customers", "import", str(good)).returncode == 0

    result = run(env, "customers", "import", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == f"clvdesk: {bad}: nothing imported; line 3: residual_clv 'ten' is not a number"
    assert CustomerStore(redis).find(email="b@example.com") is None
    assert CustomerStore(redis).find(email="a@example.com") is not None


PREFIXES = ", ".join(entry.settings.model_config["env_prefix"] + "*" for entry in REGISTRY.values())  # every helpdesk's


@pytest.mark.parametrize(
    "extra, message",
    [
        ({}, f"clvdesk: no helpdesk is configured ({PREFIXES}); the web process needs one"),
        ({"CLVDESK_ZENDESK_URL": "https://acme.zendesk.com"},
         "clvdesk: CLVDESK_ZENDESK_WEBHOOK_SECRET is not set; the web process needs it"),
        ({"CLVDESK_ZENDESK_WEBHOOK_SECRET": "s", "CLVDESK_API_TOKEN": "t", "CLVDESK_REDIS_URL": "http://x"},
         "clvdesk: CLVDESK_REDIS_URL: must be a redis://, rediss:// or unix:// URL"),
        ({"CLVDESK_ZENDESK_WEBHOOK_SECRET": "s", "CLVDESK_API_TOKEN": API_TOKEN, "CLVDESK_ADMIN_TOKEN": "8chars!!"},
         "clvdesk: CLVDESK_ADMIN_TOKEN: must be at least 32 characters long (openssl rand -hex 32 makes one)"),
        ({"CLVDESK_ZENDESK_WEBHOOK_SECRET": "s", "CLVDESK_API_TOKEN": "x" * 31},
         "clvdesk: CLVDESK_API_TOKEN: must be at least 32 characters long (openssl rand -hex 32 makes one)"),
    ],
)
def test_web_settings_errors(env, extra, message):
    result = run({**env, **extra}, "web")
    assert result.returncode == 2
    assert result.stderr.strip() == message


def test_worker_without_zendesk_settings(env):
    result = run(env, "worker", "--burst")
    assert result.returncode == 2
    assert result.stderr.strip() == f"clvdesk: no helpdesk is configured ({PREFIXES}); the worker needs one"
    result = run({**env, "CLVDESK_ZENDESK_EMAIL": "agent@example.com"}, "worker", "--burst")
    assert result.stderr.strip() == "clvdesk: CLVDESK_ZENDESK_URL is not set; the worker needs it"


def test_web_and_burst_worker_turn_one_event_into_one_note(env, standin, redis):
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(101, requester_id=901)
    env = {
        **env,
        "CLVDESK_ZENDESK_URL": standin.url,
        "CLVDESK_ZENDESK_EMAIL": ZENDESK_EMAIL,
        "CLVDESK_ZENDESK_API_TOKEN": ZENDESK_TOKEN,
        "CLVDESK_ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CLVDESK_API_TOKEN": API_TOKEN,
    }
    port = free_port()
    web = subprocess.Popen([*CLVDESK, "web", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, web)
        event = ticket_created_event(ticket_id=101, requester_id=901, subject="Late", description="Still not delivered!")
        statuses = []
        for _ in range(2):  # Zendesk delivers at least once: the same event twice
            payload, headers = signed_request(WEBHOOK_SECRET, event)
            statuses.append(requests.post(f"{url}/webhooks/zendesk", data=payload, headers=headers, timeout=5).status_code)
        assert statuses == [202, 200]
        assert requests.post(f"{url}/webhooks/zendesk", json=event, timeout=5).status_code == 401
        payload, headers = signed_request(WEBHOOK_SECRET, b"{oops")
        bad = requests.post(f"{url}/webhooks/zendesk", data=payload, headers=headers, timeout=5)
        assert bad.status_code == 400 and bad.json()["error"] == "malformed_json"

        result = run(env, "worker", "--burst")
        assert result.returncode == 0, result.stderr
        [note] = standin.notes(101)
        assert note["public"] is False and "clvdesk suggestion" in note["body"]
        assert ZENDESK_TOKEN not in result.stderr and "ana@example.com" not in result.stderr
    finally:
        web.terminate()
        _, web_log = web.communicate(timeout=10)
    assert WEBHOOK_SECRET not in web_log and API_TOKEN not in web_log


def test_demo_once_runs_every_helpdesk_in_one_deployment(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    result = subprocess.run([*CLVDESK, "demo", "--once", "--helpdesk", "all"], env={**env, "TMPDIR": str(tmp_path)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in REGISTRY:
        assert result.stdout.count(f"--- {name} note posted on ticket") == 3
    assert "all sample notes posted" in result.stdout
    assert "Partial refund" in result.stdout  # ana, the valuable angry customer
    assert "segment Champions" in result.stdout and "not fitted" not in result.stdout  # the sample orders' CLV fit
    assert "tier New or low value" in result.stdout  # dana, not in the store


def test_sigterm_stops_the_demo_and_every_child_as_ctrl_c_does(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    demo = subprocess.Popen([*CLVDESK, "demo", "--helpdesk", "zendesk"], env={**env, "TMPDIR": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        for line in demo.stdout:
            if line.startswith("Press Ctrl-C"):
                break
        else:
            pytest.fail(f"the demo ended before it was ready (exit {demo.wait(timeout=10)})")
        children = psutil.Process(demo.pid).children(recursive=True)
        assert children, "the demo runs its web process, worker and embedded Redis as children"
        assert list(tmp_path.glob("clvdesk-demo-*"))
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"still running after SIGTERM: {[child.pid for child in alive]}"
        assert not list(tmp_path.glob("clvdesk-demo-*")), "the scratch directory is removed"
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        demo.stdout.close()


def test_worker_check_tells_whether_a_worker_runs_here(env, standin, redis):
    env = {**env, "CLVDESK_ZENDESK_URL": standin.url, "CLVDESK_ZENDESK_EMAIL": ZENDESK_EMAIL,
           "CLVDESK_ZENDESK_API_TOKEN": ZENDESK_TOKEN}
    assert run(env, "worker", "--check").returncode == 1
    worker = subprocess.Popen([*CLVDESK, "worker", "--threads", "1"], env=env, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while (check := run(env, "worker", "--check")).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert check.returncode == 0 and check.stdout.strip() == "1 live worker(s) on this host"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # as an OOM kill would (its scheduler child too): the record stays
        worker.wait(timeout=30)
    check = run(env, "worker", "--check")
    assert check.returncode == 1 and check.stdout.strip() == "0 live worker(s) on this host"
