"""`clvdesk web` as production runs it: a real process on loopback, under slow clients."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.slow_clients import GOAL_SECONDS, SlowClients, probe
from clvdesk.defaults import WEB_HEADER_TIMEOUT_SECONDS
from clvdesk.demo import free_port, wait_until_serving
from tests.conftest import API_TOKEN, WEBHOOK_SECRET

SLOW_CLIENTS = 40
ATTACK_SECONDS = 8


@pytest.fixture
def web(redis_url, redis, tmp_path):
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    env = {**clean, "CLVDESK_REDIS_URL": redis_url, "CLVDESK_DATA_DIR": str(tmp_path),
           "CLVDESK_ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET, "CLVDESK_API_TOKEN": API_TOKEN}
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "clvdesk", "web", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, "/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_slow_clients_neither_delay_healthz_and_webhooks_nor_stay_connected(web):
    started = time.monotonic()
    with SlowClients(web, SLOW_CLIENTS) as clients:
        probes = probe(web, ATTACK_SECONDS, WEBHOOK_SECRET)
        assert probes.failures == []
        assert len(probes.healthz) >= 5 and len(probes.webhook) >= 5
        assert probes.slowest() < GOAL_SECONDS, probes

        # Those trickling their headers are dropped once the header deadline has passed (and reconnect).
        deadline = started + WEB_HEADER_TIMEOUT_SECONDS + 4
        while clients.dropped < SLOW_CLIENTS // 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert clients.dropped >= SLOW_CLIENTS // 2
