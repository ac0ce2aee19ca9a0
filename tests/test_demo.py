"""`clvdesk demo` left running, as someone exploring clvdesk uses it: the URLs and secrets it prints work
as printed (parsed from its output), `clvdesk demo send` turns text of one's own into a note on a new
ticket, the customers come from a CLV fit, and the sidebar preview renders the real sidebar app in
headless Chromium. Real processes, HTTP on loopback, the demo's own embedded Redis."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass

import psutil
import pytest
import requests
from playwright.sync_api import expect

from clvdesk.standins.zendesk import signed_request, trigger_body

CLVDESK = [sys.executable, "-m", "clvdesk"]
DANISH = "Min pakke er ikke kommet, og det er tredje gang jeg skriver. Jeg er virkelig utilfreds og vil opsige."
ENGLISH = "My parcel never came and nobody answers! I want my money back."


@dataclass
class Printed:
    """What the running demo printed before "Press Ctrl-C"."""

    output: str
    admin_url: str
    admin_token: str
    preview_url: str
    webhook_url: str
    webhook_secret: str
    env: dict[str, str]


def _clean_env(tmp_path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLVDESK_")}
    return {**env, "TMPDIR": str(tmp_path)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    env = _clean_env(tmp_path)
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen([*CLVDESK, "demo", "--helpdesk", "zendesk"], env=env, stdout=subprocess.PIPE,
                                   stderr=stderr, text=True, start_new_session=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        else:
            pytest.fail(f"the demo ended before it was ready (exit {process.wait(timeout=10)}): "
                        f"{''.join(lines)}{errors.read_text()}")
        output = "".join(lines)
        admin = re.search(r"admin page: +(http://\S+) +\(sign in with the admin token (\S+)\)", output)
        preview = re.search(r"sidebar preview: +(http://\S+)", output)
        webhook = re.search(r"zendesk webhook: +(http://\S+) +\(secret (\S+)\)", output)
        assert admin and preview and webhook, output
        yield Printed(output, admin[1], admin[2], preview[1], webhook[1], webhook[2], env)
    finally:
        process.stdout.close()
        if process.poll() is None:
            children = psutil.Process(process.pid).children(recursive=True)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            _, alive = psutil.wait_procs(children, timeout=15)
            assert not alive


def signed_in(demo: Printed) -> requests.Session:
    """A browser-like session signed in on the printed admin URL with the printed token."""
    session = requests.Session()
    form = session.get(demo.admin_url, timeout=5)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    answer = session.post(demo.admin_url, data={"csrf_token": csrf, "token": demo.admin_token}, timeout=5)
    assert answer.status_code == 200 and "Tier rules" in answer.text
    return session


def send(demo: Printed, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLVDESK, "demo", "send", *args], env=demo.env, capture_output=True, text=True, timeout=120)


def test_the_sample_customers_are_fitted_not_imported(demo):
    assert "603 sample customers fitted on the sample orders" in demo.output
    ana = demo.output.split("--- zendesk note posted on ticket 101 ---")[1]
    assert re.search(r"CLV fit: total CLV \$[\d,]+\.\d\d · P\(alive\) \d+% · segment Champions", ana)
    assert "Partial refund" in ana
    assert "not fitted" not in demo.output


def test_the_admin_url_and_token_sign_in(demo):
    assert requests.post(demo.admin_url, data={"token": demo.admin_token}, timeout=5).status_code == 400  # no CSRF token
    session = signed_in(demo)
    assert "Sidebar preview" in session.get(demo.admin_url.removesuffix("/login"), timeout=5).text


def test_the_webhook_url_and_secret_are_zendesk_s(demo):
    body = trigger_body(ticket_id=4711, subject="", latest_comment="Where is my order?", requester_email="ben.okafor@example.com")
    payload, headers = signed_request(demo.webhook_secret, body)
    assert requests.post(demo.webhook_url, data=payload, headers=headers, timeout=5).status_code == 202
    payload, headers = signed_request("not-the-secret", body)
    assert requests.post(demo.webhook_url, data=payload, headers=headers, timeout=5).status_code == 401


def test_demo_send_gets_a_note_for_a_new_ticket_in_danish(demo):
    result = send(demo, DANISH, "--language", "da", "--customer", "carla.mendes@example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    [ticket] = re.findall(r"--- note posted on ticket (\d+) ---", result.stdout)
    assert int(ticket) >= 1001
    note = result.stdout.split("---")[-1]
    assert "Customer: carla.mendes@example.com · tier Champions" in note
    assert "· in Danish" in note and "tredje gang jeg skriver" in note
    assert "CLV fit: total CLV" in note
    preview = re.search(r"sidebar preview: (\S+)", result.stdout)[1]
    assert preview.endswith(f"/admin/preview/zendesk/{ticket}?locale=da")
    suggestion = signed_in(demo).get(preview.replace(f"/zendesk/{ticket}?locale=da", f"/api/v1/zendesk/tickets/{ticket}/suggestion"),
                                     timeout=5).json()
    assert suggestion["sentiment"]["language"] == "da" and suggestion["reply"]["language"] == "da"
    assert suggestion["customer"]["segment"] == "champions" and suggestion["customer"]["total_clv"] > 0

    again = send(demo, ENGLISH)  # the next ticket gets the next id; ana by default
    assert again.returncode == 0, again.stderr
    assert f"--- note posted on ticket {int(ticket) + 1} ---" in again.stdout
    assert "Customer: ana.larsen@example.com · tier Champions" in again.stdout


def test_demo_send_without_a_running_demo_says_how_to_start_one(tmp_path):
    result = subprocess.run([*CLVDESK, "demo", "send", "Hello"], env=_clean_env(tmp_path), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("clvdesk: no running demo with a Zendesk stand-in was found; start one with")


def test_the_preview_url_renders_the_real_sidebar_after_signing_in(demo, browser, artifacts_dir):
    context = browser.new_context(viewport={"width": 360, "height": 1000}, locale="da-DK")
    page = context.new_page()
    sent = []
    page.on("request", lambda request: sent.append(request.url + json.dumps(request.headers) + (request.post_data or "")))
    try:
        page.goto(demo.preview_url)  # not signed in: the sign-in page first
        page.get_by_label("Admin token").fill(demo.admin_token)
        page.get_by_role("button", name="Sign in").click()
        page.goto(demo.preview_url)
        expect(page.locator("#customer-heading")).to_have_text("Kunde")  # the browser's locale: Danish
        expect(page.locator("#tier")).to_have_text("Mestre")  # the shipped tier "Champions", in the agent's language
        expect(page.locator("#segment")).to_have_text("Mestre")  # the CLV fit's segment Champions
        expect(page.locator("#instrument")).to_have_text("Delvis refusion")
        expect(page.locator("#p-alive")).to_have_text(re.compile(r"^\d+\s%$"))
        expect(page.locator("#total-clv")).not_to_have_text("ikke beregnet")
        page.screenshot(path=str(artifacts_dir / "demo-preview.png"), full_page=True)

        page.get_by_label("Afvist").check()
        page.get_by_label("Hvorfor ikke").fill("preview")
        page.get_by_role("button", name="Registrér udfald").click()
        expect(page.locator("#outcome-status")).to_contain_text("the preview records nothing")
        assert demo.admin_token not in page.content() and demo.webhook_secret not in page.content()
        assert sent and not [line for line in sent if "bearer" in line.lower() or "{{setting." in line]

        page.goto(demo.admin_url)  # the admin page's way in: any ticket, any language
        page.get_by_role("link", name="Sidebar preview").click()
        page.get_by_label("Ticket id").fill("102")
        page.get_by_label("Agent's language (optional)").fill("en")
        page.get_by_role("button", name="Show the sidebar").click()
        expect(page.locator("#customer-heading")).to_have_text("Customer")
        expect(page.locator("#requester")).to_have_text("ben.okafor@example.com")
        expect(page.locator("#segment")).to_have_text("Hibernating")
    finally:
        context.close()
