"""Help Scout's webhook side: its signature against published vectors, and what becomes an event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from clvdesk.events import Ignored, TicketEvent, WebhookPayloadError
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.helpscout.signature import compute_signature, verify_signature
from clvdesk.helpdesk.helpscout.webhook import HelpScoutWebhook, parse_helpscout_webhook, plain_text
from clvdesk.helpdesk.interface import Delivery, Headers
from clvdesk.standins.helpscout import conversation, customer_thread, note_thread, signed_delivery

SECRET = "your secret key"
ACCOUNT = "hs-app-1"
# Vector A: the body, key and signature of Help Scout's webhook documentation (its Python example)
BODY_A = (b'{"ticket":{"id":"1","number":"2"},"customer":{"id":"1","fname":"Jackie","lname":"Chan",'
          b'"email":"jackie.chan@somewhere.com","emails":["jackie.chan@somewhere.com"]}}')
SIGNATURE_A = "I1KlvGppYqvFTJgJ9jezdQMDiyI="
# Vector B: LasLabs/python-helpscout's test, whose signature is stored wrapped in newlines
BODY_B = b'{"firstName":"Jackie","lastName":"Chan","email":"jackie.chan@somewhere.com","gender":"male"}'
SIGNATURE_B = "\n2iFmnzC8SCNVF/iNiMnSe19yceU=\n"
WRONG_B = "4+kjl2zB5OwZZjHznSTkD1/J208="  # the same test's signature that must be refused
BODY_C = b'{"nope": "1"}'
SIGNATURE_C = "L+3pdz2obCnQfS4H/KF2sNaHbF4="

# The spec's convo.customer.reply.created body (notes/helpscout.md §6.2): newest thread first
REPLY_BODY = {
    "id": 501, "number": 1042, "threads": 3, "type": "email", "status": "active", "state": "published",
    "subject": "Order arrived broken", "preview": "Still waiting, this is the second time…", "mailboxId": 13,
    "userUpdatedAt": "2024-05-03T08:00:00Z", "customerWaitingSince": {"time": "2024-05-03T08:00:00Z", "friendly": "Just now"},
    "tags": [{"id": 9150, "color": "#929499", "tag": "orders"}, {"id": 9151, "color": "#929499", "tag": "clv-gold"}],
    "primaryCustomer": {"id": 9001, "type": "customer", "first": "Jane", "last": "Doe", "email": "jane@acme.example.com"},
    "_embedded": {"threads": [
        {"id": 70003, "type": "customer", "status": "active", "state": "published",
         "body": "Still waiting, this is the second time this happens. Very disappointed.",
         "customer": {"id": 9001, "email": "jane@acme.example.com"}, "createdAt": "2024-05-03T08:00:00Z"},
        {"id": 70002, "type": "note", "state": "published",
         "body": "<p>clvdesk: CLV 1,234 EUR (gold).</p><p>clvdesk-ref: 501:70001</p>", "createdAt": "2024-05-02T09:15:20Z"},
        {"id": 70001, "type": "customer", "state": "published",
         "body": "Hi, my order #A-77 arrived with a cracked lid. I'd like a replacement.",
         "customer": {"id": 9001, "email": "jane@acme.example.com"}, "createdAt": "2024-05-02T09:15:00Z"},
    ]},
}


@pytest.mark.parametrize("body, signature", [(BODY_A, SIGNATURE_A), (BODY_B, SIGNATURE_B), (BODY_C, SIGNATURE_C)])
def test_the_published_vectors_verify(body, signature):
    verify_signature(body, signature, SECRET)
    assert compute_signature(SECRET, body) == signature.strip()


@pytest.mark.parametrize("body, signature, complaint", [
    (BODY_B, WRONG_B, "does not match"),
    (BODY_C, SIGNATURE_B, "does not match"),  # B's signature on another body
    (BODY_A.replace(b"Jackie", b"Jackia"), SIGNATURE_A, "does not match"),  # one byte changed
    (BODY_A, hmac.new(SECRET.encode(), BODY_A, hashlib.sha1).hexdigest(), "not base64|does not match"),  # hex, not base64
    (BODY_A, None, "missing X-HelpScout-Signature"),
    (BODY_A, "", "missing X-HelpScout-Signature"),
    (BODY_A, "not base64!", "not base64"),
    (BODY_A, base64.b64encode(hmac.new(SECRET.encode(), BODY_A, hashlib.sha256).digest()).decode(), "does not match"),
])
def test_anything_else_is_refused(body, signature, complaint):
    with pytest.raises(WebhookAuthError, match=complaint):
        verify_signature(body, signature, SECRET)


def test_without_a_secret_nothing_verifies():
    with pytest.raises(WebhookAuthError, match="no Help Scout secret"):
        verify_signature(BODY_A, SIGNATURE_A, None)


def test_another_secret_does_not_verify():
    with pytest.raises(WebhookAuthError):
        verify_signature(BODY_A, SIGNATURE_A, "your secret key ")


def test_a_customer_reply_is_its_newest_customer_thread():
    event = parse_helpscout_webhook(REPLY_BODY, "convo.customer.reply.created", account=ACCOUNT)
    assert isinstance(event, TicketEvent)
    assert (event.helpdesk, event.account, event.kind, event.ticket_id, event.event_id) == (
        "helpscout", ACCOUNT, "ticket.comment_added", "501", "501:70003")
    assert event.text == "Still waiting, this is the second time this happens. Very disappointed."
    assert (event.requester_email, event.requester_id) == ("jane@acme.example.com", "9001")
    assert event.ticket_tags == ("orders", "clv-gold") and event.subject == "Order arrived broken"
    assert event.occurred_at.isoformat() == "2024-05-03T08:00:00+00:00"


def test_the_newest_is_found_by_time_whatever_the_order():
    shuffled = {**REPLY_BODY, "_embedded": {"threads": list(reversed(REPLY_BODY["_embedded"]["threads"]))}}
    assert parse_helpscout_webhook(shuffled, "convo.customer.reply.created", account=ACCOUNT).event_id == "501:70003"


def test_one_message_announced_by_both_events_is_one_event():
    body = conversation(502, [customer_thread(71001, "My parcel never came.")])
    created = parse_helpscout_webhook(body, "convo.created", account=ACCOUNT)
    replied = parse_helpscout_webhook(body, "convo.customer.reply.created", account=ACCOUNT)
    assert created.kind == "ticket.created" and replied.kind == "ticket.comment_added"
    assert created.event_id == replied.event_id == "502:71001" and created.key == replied.key


@pytest.mark.parametrize("event", [
    "convo.agent.reply.created", "convo.note.created", "convo.tags", "convo.status", "helpscout.test", "customer.created",
])
def test_other_events_are_ignored(event):
    assert isinstance(parse_helpscout_webhook(REPLY_BODY, event, account=ACCOUNT), Ignored)


def test_an_agents_reply_is_not_the_customers_message():
    agent = {"id": 70004, "type": "reply", "state": "published", "body": "<p>Sorry Jane.</p>",
             "createdAt": "2024-05-03T08:10:00Z"}
    body = {**REPLY_BODY, "_embedded": {"threads": [agent, *REPLY_BODY["_embedded"]["threads"]]}}
    ignored = parse_helpscout_webhook(body, "convo.customer.reply.created", account=ACCOUNT)
    assert isinstance(ignored, Ignored) and "'reply'" in ignored.reason


def test_clvdesks_own_note_is_never_answered():
    body = conversation(503, [note_thread(72002, "<p>clvdesk suggestion</p><p>clvdesk-ref: 503:72001</p>"),
                              customer_thread(72001, "Broken again.", created_at="2024-05-02T09:15:00Z")])
    ignored = parse_helpscout_webhook(body, "convo.customer.reply.created", account=ACCOUNT)
    assert ignored == Ignored("note written by clvdesk")


def test_a_draft_needs_no_suggestion():
    body = conversation(504, [customer_thread(73001, "hello")], state="draft")
    assert isinstance(parse_helpscout_webhook(body, "convo.created", account=ACCOUNT), Ignored)


def test_a_body_without_threads_is_named_by_the_customers_waiting_time():
    body = {key: value for key, value in REPLY_BODY.items() if key != "_embedded"}
    event = parse_helpscout_webhook(body, "convo.customer.reply.created", account=ACCOUNT)
    assert event.event_id == "501:convo.customer.reply.created:2024-05-03T08:00:00Z"
    assert event.text == "Still waiting, this is the second time…"
    again = parse_helpscout_webhook(json.loads(json.dumps(body)), "convo.customer.reply.created", account=ACCOUNT)
    assert again.key == event.key


def test_html_bodies_are_read_as_text():
    assert plain_text("<p>My blender&nbsp;is <b>broken</b>.</p><p>Refund&amp;now<br>please</p><style>p{}</style>") == (
        "My blender is broken.\n\nRefund&now\nplease")
    body = conversation(505, [customer_thread(74001, "<div>It&#39;s <i>late</i></div>")])
    assert parse_helpscout_webhook(body, "convo.created", account=ACCOUNT).text == "It's late"


@pytest.mark.parametrize("body, event, field", [
    (REPLY_BODY, None, "X-HelpScout-Event"),
    ([1, 2], "convo.created", "body"),
    ({**REPLY_BODY, "id": 0}, "convo.created", "id"),
    ({**REPLY_BODY, "id": "501; DROP"}, "convo.created", "id"),
    ({**REPLY_BODY, "id": True}, "convo.created", "id"),
    ({key: value for key, value in REPLY_BODY.items() if key != "id"}, "convo.created", "id"),
    ({**REPLY_BODY, "_embedded": {"threads": [{"id": "x", "type": "customer"}]}}, "convo.created", "_embedded.threads.0.id"),
    ({"id": 501}, "convo.created", "_embedded.threads"),
    ({"id": 501, "userUpdatedAt": "yesterday"}, "convo.created", "userUpdatedAt"),
    ({**REPLY_BODY, "tags": [{"tag": "x" * 300}]}, "convo.created", "tags.0.tag"),
])
def test_a_malformed_body_names_its_field(body, event, field):
    with pytest.raises(WebhookPayloadError) as raised:
        parse_helpscout_webhook(body, event, account=ACCOUNT)
    assert str(raised.value).startswith(field)


def test_the_adapter_reads_its_headers_in_any_case():
    payload, headers = signed_delivery("whsec-hs", "convo.created", conversation(506, [customer_thread(75001, "Late!")]))
    adapter = HelpScoutWebhook("app-1", "whsec-hs")
    delivery = Delivery(payload, Headers({name.upper(): value for name, value in headers.items()}), {}, "req-1")
    adapter.authenticate(delivery)
    assert adapter.parse(json.loads(payload), delivery).event_id == "506:75001"
    assert adapter.replay_key(delivery) is None and (adapter.helpdesk, adapter.account) == ("helpscout", "app-1")
    with pytest.raises(WebhookAuthError):
        HelpScoutWebhook("app-1", "another").authenticate(delivery)
