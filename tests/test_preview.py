"""The sidebar preview (/admin/preview/...): the real sidebar app's page with the shipped ZAF stand-in,
for signed-in admins only, answering the app from the API's own view and recording nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.zendesk import ticket_created_event
from tests.conftest import API_TOKEN
from tests.test_admin_page import sign_in

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PAGE = "/admin/preview/zendesk/4242"
SUGGESTION = "/admin/preview/api/v1/zendesk/tickets/4242/suggestion"


@pytest.fixture
def ticket(redis, standin, deliver, work):
    CustomerStore(redis).replace_all([CustomerValue(email="ana@example.com", residual_clv=1240, historical_spend=2310.5,
                                                    total_clv=1933.15, p_alive=0.87, segment="champions")])
    standin.add_user(901, "ana@example.com")
    standin.add_ticket(4242, requester_id=901)
    event = ticket_created_event(ticket_id=4242, requester_id=901, subject="Broken", description="It arrived broken!")
    assert deliver(event).status_code == 202
    work()


def test_the_preview_is_for_signed_in_admins_only(client, ticket):
    page = client.get(PAGE)
    assert page.status_code == 302 and page.headers["Location"].endswith("/admin/login")
    answer = client.get(SUGGESTION)
    assert answer.status_code == 401 and answer.json["error"] == "unauthorized"
    assert client.get(SUGGESTION, headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 401  # the session, not the token


def test_the_page_is_the_apps_own_with_the_zaf_stand_in_and_no_token(client, ticket):
    sign_in(client)
    page = client.get(f"{PAGE}?locale=da")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<base href="/admin/preview/assets/">' in html
    assert ('<script src="/admin/preview/client/zaf_client.js"></script>\n  '
            '<script src="/admin/preview/client/zaf_preview.js"></script>') in html and "zdassets" not in html
    assert '&quot;ticket_id&quot;: &quot;4242&quot;' in html and '&quot;locale&quot;: &quot;da&quot;' in html
    assert '<script src="main.js"></script>' in html  # the app's own page, its own script
    assert API_TOKEN not in html
    with client.get("/admin/preview/assets/main.js") as script:  # a file answer: closed when read
        assert script.data == (ASSETS / "main.js").read_bytes()
    with client.get("/admin/preview/client/zaf_preview.js") as script:
        assert script.status_code == 200 and "window.ZAFClient = {" in script.get_data(as_text=True)

    suggestion = client.get(SUGGESTION).json
    assert suggestion["ticket_id"] == "4242" and suggestion["customer"]["segment"] == "champions"
    assert suggestion["reply"]["text"]
    refused = client.post("/admin/preview/api/v1/zendesk/tickets/4242/outcome", json={"outcome": "applied"})
    assert refused.status_code == 403 and refused.json["error"] == "preview_read_only"


@pytest.mark.parametrize("path, status, text", [
    ("/admin/preview/gorgias/4242", 404, "No sidebar preview for this helpdesk"),
    ("/admin/preview/zendesk/not-a-number", 400, "Not a ticket id"),
    ("/admin/preview/zendesk/4242?locale=%3Cscript%3E", 200, "&quot;locale&quot;: &quot;en-US&quot;"),
])
def test_bad_requests_get_a_clear_page(client, ticket, path, status, text):
    sign_in(client)
    answer = client.get(path)
    assert answer.status_code == status and text in answer.get_data(as_text=True)


def test_the_admin_page_links_to_a_ticket_chooser(client):
    sign_in(client)
    assert 'href="/admin/preview/"' in client.get("/admin").get_data(as_text=True)
    chooser = client.get("/admin/preview/")
    assert chooser.status_code == 200 and "Ticket id" in chooser.get_data(as_text=True)
    chosen = client.get("/admin/preview/?helpdesk=zendesk&ticket_id=4242&locale=da")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/admin/preview/zendesk/4242?locale=da")
