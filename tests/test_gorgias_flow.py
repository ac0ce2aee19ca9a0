"""Gorgias end to end: its HTTP integrations, run as Gorgias runs them, call the real web process over
HTTP; a real worker posts one internal note per customer message on the stand-in, adds the tags keeping
the ticket's others, ignores its own note when Gorgias announces it, and the sidebar integration then
fetches the suggestion the worker stored."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from clvdesk.helpdesk.gorgias.webhook import SECRET_HEADER
from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.standins.gorgias import GorgiasStandin, HttpIntegration
from plugin import create_app
from tests.conftest import common_settings, serve_only
from tests.helpdesk_cases import CASES
from tests.helpdesk_cases.gorgias import API_KEY, EMAIL, WEBHOOK_SECRET
from workers.worker import run_worker

TICKET, CUSTOMER = 8651, 387705374
ANGRY = 'The mug arrived in pieces — "fragile" sticker and all.\nI want a refund by tomorrow or I dispute the charge!'


@pytest.fixture
def gorgias():
    server = GorgiasStandin(email=EMAIL, api_key=API_KEY).start()
    server.add_customer(CUSTOMER, "jane.doe@example.com")
    server.add_ticket(TICKET, CUSTOMER, subject="Order #1002 arrived broken", tags=("vip",))
    yield server
    server.stop()
    assert server.violations == []


@pytest.fixture
def deployment(gorgias, redis, redis_url, tmp_path, monkeypatch):
    """clvdesk serving the stand-in's account over real HTTP, and a burst worker."""
    serve_only(monkeypatch, CASES["gorgias"].env(gorgias))
    settings = common_settings(redis_url, tmp_path)
    CustomerStore(redis).replace_all([CustomerValue(email="jane.doe@example.com", residual_clv=820, historical_spend=2300)])
    server = make_server("127.0.0.1", 0, create_app(settings, redis=redis), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", lambda: run_worker(settings, redis, burst=True)
    server.shutdown()
    thread.join()


def test_one_note_per_customer_message_however_gorgias_announces_it(gorgias, deployment):
    url, work = deployment
    created = HttpIntegration(gorgias, f"{url}/webhooks/gorgias", WEBHOOK_SECRET, event="ticket-created")
    wrote = HttpIntegration(gorgias, f"{url}/webhooks/gorgias", WEBHOOK_SECRET)
    gorgias.customer_writes(TICKET, ANGRY)
    assert created.fire(TICKET) == 202
    assert wrote.fire(TICKET) == 200 and wrote.answers[-1][1]["status"] == "duplicate"  # the same message
    assert created.fire(TICKET) == 200  # a retry after a timeout
    work()
    (note,) = gorgias.notes(TICKET)
    assert "Customer: jane.doe@example.com" in note["body_text"] and note["from_agent"] is True
    assert note["external_id"].startswith("clvdesk-ref:ticket:8651:message:")
    tags = gorgias.tags(TICKET)
    assert tags[0] == "vip" and "clvdesk" in tags  # added, the agent's kept

    # Gorgias announces clvdesk's own note as a new message: answered 200, nothing queued, no loop
    assert wrote.fire(TICKET) == 200 and wrote.answers[-1][1] == {"status": "ignored", "reason": "internal note"}
    gorgias.agent_writes(TICKET, "So sorry, a new mug is on its way.", channel="email")
    for _ in range(HttpIntegration.DISABLE_AFTER + 5):
        assert wrote.fire(TICKET) == 200  # an agent's replies: ignored, and never a failure to Gorgias
    assert not wrote.disabled
    work()
    assert len(gorgias.notes(TICKET)) == 1

    gorgias.customer_writes(TICKET, "Thanks, but I still want the refund.")
    assert wrote.fire(TICKET) == 202
    work()
    assert len(gorgias.notes(TICKET)) == 2


def test_a_wrong_secret_is_refused_and_counts_towards_gorgias_disabling_it(gorgias, deployment):
    url, work = deployment
    wrong = HttpIntegration(gorgias, f"{url}/webhooks/gorgias", "gorgias-secret-wrong-0123456789abcdefgh")
    gorgias.customer_writes(TICKET, ANGRY)
    assert wrong.fire(TICKET) == 401 and wrong.answers[-1][1]["error"] == "invalid_signature"
    assert wrong.failures_in_a_row == 1
    work()
    assert gorgias.notes(TICKET) == []


def test_the_sidebar_integration_fetches_what_the_worker_suggested(gorgias, deployment):
    import requests

    url, work = deployment
    wrote = HttpIntegration(gorgias, f"{url}/webhooks/gorgias", WEBHOOK_SECRET)
    fetch = lambda: requests.get(f"{url}/apps/gorgias/sidebar", params={"ticket_id": TICKET},
                                 headers={SECRET_HEADER: WEBHOOK_SECRET}, timeout=5)
    assert fetch().json()["clvdesk"]["status"] == "none"
    gorgias.customer_writes(TICKET, ANGRY)
    wrote.fire(TICKET)
    work()
    data = fetch().json()["clvdesk"]
    (note,) = gorgias.notes(TICKET)
    assert data["status"] == "ready" and data["ref"] == note["external_id"]
    assert data["headline"] in note["body_text"] and data["customer"] == "jane.doe@example.com"
