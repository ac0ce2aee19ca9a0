"""Fixtures: a real Redis (CLVDESK_REDIS_URL, else the embedded server), a stand-in Zendesk that
checks every request against Zendesk's OpenAPI description (when ../shared has it: see
tests/zendesk_contract.py), the app, and a burst RQ worker.

The tests flush the Redis database they are given: point CLVDESK_REDIS_URL at a scratch database.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from clvdesk.connection import connect
from clvdesk.standins.zendesk import signed_request
from clvdesk.standins.zendesk import ZendeskStandin
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis
from clvdesk.settings import Settings
from plugin import create_app
from tests.zendesk_contract import contract_validator
from workers.worker import run_worker

# On CI the property tests draw the same examples every run, so a red build always means a change did it;
# on developers' machines they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

WEBHOOK_SECRET = "whsec-test-0123456789"
API_TOKEN = "api-token-test-0123456789abcdefghijkl"  # clvdesk's own tokens are at least 32 characters
ADMIN_TOKEN = "admin-token-test-0123456789abcdefghij"
ZENDESK_EMAIL = "clvdesk@example.com"
ZENDESK_TOKEN = "zendesk-token-test"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("CLVDESK_REDIS_URL")
    if url:
        yield url
        return
    data_dir = tmp_path_factory.mktemp("redis")
    yield ensure_embedded_redis(data_dir)
    stop_embedded_redis(data_dir)


@pytest.fixture
def redis(redis_url):
    connection = connect(redis_url)
    connection.flushdb()
    yield connection
    connection.close()


@pytest.fixture
def standin():
    server = ZendeskStandin(email=ZENDESK_EMAIL, api_token=ZENDESK_TOKEN, validate=contract_validator()).start()
    yield server
    server.stop()
    assert server.violations == [], "requests that break Zendesk's published contract"


@pytest.fixture
def settings(redis_url, standin, tmp_path):
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path,
        zendesk_url=standin.url,
        zendesk_email=ZENDESK_EMAIL,
        zendesk_api_token=ZENDESK_TOKEN,
        zendesk_webhook_secret=WEBHOOK_SECRET,
        api_token=API_TOKEN,
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def app(settings, redis):
    return create_app(settings, redis=redis)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def deliver(client):
    """POST a body to the receiver signed as Zendesk would; returns the response."""

    def send(body, *, secret=WEBHOOK_SECRET, invocation_id=None, **overrides):
        payload, headers = signed_request(secret, body, invocation_id=invocation_id)
        headers.update(overrides)
        return client.post("/webhooks/zendesk", data=payload, headers=headers)

    return send


@pytest.fixture
def work(settings, redis):
    """Run a real RQ worker in this process until the queue is empty."""
    return lambda: run_worker(settings, redis, burst=True)


# --- pages in a real browser: Debian's chromium driven by Playwright ---------------------------------

CHROMIUM_ARGS = [  # as root, and with no network for the browser's own services
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CLVDESK_CHROMIUM") or shutil.which("chromium")
    assert executable, "the browser tests need Debian's chromium (apt-get install chromium; .ci/run does it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def live_app(app):
    """The app served over real HTTP on loopback (threaded werkzeug); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where browser tests save screenshots (kept after the run; ignored by git)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
