"""The Freshdesk sidebar app in a real headless Chromium, served from the zip `clvdesk app package
--helpdesk freshdesk` builds, with a stand-in of FDK's client in place of {{{appclient}}}; its request
templates go through a stand-in of Freshworks' template proxy (which fills in the iparams, the secure
token too) to the real Flask app on loopback."""

from __future__ import annotations

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

from clvdesk.helpdesk.freshdesk.app_package import APP_CLIENT, build_freshdesk_package
from tests.conftest import API_TOKEN

ROOT = Path(__file__).resolve().parent.parent
STANDIN_JS = Path(__file__).with_name("fdk_standin.js")
APP_ORIGIN = "https://clvdesk-app.freshdesk-apps.test"  # where the platform serves the app's files
CLVDESK_HOST = "clvdesk.example.com"  # the installation's clvdesk_host iparam
SIDEBAR_WIDTH = 300
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
            "requester": {"id": 43000123456, "email": "ana.larsen@example.com"},
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
        try:
            answer = requests.request(schema["method"], self.service + path, headers=headers,
                                      data=call.get("body"), timeout=5)
        except requests.ConnectionError:
            return route.fulfill(status=502, json={"error": "the app's server did not answer"})
        return route.fulfill(status=answer.status_code, body=answer.content,
                             content_type=answer.headers.get("Content-Type"))


@pytest.fixture(scope="module")
def package_files(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("fdk") / "clvdesk-freshdesk-app.zip"
    build_freshdesk_package(ROOT, out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def open_sidebar(page: Page, freshworks: Freshworks) -> list[str]:
    """Load the sidebar as Freshdesk would; returns what the browser sent, to search for the token."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url + json.dumps(request.headers) + (request.post_data or "")))
    page.set_viewport_size({"width": SIDEBAR_WIDTH, "height": 900})
    page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
    page.route(f"{APP_ORIGIN}/**", freshworks.handle)
    page.goto(f"{APP_ORIGIN}/app/index.html")
    return sent
