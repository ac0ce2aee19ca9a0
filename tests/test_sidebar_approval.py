"""The approval flow in the sidebar, in headless Chromium with the sidebar tests' Zendesk (tests/test_sidebar.py):
an offer that needs approval is asked for in the reply, applying it is refused until a supervisor presses
Approve, and then the sidebar says who approved when and the reply to insert promises the offer."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from clvdesk.rules import load_rules
from tests.conftest import ADMIN_TOKEN
from tests.test_sidebar import ana, open_sidebar, package_files, ticket_from, zendesk  # noqa: F401 (fixtures)

ASKED = "I have asked for $248.00 to be refunded to your original payment method."
GIVEN = "I have refunded $248.00 to your original payment method."


def test_a_supervisor_approves_in_the_sidebar_and_the_approved_reply_is_the_one_inserted(
    page, zendesk, ana, standin, deliver, work, artifacts_dir
):
    zendesk.context["currentUser"].update(name="Sam Lead", role="admin")
    ticket_from(standin, deliver, work)
    open_sidebar(page, zendesk)

    expect(page.locator("#approval")).to_have_text("Needed before you offer it")
    expect(page.locator("#reply")).to_contain_text(ASKED)
    expect(page.locator("#reply-note")).to_have_text(
        "Until a supervisor approves the offer, this reply says only that you have asked for it.")
    page.get_by_label("Applied as suggested").check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#outcome-status")).to_contain_text(
        "Not recorded: this offer needs approval by a supervisor before it is given")
    page.screenshot(path=str(artifacts_dir / "sidebar-approval-needed.png"), full_page=True)

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#approval")).to_have_text(re.compile(r"^Approved by Sam Lead, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}"))
    expect(page.get_by_role("button", name="Approve")).to_be_hidden()
    expect(page.locator("#reply")).to_contain_text(GIVEN)
    expect(page.locator("#reply-note")).to_be_hidden()
    [call] = [options for options in zendesk.proxied if options["url"].endswith("/approval")]
    sent = json.loads(call["data"])
    assert (sent["agent_id"], sent["agent_name"], sent["agent_role"]) == (377, "Sam Lead", "admin")

    page.get_by_role("button", name="Insert reply").click()
    expect(page.locator("#reply-status")).to_have_text("Reply inserted into the editor.")
    [inserted] = [call["args"] for call in zendesk.invoked if call["name"] == "ticket.editor.insert"]
    assert GIVEN in inserted[0] and "asked for" not in inserted[0]
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#outcome-status")).to_have_text("Recorded: Applied as suggested.")
    page.screenshot(path=str(artifacts_dir / "sidebar-approved.png"), full_page=True)

    page.reload()  # the approval is the service's, not the page's
    expect(page.locator("#approval")).to_have_text(re.compile(r"^Approved by Sam Lead, "))
    expect(page.locator("#reply")).to_contain_text(GIVEN)


def test_an_agent_without_the_tiers_role_is_told_who_approves(page, zendesk, ana, standin, deliver, work, client):
    rules = load_rules().model_dump(mode="json")
    rules["tiers"][0]["approval_role"] = "Team lead"
    published = client.put("/api/v1/admin/rules", json={"author": "mia", "comment": "leads", "rules": rules},
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert published.status_code == 201
    zendesk.context["currentUser"]["role"] = "agent"
    ticket_from(standin, deliver, work)
    open_sidebar(page, zendesk)
    expect(page.locator("#approval")).to_have_text("Needed from a supervisor (Team lead) before you offer it")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#approval-status")).to_have_text(
        "Not approved: this offer needs approval by a supervisor with the role Team lead; your role is agent")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    expect(page.locator("#reply")).to_contain_text(ASKED)


def test_a_danish_agent_approves_in_danish(page, zendesk, ana, standin, deliver, work):
    zendesk.context["currentUser"].update(locale="da", name="Sofie")
    ticket_from(standin, deliver, work)
    open_sidebar(page, zendesk)
    expect(page.locator("#approval")).to_have_text("Kræves, før du tilbyder det")
    expect(page.locator("#reply-note")).to_have_text(
        "Indtil en supervisor godkender tilbuddet, siger svaret kun, at du har bedt om det.")
    page.get_by_role("button", name="Godkend").click()
    expect(page.locator("#approval")).to_have_text(re.compile(r"^Godkendt af Sofie, "))
