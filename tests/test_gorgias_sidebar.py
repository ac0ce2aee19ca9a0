"""Gorgias's sidebar: the suggestion a ticket's customer sees in the widget, served to the sidebar HTTP
integration behind its secret, flat and display-ready, and 200 for every valid call."""

from __future__ import annotations

import json

import pytest

from clvdesk.helpdesk.gorgias.sidebar import NO_SUGGESTION, GorgiasSidebar
from clvdesk.helpdesk.gorgias.webhook import SECRET_HEADER
from clvdesk.note import note_reference
from clvdesk.replies import suggested_reply
from clvdesk.suggestions import Suggestion, SuggestionStore
from tests.gorgias_bodies import ACCOUNT, real_suggestion

SECRET = "gorgias-secret-0123456789abcdefghijkl"
AUTH = {SECRET_HEADER: SECRET}


@pytest.fixture
def store(redis):
    return SuggestionStore(redis)


@pytest.fixture
def sidebar(app, store):
    app.extensions["clvdesk"].apps["gorgias"] = GorgiasSidebar(ACCOUNT, (SECRET,), store)


def stored(store, ticket_id="8651") -> Suggestion:
    suggestion = real_suggestion(ticket_id)
    store.save(suggestion)
    return suggestion


def test_the_widget_gets_the_tickets_latest_suggestion_as_display_ready_strings(client, store, sidebar):
    suggestion = stored(store)
    response = client.get("/apps/gorgias/sidebar?ticket_id=8651&customer_id=387705374", headers=AUTH)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()["clvdesk"]
    assert all(isinstance(value, str) for value in data.values())  # text widgets show every field as it is
    offer = suggestion.offer
    assert data["status"] == "ready" and data["ticket_id"] == "8651"
    assert data["tier"] == suggestion.customer.tier_label and data["customer"] == "jane.doe@example.com"
    assert data["offer"] == offer.instrument_label
    assert data["headline"].startswith(offer.instrument_label if offer.amount else "Apology only")
    assert data["clv"] == "$820.00" and data["spent"] == "$2,300.00"
    assert data["needs_approval"] == ("yes" if offer.needs_approval else "no")
    assert data["why"] == "; ".join(reason.text for reason in suggestion.reasons) and data["why"]
    assert data["reply"] == suggested_reply(offer, "en").text
    assert data["updated"] == "2026-12-04T03:10:12Z" and data["ref"] == note_reference(suggestion.event_id)


def test_a_newer_suggestion_replaces_the_one_shown(client, store, sidebar):
    stored(store)
    newer = stored(store).model_copy(update={"event_id": "ticket:8651:message:208841999"})
    store.save(newer)
    data = client.get("/apps/gorgias/sidebar?ticket_id=8651", headers=AUTH).get_json()["clvdesk"]
    assert data["ref"] == note_reference("ticket:8651:message:208841999")


def test_a_ticket_without_a_suggestion_is_answered_200_so_gorgias_keeps_the_integration(client, store, sidebar):
    stored(store, ticket_id="8651")
    response = client.get("/apps/gorgias/sidebar?ticket_id=8652", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == {"clvdesk": {"status": "none", "ticket_id": "8652", "headline": NO_SUGGESTION}}


def test_another_accounts_ticket_of_the_same_number_is_not_shown(client, store, sidebar):
    store.save(stored(store).model_copy(update={"helpdesk": "zendesk", "ticket_id": "77"}))
    store.save(stored(store).model_copy(update={"account": "other.gorgias.com", "ticket_id": "78"}))
    for ticket_id in ("77", "78"):  # another helpdesk's, another Gorgias account's
        assert client.get(f"/apps/gorgias/sidebar?ticket_id={ticket_id}", headers=AUTH).get_json()["clvdesk"]["status"] == "none"


@pytest.mark.parametrize(("path", "headers", "status", "code"), [
    ("/apps/gorgias/sidebar?ticket_id=8651", {}, 401, "unauthorized"),
    ("/apps/gorgias/sidebar?ticket_id=8651", {SECRET_HEADER: "gorgias-secret-wrong-0123456789abcdefgh"}, 401, "unauthorized"),
    ("/apps/gorgias/sidebar", AUTH, 400, "invalid_ticket_id"),
    ("/apps/gorgias/sidebar?ticket_id=None", AUTH, 400, "invalid_ticket_id"),  # a template without {{ticket.id}}
    ("/apps/gorgias/sidebar?ticket_id=0", AUTH, 400, "invalid_ticket_id"),
    ("/apps/gorgias/widget?ticket_id=8651", AUTH, 404, "not_found"),
])
def test_a_bad_call_gets_a_clear_error(client, store, sidebar, path, headers, status, code):
    stored(store)
    response = client.get(path, headers=headers)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"] and "clvdesk" not in body
    assert SECRET not in json.dumps(body)


def test_only_get_is_served(client, store, sidebar):
    response = client.post("/apps/gorgias/sidebar?ticket_id=8651", headers=AUTH)
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
