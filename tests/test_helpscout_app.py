"""The web process's Help Scout endpoints, configured from the environment as a deployment would be: the
webhook (signed deliveries queued once, everything else answered without work) and the Dynamic App (a
signed call for a conversation answers the HTML of the suggestion the worker stored, looked at in a real
headless Chromium as the sidebar shows it)."""

from __future__ import annotations

import json
import re

import pytest

from clvdesk.customers import CustomerStore, CustomerValue
from clvdesk.helpdesk.helpscout.sidebar import render_sidebar
from clvdesk.helpdesk.helpscout.webhook import plain_text
from clvdesk.money import format_money
from clvdesk.note import render_note
from clvdesk.replies import suggested_reply
from clvdesk.standins.helpscout import conversation, customer_thread, dynamic_app_call, signed_delivery
from clvdesk.suggestions import SuggestionStore
from plugin import create_app
from tests.conftest import common_settings, serve_only
from tests.helpdesk_cases import CASES
from tests.helpdesk_cases.helpscout import APP_ID, SIDEBAR_SECRET, WEBHOOK_SECRET
from workers.queue import event_queue
from workers.worker import run_worker

ANA = "ana.larsen@example.com"
ANGRY = "My blender arrived broken. This is ridiculous!! Refund me or I will cancel my account."
CONVERSATION = 501
SIDEBAR_WIDTH = 300  # about what Help Scout gives an app beside the conversation
# What Help Scout's own stylesheet does with its sidebar classes, as far as the screenshot needs: the
# two-line list puts each value under its label; badges are small coloured labels.
SIDEBAR_CSS = """
body { margin: 0; font: 13px/1.4 -apple-system, "Helvetica Neue", Arial, sans-serif; color: #314351; }
.c-sb-section { border-bottom: 1px solid #e3e8eb; padding: 12px 16px; }
.c-sb-section__title { font-weight: 600; margin-bottom: 6px; }
.c-sb-list, .unstyled { list-style: none; margin: 0; padding: 0; }
.c-sb-list-item { margin: 0 0 8px; }
.c-sb-list-item__label { color: #93a1b0; font-size: 12px; }
.c-sb-list-item__text { display: block; color: #314351; font-size: 13px; }
.unstyled li { margin: 0 0 6px; }
.badge { border-radius: 3px; color: #fff; font-size: 11px; padding: 1px 6px; background: #93a1b0; }
.badge.blue { background: #3197d6; } .badge.red { background: #d6534a; } .badge.pending { background: #f5a623; }
"""


@pytest.fixture
def helpscout(redis, redis_url, tmp_path, monkeypatch):
    """A stand-in Help Scout, served by the web app and a worker configured for it alone."""
    case = CASES["helpscout"]
    standin = case.standin().start()
    serve_only(monkeypatch, case.env(standin))
    settings = common_settings(redis_url, tmp_path)
    yield case, standin, settings
    standin.stop()
    assert standin.violations == []


@pytest.fixture
def client(helpscout, redis):
    return create_app(helpscout[2], redis=redis).test_client()


@pytest.fixture
def suggestion(helpscout, client, redis):
    """What the worker stores when Ana, a valuable customer, writes angrily on conversation 501."""
    case, standin, settings = helpscout
    CustomerStore(redis).replace_all([CustomerValue(
        email=ANA, customer_id="C-1001", residual_clv=1240, historical_spend=2310.5,
        total_clv=1933.15, p_alive=0.87, segment="champions",
    )])
    case.add_ticket(standin, CONVERSATION, ANA)
    request = case.webhook(standin, CONVERSATION, ANGRY, "evt-angry")
    assert client.post("/webhooks/helpscout", data=request.body, headers=request.headers).status_code == 202
    run_worker(settings, redis, burst=True)
    assert len(standin.notes(CONVERSATION)) == 1
    return SuggestionStore(redis).latest(f"helpscout:{APP_ID}", str(CONVERSATION))


def deliver(helpscout, client, body, event="convo.customer.reply.created", *, secret=None):
    payload, headers = signed_delivery(secret or WEBHOOK_SECRET, event, body)
    return client.post("/webhooks/helpscout", data=payload, headers=headers)


def test_a_delivery_is_queued_once_and_the_rest_answered_without_work(helpscout, client, redis):
    body = conversation(601, [customer_thread(91001, "Where is my order?")])
    first, again = deliver(helpscout, client, body), deliver(helpscout, client, body)
    assert first.status_code == 202 and first.json["status"] == "queued"
    assert again.status_code == 200 and again.json == {"status": "duplicate", "job_id": first.json["job_id"]}
    same_message = deliver(helpscout, client, body, "convo.created")  # one message announced by both events
    assert same_message.json == {"status": "duplicate", "job_id": first.json["job_id"]}
    for event in ("convo.agent.reply.created", "convo.note.created", "helpscout.test"):
        answer = deliver(helpscout, client, body, event)
        assert answer.status_code == 200 and answer.json["status"] == "ignored", event
    assert len(event_queue(redis)) == 1


@pytest.mark.parametrize("payload, headers, status, code", [
    (b'{"id": 1}', {"X-HelpScout-Event": "convo.created"}, 401, "invalid_signature"),
    (b"{nope", None, 400, "malformed_json"),
    (b'{"id": "x"}', None, 400, "invalid_payload"),
])
def test_a_bad_delivery_gets_a_clear_refusal(helpscout, client, redis, payload, headers, status, code):
    if headers is None:
        _, headers = signed_delivery(WEBHOOK_SECRET, "convo.created", payload)
    answer = client.post("/webhooks/helpscout", data=payload, headers=headers)
    assert answer.status_code == status and answer.json["error"] == code and answer.json["message"]
    assert len(event_queue(redis)) == 0


def test_a_delivery_signed_with_the_sidebars_secret_is_refused(helpscout, client):
    body = conversation(602, [customer_thread(92001, "Hello")])
    assert deliver(helpscout, client, body, secret=SIDEBAR_SECRET).status_code == 401


def call(client, conversation_id=CONVERSATION, *, secret=SIDEBAR_SECRET, **headers):
    payload, signed = dynamic_app_call(secret, conversation_id)
    return client.post("/apps/helpscout", data=payload, headers={**signed, **headers})


def test_the_sidebar_shows_what_the_zendesk_sidebar_shows(client, suggestion):
    response = call(client)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    html = response.get_json()["html"]
    text = plain_text(html)
    customer, offer, sentiment = suggestion.customer, suggestion.offer, suggestion.sentiment
    for shown in (
        customer.tier_label, format_money(customer.residual_clv, "USD"), format_money(customer.total_clv, "USD"),
        format_money(customer.historical_spend, "USD"), "87%", "Champions",
        sentiment.label.replace("_", " ").capitalize(), f"{sentiment.score:+.2f}", sentiment.category.label,
        *(signal.label for signal in sentiment.signals), offer.instrument_label,
        *(reason.text for reason in suggestion.reasons),
        suggested_reply(offer, sentiment.language).text,
    ):
        assert shown in text, shown
    assert sentiment.signals and suggestion.reasons  # the angry customer shows some
    if offer.amount > 0:
        assert format_money(offer.amount, offer.currency) in text
    assert ("Needed before you offer it" if offer.needs_approval else "Not needed") in text
    assert html.startswith('<div class="c-sb-section">') and "<script" not in html


@pytest.mark.parametrize("kind, make, status, code", [
    ("unsigned", lambda c: c.post("/apps/helpscout", data=dynamic_app_call(SIDEBAR_SECRET, CONVERSATION)[0]), 401, "invalid_signature"),
    ("webhook secret", lambda c: call(c, secret="another-secret"), 401, "invalid_signature"),
    ("GET", lambda c: c.get("/apps/helpscout"), 405, "method_not_allowed"),
    ("other path", lambda c: c.post("/apps/helpscout/x"), 404, "not_found"),
])
def test_bad_calls_are_refused_with_a_json_reason(client, kind, make, status, code):
    response = make(client)
    assert response.status_code == status and response.get_json()["error"] == code, kind


def signed(body: bytes) -> dict[str, str]:
    from clvdesk.helpdesk.helpscout.signature import SIGNATURE_HEADER, compute_signature

    return {SIGNATURE_HEADER: compute_signature(SIDEBAR_SECRET, body), "Content-Type": "application/json"}


@pytest.mark.parametrize("body, code, field", [
    (b"{not json", "malformed_json", "body"),
    (b"[]", "invalid_payload", "body"),
    (b'{"ticket": {"number": 1}}', "invalid_payload", "ticket.id"),
    (b'{"ticket": {"id": "12; x"}}', "invalid_payload", "ticket.id"),
    (b'{"ticket": {"id": 1.5}}', "invalid_payload", "ticket.id"),
])
def test_a_signed_but_malformed_call_names_what_is_wrong(client, body, code, field):
    response = client.post("/apps/helpscout", data=body, headers=signed(body))
    assert response.status_code == 400
    assert response.get_json()["error"] == code and response.get_json()["message"].startswith(field)


def test_a_conversation_without_a_suggestion_or_a_draft_says_so(client):
    assert "No suggestion yet" in call(client, 777).get_json()["html"]
    assert "A draft" in call(client, None).get_json()["html"]
    string_id = json.dumps({"ticket": {"id": "777"}}).encode()  # ids may come as strings
    assert "No suggestion yet" in client.post("/apps/helpscout", data=string_id, headers=signed(string_id)).get_json()["html"]


def test_customer_words_are_text_never_markup(suggestion):
    signal = suggestion.sentiment.signals[0]
    hostile = "<img src=x onerror=window.pwned=1>"
    tainted = suggestion.model_copy(update={"sentiment": suggestion.sentiment.model_copy(update={
        "signals": [signal.model_copy(update={"evidence": [hostile, "a\nb"]})]})})
    html = render_sidebar(tainted)
    assert hostile not in html and "&lt;img src=x onerror=window.pwned=1&gt;" in html
    note = render_note(tainted, "html")
    assert hostile not in note and "&lt;img" in note and "<img" not in note


def test_the_note_help_scout_got_is_the_suggestions(helpscout, suggestion):
    _, standin, _ = helpscout
    [note] = standin.notes(CONVERSATION)
    assert note["body"] == render_note(suggestion, "html") and note["body"].startswith("<p>clvdesk suggestion: ")
    assert plain_text(note["body"]).endswith(f"clvdesk-ref:{suggestion.event_id}")


def test_the_sidebar_in_a_browser(page, client, suggestion, artifacts_dir):
    html = call(client).get_json()["html"]
    hostile = suggestion.model_copy(update={"reasons": [*suggestion.reasons, suggestion.reasons[0].model_copy(
        update={"text": "<script>window.pwned = 1</script><b>bold?</b>"})]})
    page.set_viewport_size({"width": SIDEBAR_WIDTH, "height": 1200})
    page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
    page.set_content(f'<!doctype html><meta charset="utf-8"><style>{SIDEBAR_CSS}</style>'
                     f'<body><div id="app" style="width:{SIDEBAR_WIDTH}px">{html}{render_sidebar(hostile)}</div></body>')
    app = page.locator("#app")
    label = page.locator(".c-sb-list-item__label", has_text="Residual CLV").first.bounding_box()
    value = page.locator(".c-sb-list-item__text", has_text="$1,240.00").first.bounding_box()
    assert value["y"] > label["y"]  # the value reads under its label
    for heading in ("Customer", "Sentiment", "Suggested offer", "Why", "Suggested reply"):
        assert page.locator(".c-sb-section__title", has_text=heading).first.is_visible()
    assert page.evaluate("window.pwned") is None and page.locator("b").count() == 0
    assert "<script>window.pwned = 1</script><b>bold?</b>" in app.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIDEBAR_WIDTH, f"the sidebar scrolls sideways: {width}px"
    reply = page.locator("#app > .c-sb-section").nth(4).bounding_box()  # the last section of the real answer
    page.screenshot(path=str(artifacts_dir / "helpscout-sidebar.png"),
                    clip={"x": 0, "y": 0, "width": SIDEBAR_WIDTH, "height": reply["y"] + reply["height"]})
