"""Fixtures: a real Redis (CLVDESK_REDIS_URL, else the embedded server), a stand-in Zendesk that
checks every request against Zendesk's OpenAPI description (when ../shared has it: see
tests/zendesk_contract.py), the app, and a burst RQ worker; and `helpdesk_case`, the same for each
registered helpdesk in turn (tests/helpdesk_cases/).

The tests flush the Redis database they are given: point CLVDESK_REDIS_URL at a scratch database.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from clvdesk.connection import connect
from clvdesk.helpdesk import REGISTRY
from clvdesk.redis_server import ensure_embedded_redis, stop_embedded_redis
from clvdesk.settings import ENV_PREFIX, Settings
from clvdesk.standins.server import StandinServer
from clvdesk.standins.zendesk import ZendeskStandin, signed_request
from plugin import create_app
from tests.helpdesk_cases import CASES, HelpdeskCase
from tests.helpdesk_cases.zendesk import API_TOKEN as ZENDESK_TOKEN
from tests.helpdesk_cases.zendesk import EMAIL as ZENDESK_EMAIL
from tests.helpdesk_cases.zendesk import WEBHOOK_SECRET
from tests.zendesk_contract import contract_validator
from workers.worker import run_worker

# On CI the property tests draw the same examples every run, so a red build always means a change did it;
# on developers' machines they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

API_TOKEN = "api-token-test-0123456789abcdefghijkl"  # clvdesk's own tokens are at least 32 characters
ADMIN_TOKEN = "admin-token-test-0123456789abcdefghij"


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


def serve_only(monkeypatch, helpdesk_env: dict[str, str]) -> None:
    """Make `helpdesk_env` the only helpdesk settings in the environment, as a deployment would have them."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) and name != "CLVDESK_REDIS_URL":
            monkeypatch.delenv(name)
    for name, value in helpdesk_env.items():
        monkeypatch.setenv(name, value)


def common_settings(redis_url: str, data_dir: Path) -> Settings:
    return Settings(redis_url=redis_url, data_dir=data_dir, api_token=API_TOKEN, admin_token=ADMIN_TOKEN)


@pytest.fixture
def zendesk_env(standin):
    """CLVDESK_ZENDESK_* for the stand-in Zendesk (set in the environment by `settings`)."""
    return CASES["zendesk"].env(standin)


@pytest.fixture
def settings(redis_url, zendesk_env, tmp_path, monkeypatch):
    """The common settings; the stand-in Zendesk's are in the environment, where clvdesk reads them."""
    serve_only(monkeypatch, zendesk_env)
    return common_settings(redis_url, tmp_path)


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


# --- every registered helpdesk, one at a time, through its stand-in ------------------------------------


CUSTOMER_TEXT = "It arrived broken!"  # what the customer writes on a case's ticket unless a test says otherwise


@dataclass
class LiveCase:
    """A helpdesk's stand-in, started and served by the app and worker (the only helpdesk configured)."""

    case: HelpdeskCase
    standin: StandinServer  # with the base's fault controls: fail_next, lose_answer_next, delay_next ...
    settings: Settings
    env: dict[str, str]  # the whole environment of a `clvdesk` process serving it
    client: object  # the app's test client
    work: Callable[[], bool]  # run a burst worker until the queue is empty

    @property
    def name(self) -> str:
        return self.case.name

    def add_ticket(self, ticket_id: int, email: str = "ana@example.com") -> None:
        self.case.add_ticket(self.standin, ticket_id, email)

    def deliver(self, ticket_id: int, text: str = CUSTOMER_TEXT, *, event_id: str | None = None):
        """POST the authenticated webhook "the customer wrote `text` on ticket N"; the app's answer."""
        request = self.case.webhook(self.standin, ticket_id, text, event_id or f"evt-{ticket_id}")
        path = f"/webhooks/{self.name}" + (f"?{request.query}" if request.query else "")
        return self.client.post(path, data=request.body, headers=request.headers)

    def notes(self, ticket_id: int) -> list[str]:
        return self.case.notes(self.standin, ticket_id)

    def event_id(self, ticket_id: int, announced: str, text: str = CUSTOMER_TEXT) -> str:
        """The id clvdesk gave the event delivered as `deliver(ticket_id, text, event_id=announced)`."""
        return self.case.event_id(self.standin, ticket_id, text, announced)

    def reference(self, ticket_id: int, announced: str, text: str = CUSTOMER_TEXT) -> str:
        """The clvdesk-ref that the note of `deliver(ticket_id, text, event_id=announced)` carries."""
        return f"clvdesk-ref:{self.event_id(ticket_id, announced, text)}"


@pytest.fixture(params=sorted(REGISTRY))
def helpdesk_case(request, redis, redis_url, tmp_path, monkeypatch):
    case = CASES.get(request.param)
    assert case is not None, f"helpdesk {request.param} is registered but has no case in tests/helpdesk_cases/"
    standin = case.standin().start()
    try:
        own = case.env(standin)
        serve_only(monkeypatch, own)
        settings = common_settings(redis_url, tmp_path)
        clean = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
        env = {**clean, "CLVDESK_REDIS_URL": redis_url, **own}
        client = create_app(settings, redis=redis).test_client()
        yield LiveCase(case, standin, settings, env, client, lambda: run_worker(settings, redis, burst=True))
    finally:
        standin.stop()
    assert standin.violations == [], f"requests that break {case.name}'s published contract"


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


@contextmanager
def serving(app):
    """`app` served over real HTTP on loopback (threaded werkzeug); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def live_app(app):
    """The app served over real HTTP on loopback; yields its base URL."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where browser tests save screenshots (kept after the run; ignored by git)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
