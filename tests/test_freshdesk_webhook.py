"""Freshdesk's automation-rule webhooks: the secret (custom header or Basic auth) checked, the README's body
parsed into the common event with an id derived from what it says, clvdesk's own notes ignored."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.freshdesk.settings import FreshdeskSettings
from clvdesk.helpdesk.freshdesk.webhook import SECRET_HEADER, FreshdeskWebhook, parse_freshdesk_webhook
from clvdesk.helpdesk.interface import Delivery, Headers
from clvdesk.settings import SettingsError, load_settings
from clvdesk.standins.freshdesk import html_paragraphs, rule_body, webhook_request

SECRET = "fd-webhook-secret-0123456789abcdefghijkl"
OLD_SECRET = "fd-webhook-secret-previous-0123456789abcd"
ACCOUNT = "acme.freshdesk.com"


def adapter(*secrets: str) -> FreshdeskWebhook:
    return FreshdeskWebhook(FreshdeskSettings(url="acme", webhook_secret=",".join(secrets or (SECRET,))))


def delivery(payload: bytes, headers: dict[str, str]) -> Delivery:
    return Delivery(body=payload, headers=Headers(headers), query={}, request_id="test")


def created(**values) -> dict:
    values = {"ticket_id": "4711", "subject": "Order 99812 arrived broken", "requester_email": "ana@example.com",
              "requester_id": "43000123456", "updated_at": "2026-12-04T09:15:02Z",
              "text": html_paragraphs("Hello, the mug arrived in pieces. I want a refund."), **values}
    return rule_body("ticket_created", **values)


@pytest.mark.parametrize("auth", ["header", "basic"])
def test_the_secret_is_accepted_in_the_header_or_as_basic_auth(auth):
    adapter().authenticate(delivery(*webhook_request(SECRET, created(), auth=auth)))


def test_a_previous_secret_still_works_while_rotating():
    adapter(SECRET, OLD_SECRET).authenticate(delivery(*webhook_request(OLD_SECRET, created())))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("headers, message", [
    ({}, f"missing {SECRET_HEADER} header and Basic credentials"),
    ({SECRET_HEADER: SECRET[:-1]}, "matches no configured secret"),
    ({SECRET_HEADER: SECRET + "x"}, "matches no configured secret"),
    ({"Authorization": basic("someone", SECRET)}, "missing"),  # the user name is clvdesk's
    ({"Authorization": basic("clvdesk", "guess")}, "matches no configured secret"),
    ({"Authorization": "Basic not base64!"}, "missing"),
    ({"Authorization": f"Bearer {SECRET}"}, "missing"),
    ({"x-clvdesk-webhook-secret": "wrong", "Authorization": basic("clvdesk", "wrong")}, "matches no configured secret"),
])
def test_a_missing_or_wrong_secret_is_refused(headers, message):
    with pytest.raises(WebhookAuthError, match=message):
        adapter().authenticate(delivery(b"{}", headers))


def test_header_names_are_matched_in_any_case():
    adapter().authenticate(delivery(b"{}", {SECRET_HEADER.lower(): SECRET}))


def test_no_configured_secret_refuses_everything():
    with pytest.raises(WebhookAuthError, match="no Freshdesk webhook secret"):
        FreshdeskWebhook(FreshdeskSettings(url="acme")).authenticate(delivery(b"{}", {SECRET_HEADER: SECRET}))


def test_a_created_ticket_becomes_an_event_with_its_text_out_of_the_html():
    event = parse_freshdesk_webhook(created(text="<div>Hello &amp; <b>thanks</b></div><p>2nd &lt;line&gt;</p>"), ACCOUNT)
    assert isinstance(event, TicketEvent)
    assert (event.helpdesk, event.kind, event.ticket_id) == ("freshdesk", "ticket.created", "4711")
    assert event.text == "Hello & thanks\n2nd <line>"
    assert (event.requester_email, event.requester_id) == ("ana@example.com", "43000123456")
    assert event.occurred_at.isoformat() == "2026-12-04T09:15:02+00:00"
    assert event.event_id.startswith("fd-4711-")


def test_a_reply_is_read_without_the_quoted_thread():
    quoted = ("<div>Still waiting, this is the third time I write.</div><blockquote><div>----- Original message -----"
              "</div><div>We are looking into it.</div></blockquote>")
    event = parse_freshdesk_webhook(rule_body("customer_replied", ticket_id="4711", text=quoted), ACCOUNT)
    assert event.kind == "ticket.comment_added" and event.text == "Still waiting, this is the third time I write."
    plain = "Still not here.\n----- Original message -----\nWe shipped it."
    assert parse_freshdesk_webhook(rule_body("customer_replied", ticket_id="1", text=html_paragraphs(plain)),
                                   ACCOUNT).text == "Still not here."


def test_placeholders_freshdesk_left_unrendered_or_empty_are_no_value():
    event = parse_freshdesk_webhook(rule_body("ticket_created", ticket_id="4712", text="<p>Where is my parcel?</p>"), ACCOUNT)
    assert event.requester_email is None and event.requester_id is None and event.subject == ""
    assert event.occurred_at is None
    assert parse_freshdesk_webhook(created(requester_id="", updated_at=""), ACCOUNT).requester_id is None


def test_a_ticket_id_outside_quotes_renders_as_a_number_and_is_accepted():
    assert parse_freshdesk_webhook(created(ticket_id=4711), ACCOUNT).ticket_id == "4711"


def test_every_retry_has_the_same_id_and_the_next_message_another():
    first = parse_freshdesk_webhook(created(), ACCOUNT)
    assert parse_freshdesk_webhook(created(), ACCOUNT).event_id == first.event_id
    assert parse_freshdesk_webhook(created(text="<div>Hello,  the mug arrived in pieces. I want a refund.</div>"),
                                   ACCOUNT).event_id == first.event_id  # the same words, spaced otherwise
    others = [created(updated_at="2026-12-04T09:20:00Z"), created(ticket_id="4712"), created(text="<p>Another</p>"),
              rule_body("customer_replied", **{k: v for k, v in created().items() if k != "clvdesk_event"})]
    assert len({parse_freshdesk_webhook(body, ACCOUNT).event_id for body in others} | {first.event_id}) == 5


def test_clvdesks_own_note_and_an_empty_reply_are_ignored():
    own = parse_freshdesk_webhook(created(text="<p>clvdesk suggestion</p><p>clvdesk-ref: fd-1-abc</p>"), ACCOUNT)
    assert own == Ignored("comment written by clvdesk")
    empty = parse_freshdesk_webhook(rule_body("customer_replied", ticket_id="4711", text="<blockquote>old</blockquote>"), ACCOUNT)
    assert empty == Ignored("reply without text")


@pytest.mark.parametrize("body, message", [
    ([], "body: expected a JSON object, got list"),
    ({"ticket_id": "1"}, "clvdesk_event: Field required"),
    ({**created(), "clvdesk_event": "agent_replied"}, "clvdesk_event: Input should be 'ticket_created' or 'customer_replied'"),
    ({**created(), "ticket_id": "{{ticket.id}}"}, "ticket_id: must be a Freshdesk id"),
    ({**created(), "ticket_id": "0"}, "ticket_id: must be a Freshdesk id"),
    ({**created(), "ticket_id": "../contacts/1"}, "ticket_id: must be a Freshdesk id"),
    ({**created(), "requester_id": "-5"}, "requester_id: must be a Freshdesk id"),
    ({**created(), "text": ["<p>hi</p>"]}, "text: Input should be a valid string"),
    ({**created(), "subject": "x" * 1025}, "subject: must be at most 1024 characters, got 1025"),
])
def test_a_body_that_is_not_the_readmes_names_the_field(body, message):
    with pytest.raises(WebhookPayloadError, match=message):
        parse_freshdesk_webhook(body, ACCOUNT)


@pytest.mark.parametrize("value, url", [
    ("acme", "https://acme.freshdesk.com"),
    ("acme.freshdesk.com", "https://acme.freshdesk.com"),
    ("https://ACME.freshdesk.com/", "https://acme.freshdesk.com"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
])
def test_the_account_url_is_its_freshdesk_com_host(value, url):
    settings = FreshdeskSettings(url=value)
    assert settings.url == url and settings.account == url.split("://")[1]


@pytest.mark.parametrize("variable, value, message", [
    ("CLVDESK_FRESHDESK_URL", "https://support.acme.com", "CLVDESK_FRESHDESK_URL: must be the account's https://<name>.freshdesk.com"),
    ("CLVDESK_FRESHDESK_URL", "http://acme.freshdesk.com", "CLVDESK_FRESHDESK_URL: must be the account's"),
    ("CLVDESK_FRESHDESK_URL", "https://acme.freshdesk.com/api/v2", "CLVDESK_FRESHDESK_URL: must be the account's base URL"),
    ("CLVDESK_FRESHDESK_WEBHOOK_SECRET", "short", "CLVDESK_FRESHDESK_WEBHOOK_SECRET: each secret must be at least 32"),
    ("CLVDESK_FRESHDESK_WEBHOOK_SECRET", "a" * 40 + ":b", "cannot contain ':'"),
    ("CLVDESK_FRESHDESK_REQUESTS_PER_MINUTE", "0", "CLVDESK_FRESHDESK_REQUESTS_PER_MINUTE: input should be greater than 0"),
])
def test_a_bad_setting_names_its_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        load_settings(FreshdeskSettings)
    assert value not in str(raised.value) or "SECRET" not in variable


def test_the_api_key_and_secrets_never_show_in_the_settings_repr():
    settings = FreshdeskSettings(url="acme", api_key="fd-key-abcdef123456", webhook_secret=SECRET)
    assert "fd-key-abcdef123456" not in repr(settings) and SECRET not in repr(settings)
    settings.require_posting()
    settings.require_receiving()


def test_the_readme_gives_the_body_the_stand_in_sends():
    """What an admin pastes is what the tests deliver: rule A's body verbatim, rule B's with its two values."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Connect a Freshdesk account"):readme.index("### Freshdesk sidebar app")]
    [block] = re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)
    assert json.loads(block) == rule_body("ticket_created")
    changed = {key: value for key, value in rule_body("customer_replied").items() if rule_body("ticket_created")[key] != value}
    assert changed == {"clvdesk_event": "customer_replied", "text": "{{ticket.latest_public_comment}}"}
    for key, value in changed.items():
        assert f'`"{key}": "{value}"`' in section
