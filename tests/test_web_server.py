"""`clvdesk web` as production runs it: a real process on loopback, under slow clients and behind a proxy."""

from __future__ import annotations

import json
import os
import re
import socket
import time

import pytest
import requests

from bench.harness import serving
from bench.slow_clients import GOAL_SECONDS, SlowClients, SlowConnection, probe
from clvdesk.defaults import (
    ADMIN_SIGN_IN_FAILURES, MAX_WEBHOOK_BYTES, SIMULATION_MAX_UPLOAD_BYTES, WEB_HEADER_TIMEOUT_SECONDS,
)
from clvdesk.demo import free_port
from tests.conftest import ADMIN_TOKEN, API_TOKEN, WEBHOOK_SECRET

SLOW_CLIENTS = 40
ATTACK_SECONDS = 8


@pytest.fixture
def serve(redis_url, redis, tmp_path):
    """Start `clvdesk web` (or `launcher` PORT) with these extra environment variables; yields its URL."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    env = {**clean, "CLVDESK_REDIS_URL": redis_url, "CLVDESK_DATA_DIR": str(tmp_path),
           "CLVDESK_ZENDESK_URL": "https://acme.zendesk.com", "CLVDESK_ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "CLVDESK_API_TOKEN": API_TOKEN,
           "CLVDESK_ADMIN_TOKEN": ADMIN_TOKEN}

    def web(launcher: str | None = None, **extra: str):
        port = free_port()
        command = [launcher, str(port)] if launcher else ["-m", "clvdesk", "web", "--port", str(port)]
        return serving(command, port, {**env, **extra})

    return web


def test_slow_clients_neither_delay_healthz_and_webhooks_nor_stay_connected(serve):
    with serve() as url:
        started = time.monotonic()
        with SlowClients(url, SLOW_CLIENTS) as clients:
            probes = probe(url, ATTACK_SECONDS, WEBHOOK_SECRET)
            assert probes.failures == []
            assert len(probes.healthz) >= 5 and len(probes.webhook) >= 5
            assert probes.slowest() < GOAL_SECONDS, probes

            # Those trickling their headers are dropped once the header deadline has passed (and reconnect).
            deadline = started + WEB_HEADER_TIMEOUT_SECONDS + 4
            while clients.dropped < SLOW_CLIENTS // 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert clients.dropped >= SLOW_CLIENTS // 2


def _sign_in_page(url: str, **headers: str) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()  # a fresh session each time, as a guesser's script would have
    return browser, browser.get(f"{url}/admin/login", headers=headers, timeout=5)


def _wrong_token(url: str, client: str) -> int:
    browser, page = _sign_in_page(url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    return browser.post(f"{url}/admin/login", data={"csrf_token": token, "token": "guess"},
                        headers={"X-Forwarded-For": client}, timeout=5).status_code


def test_behind_a_trusted_proxy_the_cookie_is_secure_and_sign_in_is_limited_per_client(serve):
    with serve(CLVDESK_TRUSTED_PROXIES="1") as url:
        assert "Secure" in _sign_in_page(url, **{"X-Forwarded-Proto": "https"})[1].headers["Set-Cookie"]
        assert "Secure" not in _sign_in_page(url)[1].headers["Set-Cookie"]
        assert [_wrong_token(url, "203.0.113.7") for _ in range(ADMIN_SIGN_IN_FAILURES + 1)][-2:] == [401, 429]
        assert _wrong_token(url, "198.51.100.2") == 401  # another client behind the same proxy


def test_without_trusted_proxies_forwarded_headers_are_ignored(serve):
    with serve() as url:
        assert "Secure" not in _sign_in_page(url, **{"X-Forwarded-Proto": "https"})[1].headers["Set-Cookie"]
        statuses = [_wrong_token(url, f"203.0.113.{n}") for n in range(ADMIN_SIGN_IN_FAILURES + 1)]
        assert statuses[-2:] == [401, 429]  # a forged X-Forwarded-For does not reset the count


def test_a_request_whose_headers_or_body_come_too_slowly_is_dropped(serve, tmp_path):
    """The deadlines at 1 s instead of 10 and 30: both kinds of slow request are closed within a few seconds."""
    launcher = tmp_path / "serve_with_short_deadlines.py"
    launcher.write_text(
        "import sys\nimport plugin.server as server\nfrom plugin import create_app\n"
        "server.WEB_HEADER_TIMEOUT_SECONDS = server.WEB_BODY_TIMEOUT_SECONDS = 1\n"
        "server.serve(create_app(), host='127.0.0.1', port=int(sys.argv[1]))\n"
    )
    with serve(launcher=str(launcher)) as url:
        host, port = url.removeprefix("http://").split(":")
        slow = [SlowConnection(host, int(port), trickle_body=body) for body in (False, True)]
        try:
            deadline = time.monotonic() + 6
            while any(connection.alive() for connection in slow) and time.monotonic() < deadline:
                time.sleep(0.3)  # alive() sends the next byte
            assert [connection.alive() for connection in slow] == [False, False]
        finally:
            for connection in slow:
                connection.close()
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200


def test_requests_the_server_refuses_itself_get_the_apps_json_errors(serve):
    with serve() as url:
        too_large = requests.post(f"{url}/webhooks/zendesk", data=b"x" * (MAX_WEBHOOK_BYTES + 1), timeout=10)
        assert too_large.status_code == 413 and too_large.json()["error"] == "payload_too_large"
        at_the_limit = requests.post(f"{url}/webhooks/zendesk", data=b"x" * MAX_WEBHOOK_BYTES, timeout=10)
        assert at_the_limit.status_code == 401  # read whole and handed to the receiver, which checks the signature

        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
            head, _, body = connection.makefile("rb").read().partition(b"\r\n\r\n")  # then it closes
        assert head.startswith(b"HTTP/1.0 400") and b"Content-Type: application/json" in head
        assert json.loads(body)["error"] == "bad_request"


def test_the_admin_paths_take_the_larger_bodies_the_app_accepts_there(serve):
    with serve() as url:
        body = b"x" * (MAX_WEBHOOK_BYTES + 1)
        assert requests.post(f"{url}/api/v1/zendesk/tickets/1/outcome", data=body, timeout=10).status_code == 413
        # Past the server to the app, which asks for the admin token before it reads the body.
        assert requests.post(f"{url}/api/v1/admin/rules/simulate", data=body, timeout=10).status_code == 401
        too_large = requests.post(f"{url}/admin", data=b"x" * (SIMULATION_MAX_UPLOAD_BYTES + 1), timeout=30)
        assert too_large.status_code == 413 and str(SIMULATION_MAX_UPLOAD_BYTES) in too_large.json()["message"]
