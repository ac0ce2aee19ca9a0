"""Help Scout's Dynamic App: the suggestion beside the conversation, as the HTML Help Scout shows there.

When an agent opens a conversation, Help Scout POSTs it (`ticket`, `customer`, `user`, `mailbox`) to
the app's callback URL, signed like a webhook with the app's own secret, and shows the `html` of the
JSON answer in the sidebar (developer.helpscout.com/apps/legacy-custom-apps/dynamic/). It shows what
the Zendesk sidebar shows: tier and value, sentiment and signals, the offer and why, and the reply.
The answer is read from the stored suggestion only, so it is quick; no script runs there, so the
markup is static and uses the sidebar's own classes (c-sb-section, c-sb-list, badge).
"""

from __future__ import annotations

from html import escape
from typing import Any

from clvdesk.analysis import Sentiment
from clvdesk.clv.segments import SEGMENT_LABELS
from clvdesk.defaults import HELPSCOUT_SIDEBAR_MAX_HTML_CHARS
from clvdesk.events import WebhookPayloadError
from clvdesk.approvals import Approval, approved_line
from clvdesk.helpdesk.apps import AppAnswer, AppRequest
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.helpscout.signature import SIGNATURE_HEADER, verify_signature
from clvdesk.helpdesk.helpscout.webhook import helpscout_id
from clvdesk.json_body import JsonBodyError, read_json
from clvdesk.money import format_money
from clvdesk.note import EVIDENCE_SHOWN, one_line
from clvdesk.replies import suggested_reply
from clvdesk.rules import Offer, Reason
from clvdesk.suggestions import CustomerView, Suggestion, SuggestionStore

NOT_FITTED = "not fitted"


def conversation_of(body: Any) -> str | None:
    """The conversation's id in a Dynamic App call; None for a draft (Help Scout sends `ticket: false`)."""
    if not isinstance(body, dict):
        raise WebhookPayloadError(f"body: expected a JSON object, got {type(body).__name__}")
    ticket = body.get("ticket")
    if ticket is False:
        return None
    if not isinstance(ticket, dict) or "id" not in ticket:
        raise WebhookPayloadError("ticket.id: missing: the call names no conversation")
    raw = ticket["id"]
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise WebhookPayloadError(f"ticket.id: must be a Help Scout id, got {type(raw).__name__}")
    try:
        return helpscout_id(str(raw))
    except ValueError as exc:
        raise WebhookPayloadError(f"ticket.id: {exc}") from None


def _item(label: str, value_html: str) -> str:
    return (
        '<li class="c-sb-list-item"><span class="c-sb-list-item__label t-tx-charcoal-300">'
        f'{escape(label)}<span class="c-sb-list-item__text t-tx-charcoal-500">{value_html}</span></span></li>'
    )


def _section(title: str, body_html: str) -> str:
    return (
        f'<div class="c-sb-section"><div class="c-sb-section__title">{escape(title)}</div>'
        f'<div class="c-sb-section__body">{body_html}</div></div>'
    )


def _list(items: list[str]) -> str:
    return '<ul class="c-sb-list c-sb-list--two-line">' + "".join(items) + "</ul>"


def _words(words: list[str]) -> str:
    return ", ".join(f"“{escape(one_line(word))}”" for word in words[:EVIDENCE_SHOWN])


def _customer(customer: CustomerView) -> str:
    money = customer.currency
    items = [_item("Tier", f'<span class="badge blue">{escape(customer.tier_label)}</span>')]
    if not customer.known:
        items.append(_item("Customer", "Not in the customer store: handled as a new customer."))
    items += [
        _item("Residual CLV", escape(format_money(customer.residual_clv, money))),
        _item("Total CLV", escape(format_money(customer.total_clv, money)) if customer.total_clv is not None else NOT_FITTED),
        _item("Historical spend", escape(format_money(customer.historical_spend, money))),
        _item("P(alive)", f"{customer.p_alive:.0%}" if customer.p_alive is not None else NOT_FITTED),
        _item("Segment", escape(SEGMENT_LABELS.get(customer.segment, customer.segment)) if customer.segment else NOT_FITTED),
    ]
    return _section("Customer", _list(items))


def _sentiment(sentiment: Sentiment) -> str:
    feeling = f"{sentiment.label.replace('_', ' ').capitalize()} (score {sentiment.score:+.2f})"
    if not sentiment.supported:
        feeling = f"Not read: clvdesk does not read {sentiment.language_name}"
    category = escape(sentiment.category.label)
    if sentiment.category.evidence:
        category += f" ({_words(sentiment.category.evidence)})"
    signals = "<br>".join(
        f"{escape(signal.label)} ({_words(signal.evidence)})" for signal in sentiment.signals
    ) or "No signals"
    return _section("Sentiment", _list([
        _item("Sentiment", escape(feeling)),
        _item("Category", category),
        _item("Language", escape(sentiment.language_name)),
        _item("Signals", signals),
    ]))


def _offer(offer: Offer, approved: Approval | None) -> str:
    items = [_item("Offer", escape(offer.instrument_label))]
    if offer.amount > 0:
        items.append(_item("Amount", escape(format_money(offer.amount, offer.currency))))
    approval = '<span class="badge red">Needed before you offer it</span>' if offer.needs_approval else "Not needed"
    if approved is not None:
        approval = escape(approved_line(approved))
    budget_left = "no rolling budget" if offer.budget_left is None else escape(format_money(offer.budget_left, offer.currency))
    items += [_item("Approval", approval), _item("Budget left", budget_left)]
    if offer.flagged:
        items.append(_item("Review", '<span class="badge red">Flagged: this customer was appeased often lately</span>'))
    return _section("Suggested offer", _list(items))


def _reasons(reasons: list[Reason]) -> str:
    return _section("Why", '<ul class="unstyled">' + "".join(f"<li>{escape(one_line(r.text))}</li>" for r in reasons) + "</ul>")


def render_sidebar(suggestion: Suggestion, approval: Approval | None = None) -> str:
    reply = suggested_reply(suggestion.offer, suggestion.sentiment.language, approved=approval is not None)
    html = "".join((
        _customer(suggestion.customer),
        _sentiment(suggestion.sentiment),
        _offer(suggestion.offer, approval),
        _reasons(suggestion.reasons),
        _section("Suggested reply", f'<p lang="{escape(reply.language)}">{escape(reply.text)}</p>'),
    ))
    if len(html) > HELPSCOUT_SIDEBAR_MAX_HTML_CHARS:
        return _pending("The suggestion is too long to show here; it is in the conversation's note.")
    return html


def _pending(text: str) -> str:
    return _section("clvdesk", f'<p><span class="badge pending">{escape(text)}</span></p>')


class DynamicApp:
    """The Dynamic App's callback for one Help Scout account, verified with the app's secret."""

    def __init__(self, secret: str | None, suggestions: SuggestionStore, scope: str):
        """`scope`: the account's, "helpscout:<app id>", under which its suggestions are kept."""
        self._secret = secret
        self._suggestions = suggestions
        self._scope = scope

    def handle(self, request: AppRequest) -> AppAnswer:
        if request.path:
            return AppAnswer.error(404, "not_found", "the Dynamic App's callback URL is /apps/helpscout")
        if request.method != "POST":
            return AppAnswer.error(405, "method_not_allowed", "Help Scout calls the Dynamic App with POST")
        try:
            verify_signature(request.body, request.headers.get(SIGNATURE_HEADER), self._secret)
        except WebhookAuthError as exc:
            return AppAnswer.error(401, "invalid_signature", str(exc))
        try:
            conversation = conversation_of(read_json(request.body))
        except JsonBodyError as exc:
            return AppAnswer.error(400, "malformed_json", f"body: {exc}")
        except WebhookPayloadError as exc:
            return AppAnswer.error(400, "invalid_payload", str(exc))
        if conversation is None:
            return AppAnswer.json(200, {"html": _pending("A draft: clvdesk suggests once the customer writes.")})
        suggestion = self._suggestions.latest(self._scope, conversation)
        if suggestion is None:
            return AppAnswer.json(200, {"html": _pending("No suggestion yet: it appears when the customer writes.")})
        return AppAnswer.json(200, {"html": render_sidebar(suggestion, self._suggestions.log.approval(suggestion))})
