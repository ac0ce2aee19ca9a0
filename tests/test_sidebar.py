"""The sidebar app in a real headless Chromium, served from the zip `clvdesk app package` builds, at a
Zendesk app origin, with a ZAF stand-in in place of Zendesk's SDK; its requests go through a stand-in
of Zendesk's proxy (which fills in the secure settings) to the real Flask app on loopback."""

from __future__ import annotations

import functools
import json
import mimetypes
import re
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from clvdesk import i18n
from clvdesk.app_package import build_package
from clvdesk.clv.records import customer_records
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.rule_store import RuleStore
from clvdesk.rules import load_rules
from clvdesk.standins.zendesk import ticket_created_event
from tests.conftest import ADMIN_TOKEN, API_TOKEN
from tests.test_note_language import DANISH_TICKET, fitted_customers

ROOT = Path(__file__).resolve().parent.parent
# the shipped ZAF client (the sidebar preview's too) under the tests' own context and proxy
STANDIN_JS = (ROOT / "plugin/static/preview/zaf_client.js").read_text() + Path(__file__).with_name("zaf_standin.js").read_text()
ZAF_SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
APP_ORIGIN = "https://4711.apps.zdusercontent.com"  # where Zendesk serves an installed app's assets
ASSETS_PATH = "/4711/assets/"
SIDEBAR_URL = f"{APP_ORIGIN}{ASSETS_PATH}iframe.html?origin=https%3A%2F%2Facme.zendesk.com&app_guid=test-guid"
SERVICE_URL = "https://clv.shop.test"  # the installation's setting; the package is built for it (--url)
SIDEBAR_WIDTH = 320

ANA = "ana.larsen@example.com"
ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."
DANISH = "Min pakke er ikke kommet, og det er tredje gang jeg skriver. Jeg er virkelig utilfreds og vil opsige."


class Zendesk:
    """What the sidebar meets of Zendesk: the ticket context, the actions it invokes, and the proxy."""

    def __init__(self, files: dict[str, bytes], service: str, manifest: dict):
        self.files = files
        self.service = service  # where the proxy really sends requests for SERVICE_URL
        self.whitelist = set(manifest["domainWhitelist"])
        self.secure = {p["name"] for p in manifest["parameters"] if p.get("secure")}
        self.settings = {"service_url": SERVICE_URL, "api_token": API_TOKEN}
        self.context = {
            "ticket": {"id": 4242, "requester": {"email": ANA}},
            "currentUser": {"id": 377, "name": "Agent Smith", "locale": "en-US"},
        }
        self.invoked: list[dict] = []
        self.proxied: list[dict] = []

    def handle(self, route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path == "/__zaf/context":
            return route.fulfill(json=self.context)
        if path == "/__zaf/invoke":
            self.invoked.append(json.loads(request.post_data))
            return route.fulfill(json={})
        if path == "/__zaf/proxy":
            return self.proxy(route, json.loads(request.post_data))
        name = path.removeprefix("/4711/")
        if name in self.files:
            return route.fulfill(body=self.files[name], content_type=mimetypes.guess_type(name)[0])
        return route.fulfill(status=404, body="not in the app package")

    def fill(self, text: str, secure: bool) -> str:
        """Settings placeholders as Zendesk's proxy fills them: secure ones only for `secure: true` requests."""
        def value(match: re.Match) -> str:
            name = match.group(1)
            return self.settings[name] if secure or name not in self.secure else match.group(0)

        return re.sub(r"\{\{setting\.(\w+)\}\}", value, text)

    def proxy(self, route: Route, options: dict) -> None:
        self.proxied.append(options)
        secure = options.get("secure") is True
        url = self.fill(options["url"], secure)
        if secure and urlsplit(url).hostname not in self.whitelist:
            return route.fulfill(status=403, json={"error": f"{urlsplit(url).hostname} is not in the domainWhitelist"})
        headers = {name: self.fill(value, secure) for name, value in (options.get("headers") or {}).items()}
        if options.get("contentType"):
            headers["Content-Type"] = options["contentType"]
        forward(route, options.get("type", "GET"), self.service + url.removeprefix(SERVICE_URL), headers, options.get("data"))


def forward(route: Route, method: str, url: str, headers: dict[str, str], data: str | None) -> None:
    """What a helpdesk's proxy does with an app's request: send it to the app's server, answer its answer."""
    try:
        answer = requests.request(method, url, headers=headers, data=data, timeout=5)
    except requests.ConnectionError:
        return route.fulfill(status=502, json={"error": "the app's server did not answer"})
    return route.fulfill(status=answer.status_code, body=answer.content, content_type=answer.headers.get("Content-Type"))


def unzipped(build, out: Path) -> dict[str, bytes]:
    """The files of the package `build(ROOT, out)` writes, by name."""
    build(ROOT, out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def package_files(tmp_path_factory) -> dict[str, bytes]:
    return unzipped(functools.partial(build_package, service_url=SERVICE_URL), tmp_path_factory.mktemp("app") / "clvdesk-app.zip")


@pytest.fixture
def zendesk(package_files, live_app) -> Zendesk:
    return Zendesk(package_files, live_app, json.loads(package_files["manifest.json"]))


def open_sidebar(page: Page, zendesk: Zendesk) -> list[tuple[str, str]]:
    """Load the sidebar as Zendesk would; returns what the browser sent, to search for the token."""
    sent: list[tuple[str, str]] = []
    page.on("request", lambda request: sent.append((request.url, json.dumps(request.headers) + (request.post_data or ""))))
    page.set_viewport_size({"width": SIDEBAR_WIDTH, "height": 900})
    page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
    page.route(f"{APP_ORIGIN}/**", zendesk.handle)
    page.route(ZAF_SDK_URL, lambda route: route.fulfill(body=STANDIN_JS, content_type="text/javascript"))
    page.goto(SIDEBAR_URL)
    return sent


def ticket_from(standin, deliver, work, *, email=ANA, text=ANGRY, ticket_id=4242, user_id=901):
    standin.add_user(user_id, email)
    standin.add_ticket(ticket_id, requester_id=user_id)
    event = ticket_created_event(ticket_id=ticket_id, requester_id=user_id, subject="Order trouble", description=text)
    assert deliver(event).status_code == 202
    work()


@pytest.fixture
def ana(redis):
    CustomerStore(redis).replace_all([CustomerValue(
        email=ANA, customer_id="C-1001", residual_clv=1240, historical_spend=2310.5,
        total_clv=1933.15, p_alive=0.87, segment="champions",
    )])


def test_agent_sees_the_suggestion_inserts_the_reply_and_records_an_outcome(
    page, zendesk, ana, standin, deliver, work, client, artifacts_dir
):
    sent = open_sidebar(page, zendesk)
    expect(page.locator("#status")).to_have_text("clvdesk is still working on this ticket…")

    ticket_from(standin, deliver, work)
    page.evaluate("ZAFClient.standinTrigger('ticket.updated', {})")

    expect(page.locator("#tier")).to_have_text("Champions")
    expect(page.locator("#residual-clv")).to_have_text("$1,240.00")
    expect(page.locator("#total-clv")).to_have_text("$1,933.15")
    expect(page.locator("#historical-spend")).to_have_text("$2,310.50")
    expect(page.locator("#p-alive")).to_have_text("87%")
    expect(page.locator("#segment")).to_have_text("Champions")
    expect(page.locator("#sentiment")).to_have_text("Very negative")
    expect(page.locator("#signals")).to_contain_text("Churn intent “cancel my account”")
    expect(page.locator("#category")).to_contain_text("Damaged item")
    expect(page.locator("#language")).to_have_text("English")
    expect(page.locator("#instrument")).to_have_text("Partial refund")
    expect(page.locator("#amount")).to_have_text("$248.00")  # 20% of $1,240, all of it for a very negative ticket
    expect(page.locator("#approval")).to_have_text("Needed before you offer it")  # champions: above $150
    expect(page.locator("#reasons")).to_contain_text("20% of residual CLV")
    expect(page.locator("#status")).to_have_text("")
    resizes = [call["args"][0] for call in zendesk.invoked if call["name"] == "resize"]
    assert resizes and resizes[-1]["width"] == "100%" and int(resizes[-1]["height"].removesuffix("px")) > 400

    page.get_by_role("button", name="Insert reply").click()
    expect(page.locator("#reply-status")).to_have_text("Reply inserted into the editor.")
    [inserted] = [call["args"] for call in zendesk.invoked if call["name"] == "ticket.editor.insert"]
    assert inserted == [page.locator("#reply").text_content()]
    assert "asked for $248.00 to be refunded" in inserted[0]  # above $150: not promised before approval

    page.get_by_label("Changed the amount").check()
    page.get_by_label("Amount given (USD)").fill("120")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#outcome-status")).to_have_text("Recorded: Changed the amount: $120.00.")
    page.screenshot(path=str(artifacts_dir / "sidebar.png"), full_page=True)

    report = client.get("/api/v1/admin/report", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json
    [champions] = report["by_tier"]
    assert champions.items() >= {
        "tier": "champions", "currency": "USD", "suggestions": 1, "outcomes": 1, "applied": 0, "changed": 1,
        "declined": 0, "suggested_amount": 248.0, "suggested_amount_with_outcome": 248.0, "given_amount": 120.0,
        "pending_amount": 0.0, "counted_amount": 120.0,
    }.items()
    [outcome_call] = [options for options in zendesk.proxied if options["url"].endswith("/outcome")]
    assert json.loads(outcome_call["data"])["agent_id"] == 377  # ZAF's currentUser

    # The token was filled in by the proxy only: not in the page, its globals, or anything the browser sent.
    assert all(options["headers"]["Authorization"] == "Bearer {{setting.api_token}}" for options in zendesk.proxied)
    assert all(options["secure"] is True for options in zendesk.proxied)
    assert API_TOKEN not in page.content()
    assert API_TOKEN not in page.evaluate("""() => Object.getOwnPropertyNames(window).map((name) => {
        try { const value = window[name]; return typeof value === 'string' ? value : JSON.stringify(value) || ''; }
        catch (error) { return ''; }
    }).join('\\n')""")
    assert sent and not [url for url, body in sent if API_TOKEN in url + body]


def test_a_danish_agent_gets_danish_labels_and_the_reply_in_the_tickets_language(
    page, zendesk, ana, standin, deliver, work
):
    zendesk.context["currentUser"]["locale"] = "da"
    ticket_from(standin, deliver, work, text=DANISH)
    open_sidebar(page, zendesk)
    expect(page.locator("#customer-heading")).to_have_text("Kunde")
    expect(page.get_by_role("button", name="Indsæt svar")).to_be_visible()
    expect(page.locator("#language")).to_have_text("dansk")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("#reply")).to_have_attribute("lang", "da")
    expect(page.locator("#reply")).to_contain_text("Jeg beklager besværet")


def test_an_unknown_customer_is_said_to_be_handled_as_new(page, zendesk, redis, standin, deliver, work):
    zendesk.context["ticket"]["requester"]["email"] = "stranger@example.net"
    ticket_from(standin, deliver, work, email="stranger@example.net")
    open_sidebar(page, zendesk)
    expect(page.locator("#customer-note")).to_have_text("Not in the customer store: handled as a new customer.")
    expect(page.locator("#total-clv")).to_have_text("not fitted")


def test_a_declined_outcome_without_a_reason_shows_the_services_message(page, zendesk, ana, standin, deliver, work):
    ticket_from(standin, deliver, work)
    open_sidebar(page, zendesk)
    page.get_by_label("Declined").check()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page.locator("#outcome-status")).to_have_text("Not recorded: a declined outcome needs a reason")
    page.get_by_label("Why not").fill("Customer only wanted an answer")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#outcome-status")).to_have_text("Recorded: Declined: Customer only wanted an answer.")


def test_an_unreachable_service_says_so_and_offers_to_try_again(page, zendesk):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        zendesk.service = f"http://127.0.0.1:{probe.getsockname()[1]}"
    open_sidebar(page, zendesk)
    expect(page.locator("#status")).to_contain_text("clvdesk is unreachable")
    expect(page.get_by_role("button", name="Check again")).to_be_visible()


def english_prose() -> list[str]:
    """Every piece of English the sidebar, the reasons or the labels could show (the language file's
    texts between their fields) that Danish does not say the same way."""
    def texts(tree: dict) -> list[str]:
        return [t for key, value in tree.items() if key != "format"
                for t in (texts(value) if isinstance(value, dict) else [value] if isinstance(value, str) else [])]

    danish = " ".join(texts(i18n.strings("da")))
    pieces = {piece.strip(" :·()") for text in texts(i18n.strings("en")) for piece in re.split(r"\{[^}]*\}", text)}
    return sorted(piece for piece in pieces if len(piece) >= 4 and re.search(r"[a-z]", piece) and piece not in danish)


def test_a_danish_agents_sidebar_is_danish_throughout(page, zendesk, redis, standin, deliver, work, artifacts_dir):
    valuation, scores = fitted_customers()
    CustomerStore(redis).replace_records(customer_records(scores), valuation=valuation.to_json())
    RuleStore(redis).publish(load_rules().model_copy(update={"currency": "DKK"}), author="test", comment="kroner")
    zendesk.context["currentUser"]["locale"] = "da"
    zendesk.context["ticket"]["requester"]["email"] = "ana@example.com"
    ticket_from(standin, deliver, work, email="ana@example.com", text=DANISH_TICKET)
    open_sidebar(page, zendesk)

    expect(page.locator("#historical-spend")).to_have_text("38,20\u00a0kr.")  # Danish money
    expect(page.locator("#values-as-of")).to_have_text(re.compile(r"^\d{1,2}\. (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\.? \d{4}$"))
    expect(page.locator("#tier")).to_have_text("Ny eller lav værdi")
    expect(page.locator("#reasons")).to_contain_text("Budgettet er 5,00\u00a0kr. + 20\u00a0% af resterende CLV")
    expect(page.locator("#category")).to_contain_text("Forsinket levering “STADIG IKKE KOMMET”")  # as written
    expect(page.locator("#signals")).to_contain_text("Vil opsige “opsige mit abonnement”")
    expect(page.locator("#score")).to_have_text(re.compile(r"^\(score [+-]\d,\d\d\)$"))
    expect(page.locator("#reply")).to_contain_text("Jeg beklager besværet")
    page.get_by_label("Ændrede beløbet").check()  # the amount field's label, shown only now
    shown = page.locator("body").inner_text()
    assert "Givet beløb (DKK)" in shown
    left = [piece for piece in english_prose() if piece.lower() in shown.lower()]
    assert left == [], f"English in a Danish agent's sidebar: {left}"
    page.screenshot(path=str(artifacts_dir / "sidebar-da.png"), full_page=True)
