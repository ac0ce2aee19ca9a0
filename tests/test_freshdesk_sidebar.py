"""The Freshdesk sidebar app in a real headless Chromium, served from the zip `clvdesk app package
--helpdesk freshdesk` builds, with a stand-in of FDK's client in place of {{{appclient}}}; its request
templates go through a stand-in of Freshworks' template proxy (which fills in the iparams, the secure
token too) to the real Flask app on loopback."""

from __future__ import annotations

import json
import mimetypes
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from clvdesk.helpdesk.freshdesk.app_package import APP_CLIENT, build_freshdesk_package
from clvdesk.customers import CustomerStore, CustomerValue
from tests.conftest import API_TOKEN, serving
from tests.test_sidebar import ANA, ANGRY, DANISH, SIDEBAR_WIDTH, forward, unzipped

ROOT = Path(__file__).resolve().parent.parent
STANDIN_JS = Path(__file__).with_name("fdk_standin.js")
APP_ORIGIN = "https://clvdesk-app.freshdesk-apps.test"  # where the platform serves the app's files
CLVDESK_HOST = "clvdesk.example.com"  # the installation's clvdesk_host iparam
TEMPLATE_VALUE = re.compile(r"<%=\s*(iparam|context)\.([A-Za-z0-9_]+)\s*%>")


class Freshworks:
    """What the app meets of Freshdesk: the page's data, the methods it invokes, the template proxy."""

    def __init__(self, files: dict[str, bytes], service: str):
        self.files = files
        self.service = service  # where the proxy really sends requests for CLVDESK_HOST
        self.templates = json.loads(files["config/requests.json"])
        self.iparams = {"clvdesk_host": CLVDESK_HOST, "api_token": API_TOKEN}
        self.data = {
            "ticket": {"id": 4711, "subject": "Order trouble"},
            "requester": {"id": 43000004711, "email": ANA},
            "loggedInUser": {"id": 377, "contact": {"name": "Agent Smith", "email": "agent@acme.example", "language": "en"}},
        }
        self.invoked: list[dict] = []
        self.proxied: list[dict] = []

    def handle(self, route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path == "/__fdk/client.js":
            return route.fulfill(path=STANDIN_JS, content_type="text/javascript")
        if path.startswith("/__fdk/data/"):
            name = path.removeprefix("/__fdk/data/")
            return route.fulfill(json=self.data[name]) if name in self.data else route.fulfill(status=404, json={})
        if path == "/__fdk/invoke":
            self.invoked.append(json.loads(request.post_data))
            return route.fulfill(json={})
        if path == "/__fdk/template":
            return self.proxy(route, json.loads(request.post_data))
        name = path.removeprefix("/app/")
        if name == "index.html":  # the platform puts its client's URL in the page
            page = self.files["app/index.html"].decode().replace(APP_CLIENT, "/__fdk/client.js")
            return route.fulfill(body=page, content_type="text/html")
        if f"app/{name}" in self.files:
            return route.fulfill(body=self.files[f"app/{name}"], content_type=mimetypes.guess_type(name)[0])
        return route.fulfill(status=404, body="not in the app package")

    def fill(self, text: str, context: dict) -> str:
        """A template's values as the platform fills them: iparams (secure ones too) and the call's context."""
        return TEMPLATE_VALUE.sub(lambda m: str((self.iparams if m.group(1) == "iparam" else context)[m.group(2)]), text)

    def proxy(self, route: Route, call: dict) -> None:
        self.proxied.append(call)
        schema = self.templates[call["name"]]["schema"]
        context = call.get("context") or {}
        host = self.fill(schema["host"], context)
        assert host == CLVDESK_HOST
        path = self.fill(schema["path"], context)
        headers = {name: self.fill(value, context) for name, value in schema.get("headers", {}).items()}
        forward(route, schema["method"], self.service + path, headers, call.get("body"))


@pytest.fixture(scope="module")
def package_files(tmp_path_factory) -> dict[str, bytes]:
    return unzipped(build_freshdesk_package, tmp_path_factory.mktemp("fdk") / "clvdesk-freshdesk-app.zip")


def open_sidebar(page: Page, freshworks: Freshworks) -> list[str]:
    """Load the sidebar as Freshdesk would; returns what the browser sent, to search for the token."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url + json.dumps(request.headers) + (request.post_data or "")))
    page.set_viewport_size({"width": SIDEBAR_WIDTH, "height": 900})
    page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
    page.route(f"{APP_ORIGIN}/**", freshworks.handle)
    page.goto(f"{APP_ORIGIN}/app/index.html")
    return sent


@pytest.fixture
def freshdesk(helpdesk_case, redis, package_files):
    """Freshdesk served alone, over real HTTP, with Ana's ticket 4711 in its stand-in."""
    CustomerStore(redis).replace_all([CustomerValue(
        email=ANA, customer_id="C-1001", residual_clv=1240, historical_spend=2310.5,
        total_clv=1933.15, p_alive=0.87, segment="champions",
    )])
    helpdesk_case.add_ticket(4711, ANA)
    with serving(helpdesk_case.client.application) as url:
        yield helpdesk_case, Freshworks(package_files, url)


only_freshdesk = pytest.mark.parametrize("helpdesk_case", ["freshdesk"], indirect=True)


@only_freshdesk
def test_an_agent_sees_the_suggestion_inserts_the_reply_and_records_an_outcome(page, freshdesk, artifacts_dir):
    case, freshworks = freshdesk
    sent = open_sidebar(page, freshworks)
    expect(page.locator("#status")).to_have_text("clvdesk is still working on this ticket…")

    assert case.deliver(4711, ANGRY).status_code == 202
    case.work()
    page.evaluate("fdkStandinTrigger('app.activated')")  # the agent opens the sidebar again

    expect(page.locator("#tier")).to_have_text("Champions")
    expect(page.locator("#requester")).to_have_text(ANA)
    expect(page.locator("#residual-clv")).to_have_text("$1,240.00")
    expect(page.locator("#p-alive")).to_have_text("87%")
    expect(page.locator("#sentiment")).to_have_text("Very negative")
    expect(page.locator("#signals")).to_contain_text("Churn intent “cancel my account”")
    expect(page.locator("#instrument")).to_have_text("Partial refund")
    expect(page.locator("#amount")).to_have_text("$248.00")
    expect(page.locator("#status")).to_have_text("")
    resizes = [call["args"][0] for call in freshworks.invoked if call["method"] == "instance.resize"]
    assert resizes and int(resizes[-1]["height"].removesuffix("px")) > 400

    page.get_by_role("button", name="Insert reply").click()
    expect(page.locator("#reply-status")).to_have_text("Reply inserted into the editor.")
    [inserted] = [call["args"] for call in freshworks.invoked if call["method"] == "interface.trigger"]
    assert inserted == ["click", {"id": "reply", "text": page.locator("#reply").text_content()}]

    page.get_by_label("Changed the amount").check()
    page.get_by_label("Amount given (USD)").fill("120")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#outcome-status")).to_have_text("Recorded: Changed the amount: $120.00.")
    page.screenshot(path=str(artifacts_dir / "freshdesk-sidebar.png"), full_page=True)
    [outcome] = [call for call in freshworks.proxied if call["name"] == "postOutcome"]
    assert json.loads(outcome["body"])["agent_id"] == 377  # FDK's loggedInUser
    assert outcome["context"] == {"ticket_id": "4711"}

    # The token was filled in by the template proxy only: not in the page, its globals, or anything sent.
    assert API_TOKEN not in page.content()
    assert API_TOKEN not in page.evaluate("""() => Object.getOwnPropertyNames(window).map((name) => {
        try { const value = window[name]; return typeof value === 'string' ? value : JSON.stringify(value) || ''; }
        catch (error) { return ''; }
    }).join('\\n')""")
    assert sent and not [request for request in sent if API_TOKEN in request]


@only_freshdesk
def test_a_danish_agent_gets_danish_labels_and_the_reply_in_the_tickets_language(page, freshdesk):
    case, freshworks = freshdesk
    freshworks.data["loggedInUser"]["contact"]["language"] = "da"
    assert case.deliver(4711, DANISH).status_code == 202
    case.work()
    open_sidebar(page, freshworks)
    expect(page.locator("#customer-heading")).to_have_text("Kunde")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("#reply")).to_contain_text("Jeg beklager besværet")


@only_freshdesk
def test_an_unreachable_service_says_so_and_offers_to_try_again(page, freshdesk):
    _, freshworks = freshdesk
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        freshworks.service = f"http://127.0.0.1:{probe.getsockname()[1]}"
    open_sidebar(page, freshworks)
    expect(page.locator("#status")).to_contain_text("clvdesk is unreachable")
    expect(page.get_by_role("button", name="Check again")).to_be_visible()
