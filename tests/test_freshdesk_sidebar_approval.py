"""The approval flow in the Freshdesk sidebar (tests/test_freshdesk_sidebar.py's Freshworks stand-in and
the packaged app): Approve goes through its own request template, and FDK, which gives no role name,
records who approved."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.test_freshdesk_sidebar import freshdesk, only_freshdesk, open_sidebar, package_files  # noqa: F401 (fixtures)
from tests.test_sidebar import ANGRY


@only_freshdesk
def test_an_agent_approves_through_the_approval_template_and_the_approved_reply_follows(page, freshdesk, artifacts_dir):
    case, freshworks = freshdesk
    assert case.deliver(4711, ANGRY).status_code == 202
    case.work()
    open_sidebar(page, freshworks)
    expect(page.locator("#reply")).to_contain_text("I have asked for $248.00 to be refunded")

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#approval")).to_have_text(re.compile(r"^Approved by Agent Smith, "))
    expect(page.locator("#reply")).to_contain_text("I have refunded $248.00")
    [approval] = [call for call in freshworks.proxied if call["name"] == "postApproval"]
    assert approval["context"] == {"ticket_id": "4711"}
    sent = json.loads(approval["body"])
    assert (sent["agent_id"], sent["agent_name"]) == (377, "Agent Smith")
    assert "agent_role" not in sent  # FDK gives role ids, not names: who approved is recorded, unchecked
    page.screenshot(path=str(artifacts_dir / "freshdesk-sidebar-approved.png"), full_page=True)
