"""The sidebars clvdesk renders itself (Gorgias's widget data, Help Scout's HTML) after an approval made
through the API: they show who approved when, and the reply that promises the offer."""

from __future__ import annotations

from datetime import datetime, timezone

from clvdesk.approvals import ApprovalBody
from clvdesk.helpdesk.helpscout.sidebar import render_sidebar
from clvdesk.helpdesk.helpscout.webhook import plain_text
from tests.gorgias_bodies import real_suggestion
from tests.test_gorgias_sidebar import AUTH, sidebar, store, stored  # noqa: F401 (fixtures)

AT = datetime(2026, 12, 4, 20, 15, tzinfo=timezone.utc)
ASKED = "I have asked for $164.00 to be refunded"  # 20% of Jane's $820 residual CLV, above the $150 threshold
GIVEN = "I have refunded $164.00"


def test_gorgias_widget_shows_the_approval_and_the_approved_reply(client, store, sidebar):
    suggestion = stored(store)
    assert suggestion.offer.needs_approval
    before = client.get("/apps/gorgias/sidebar?ticket_id=8651", headers=AUTH).get_json()["clvdesk"]
    assert ASKED in before["reply"] and before["approved"] == ""
    store.log.approve(suggestion, ApprovalBody(agent_id=55, agent_name="Sam Lead"), now=AT)
    after = client.get("/apps/gorgias/sidebar?ticket_id=8651", headers=AUTH).get_json()["clvdesk"]
    assert GIVEN in after["reply"] and after["approved"] == "Approved by Sam Lead, 2026-12-04 20:15 UTC"


def test_help_scout_sidebar_shows_the_approval_and_the_approved_reply(store):
    suggestion = real_suggestion()
    before = plain_text(render_sidebar(suggestion))
    assert ASKED in before and "Needed before you offer it" in before
    approval, _ = store.log.approve(suggestion, ApprovalBody(agent_id=55), now=AT)
    after = plain_text(render_sidebar(suggestion, approval))
    assert GIVEN in after and "Approved by 55, 2026-12-04 20:15 UTC" in after and ASKED not in after
