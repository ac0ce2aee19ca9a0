"""Gorgias's HTTP-integration calls: the secret header, and the README's body read into one event per
customer message, with everything clvdesk must not answer (agents, internal notes, its own note) ignored."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from clvdesk.defaults import GORGIAS_MAX_TEXT_CHARS
from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.gorgias.webhook import SECRET_HEADER, GorgiasWebhook, parse_gorgias_webhook
from clvdesk.helpdesk.interface import Delivery, Headers
from clvdesk.standins.gorgias import INTEGRATION_BODY, GorgiasStandin, integration_request, render_integration
from tests.gorgias_bodies import REPLY_TEXT, rendered

SECRET = "gorgias-secret-0123456789abcdefghijkl"
ACCOUNT = "acme.gorgias.com"
NEXT_SECRET = "gorgias-secret-rotated-0123456789abcdef"


def delivery(headers: dict[str, str]) -> Delivery:
    return Delivery(body=b"{}", headers=Headers(headers), query={}, request_id="req-1")


def test_a_customers_reply_becomes_one_event_with_its_text_whole():
    event = parse_gorgias_webhook(rendered(), account=ACCOUNT)
    assert isinstance(event, TicketEvent)
    assert (event.helpdesk, event.ticket_id, event.kind) == ("gorgias", "8651", "ticket.comment_added")
    assert event.event_id == "ticket:8651:message:208841467"
    assert event.text == REPLY_TEXT  # quotes, line breaks and non-ASCII arrive as the customer wrote them
    assert (event.requester_id, event.requester_email) == ("387705374", "jane.doe@example.com")
    assert event.subject == "Order #1002 arrived broken"
    assert event.occurred_at == datetime(2026, 12, 4, 3, 5, 40, 308988, tzinfo=timezone.utc)


def test_the_first_message_announced_by_both_integrations_is_one_event():
    created = parse_gorgias_webhook(rendered(event="ticket-created"), account=ACCOUNT)
    replied = parse_gorgias_webhook(rendered(), account=ACCOUNT)
    assert created.kind == "ticket.created"
    assert created.event_id == replied.event_id and created.key == replied.key
    assert parse_gorgias_webhook(rendered(message_id="208841468"), account=ACCOUNT).key != replied.key


@pytest.mark.parametrize(("fields", "reason"), [
    ({"message_channel": "internal-note", "message_from_agent": "True",
      "message_body_text": "clvdesk suggestion: Apology only\n\nRules v1 · clvdesk-ref:ticket:8651:message:1"},
     "internal note"),  # clvdesk's own note fires "Ticket message created" too
    ({"message_channel": "internal-note", "message_from_agent": "True", "message_body_text": "Call her back"},
     "internal note"),
    ({"message_from_agent": "True", "message_body_text": "We are sorry, a new mug is on its way."},
     "message written by an agent"),
    ({"message_body_text": "> clvdesk-ref:ticket:8651:message:1"}, "message written by clvdesk"),
    ({"message_id": "None", "message_channel": "None", "message_from_agent": "None", "message_body_text": "None",
      "message_created_datetime": "None"}, "the ticket has no message yet"),
])
def test_what_needs_no_suggestion_is_ignored_with_its_reason(fields, reason):
    assert parse_gorgias_webhook(rendered(**fields), account=ACCOUNT) == Ignored(reason)


@pytest.mark.parametrize("flag", ["False", "false", "0", " False ", False])
def test_a_customer_message_flag_reads_however_the_template_renders_it(flag):
    assert isinstance(parse_gorgias_webhook(rendered(message_from_agent=flag), account=ACCOUNT), TicketEvent)


@pytest.mark.parametrize("nothing", ["", "None", "null"])
def test_a_variable_without_a_value_is_absent(nothing):
    event = parse_gorgias_webhook(rendered(customer_email=nothing, customer_id=nothing, ticket_subject=nothing), account=ACCOUNT)
    assert (event.requester_email, event.requester_id, event.subject) == (None, None, "")


def test_without_a_message_id_the_messages_time_tells_redeliveries_apart():
    by_time = parse_gorgias_webhook(rendered(message_id="None"), account=ACCOUNT)
    assert by_time.event_id == "ticket:8651:message-at:2026-12-04T03:05:40.308988+00:00"
    assert parse_gorgias_webhook(rendered(message_id=""), account=ACCOUNT).key == by_time.key
    by_update = parse_gorgias_webhook(rendered(message_id="", message_created_datetime=""), account=ACCOUNT)
    assert by_update.event_id == "ticket:8651:updated:2026-12-04T03:05:41.118302+00:00"
    with pytest.raises(WebhookPayloadError, match="^message_id: missing, and neither"):
        parse_gorgias_webhook(rendered(message_id="", message_created_datetime="", ticket_updated_datetime="None"), account=ACCOUNT)


def test_a_long_email_is_read_from_its_start_not_refused():
    event = parse_gorgias_webhook(rendered(message_body_text="x" * (GORGIAS_MAX_TEXT_CHARS + 10)), account=ACCOUNT)
    assert len(event.text) == GORGIAS_MAX_TEXT_CHARS


@pytest.mark.parametrize(("body", "message"), [
    ([rendered()], "body: expected a JSON object, got list"),
    ({k: v for k, v in rendered().items() if k != "clvdesk_schema"}, "clvdesk_schema: missing: paste the body"),
    (rendered(clvdesk_schema="2"), "clvdesk_schema: '2', not '1': paste the body"),
    (rendered(event="ticket-updated"), "event: Input should be 'ticket-created' or 'ticket-message-created'"),
    (rendered(ticket_id="None"), "ticket_id: missing"),
    (rendered(ticket_id="0"), "ticket_id: must be a Gorgias id, a whole number from 1 to"),
    (rendered(ticket_id="8651/../../users"), "ticket_id: must be a Gorgias id"),
    (rendered(message_id="-4"), "message_id: must be a Gorgias id"),
    (rendered(customer_id=str(2**63)), "customer_id: must be a Gorgias id"),
    (rendered(message_from_agent="maybe"), "message_from_agent: must be True or False, got 'maybe'"),
    (rendered(message_from_agent="None"), "message_from_agent: missing: it says whether the customer wrote"),
    (rendered(message_created_datetime="yesterday"), "message_created_datetime: Input should be a valid datetime"),
    (rendered(ticket_subject="s" * 1025), "ticket_subject: longer than 1024 characters"),
])
def test_a_body_clvdesk_cannot_read_is_refused_naming_the_field(body, message):
    with pytest.raises(WebhookPayloadError) as raised:
        parse_gorgias_webhook(body, account=ACCOUNT)
    assert str(raised.value).startswith(message)


def test_ids_sent_as_numbers_are_read_too():
    event = parse_gorgias_webhook(rendered(ticket_id=8651, message_id=208841467, customer_id=387705374), account=ACCOUNT)
    assert (event.ticket_id, event.event_id, event.requester_id) == ("8651", "ticket:8651:message:208841467", "387705374")


def test_the_secret_header_is_checked_against_every_configured_secret():
    adapter = GorgiasWebhook("acme.gorgias.com", (SECRET, NEXT_SECRET))
    adapter.authenticate(delivery({SECRET_HEADER: SECRET}))
    adapter.authenticate(delivery({SECRET_HEADER.lower(): NEXT_SECRET}))  # while rotating; any case of the name
    assert adapter.replay_key(delivery({SECRET_HEADER: SECRET})) is None  # nothing signed: the message id dedupes
    assert (adapter.helpdesk, adapter.account) == ("gorgias", "acme.gorgias.com")


@pytest.mark.parametrize(("headers", "message"), [
    ({}, f"missing {SECRET_HEADER} header"),
    ({SECRET_HEADER: ""}, f"missing {SECRET_HEADER} header"),
    ({SECRET_HEADER: SECRET[:-1]}, f"{SECRET_HEADER} matches no configured secret"),
    ({SECRET_HEADER: SECRET + "x"}, f"{SECRET_HEADER} matches no configured secret"),
    ({"Authorization": f"Bearer {SECRET}"}, f"missing {SECRET_HEADER} header"),
])
def test_a_call_without_the_secret_is_refused_without_quoting_what_it_sent(headers, message):
    with pytest.raises(WebhookAuthError) as raised:
        GorgiasWebhook("acme.gorgias.com", (SECRET,)).authenticate(delivery(headers))
    assert str(raised.value) == message and SECRET[:8] not in str(raised.value)


def test_no_call_passes_when_no_secret_is_configured():
    with pytest.raises(WebhookAuthError, match="no webhook secret is configured"):
        GorgiasWebhook("acme.gorgias.com", ()).authenticate(delivery({SECRET_HEADER: ""}))


def test_the_readme_tells_admins_to_paste_the_body_the_parser_reads():
    """The body in "Connect a Gorgias account" is the stand-in's, which Gorgias's renderer fills and the
    parser reads (tests/test_gorgias_flow.py sends it through the web process)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Connect a Gorgias account", 1)[1].split("\n## ", 1)[0]
    pasted = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    assert pasted == {**INTEGRATION_BODY, "event": "ticket-created"}
    assert "/webhooks/gorgias" in section and SECRET_HEADER in section and "/apps/gorgias/sidebar" in section


def test_what_gorgias_renders_for_a_customers_message_and_for_clvdesks_note_reads_as_it_should():
    gorgias = GorgiasStandin()
    gorgias.add_customer(387705374, "jane.doe@example.com")
    gorgias.add_ticket(8651, 387705374, subject='Mug "Lisbon" broken')
    written = gorgias.customer_writes(8651, REPLY_TEXT)
    body = json.loads(integration_request(SECRET, render_integration(gorgias, 8651, event="ticket-created"))[0])
    assert body["message_from_agent"] == "False" and body["ticket_id"] == "8651"  # as Gorgias's templates print them
    event = parse_gorgias_webhook(body, account=ACCOUNT)
    assert event.event_id == f"ticket:8651:message:{written['id']}" and event.text == REPLY_TEXT
    assert event.subject == 'Mug "Lisbon" broken' and event.kind == "ticket.created"
    gorgias.agent_writes(8651, "We are on it.", channel="email")
    assert parse_gorgias_webhook(render_integration(gorgias, 8651), account=ACCOUNT) == Ignored("message written by an agent")
    gorgias.agent_writes(8651, "clvdesk suggestion: Apology only\n\nRules v1 · clvdesk-ref:x")  # clvdesk's note
    assert parse_gorgias_webhook(render_integration(gorgias, 8651), account=ACCOUNT) == Ignored("internal note")
