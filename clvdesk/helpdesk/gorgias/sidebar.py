"""The suggestion in Gorgias's sidebar: the data an HTTP integration's call returns, which its widgets show.

Gorgias stores the JSON an HTTP integration answers on the ticket's customer and renders it in the ticket
sidebar through a widget whose fields pick keys by path. So the answer is one flat object of display-ready
strings under "clvdesk" (amounts already formatted, never floats), and every valid call is answered 200,
"none" included: a 4xx or 5xx counts towards the 100 failures after which Gorgias disables the integration.
"""

from __future__ import annotations

from datetime import timezone

from clvdesk.approvals import Approval, approved_line
from clvdesk.helpdesk.apps import AppAnswer, AppRequest
from clvdesk.helpdesk.errors import WebhookAuthError
from clvdesk.helpdesk.gorgias.ids import gorgias_id
from clvdesk.helpdesk.gorgias.settings import NAME
from clvdesk.helpdesk.gorgias.webhook import SECRET_HEADER
from clvdesk.helpdesk.shared_secret import check_secret_header
from clvdesk.money import format_money
from clvdesk.note import note_reference, offer_summary
from clvdesk.replies import suggested_reply
from clvdesk.suggestions import Suggestion, SuggestionStore

PATH = "sidebar"  # served at /apps/gorgias/sidebar
NO_SUGGESTION = "No suggestion yet: clvdesk writes one when the customer writes"


def widget_data(suggestion: Suggestion, approval: Approval | None = None) -> dict[str, str]:
    """What the widget's fields show: the same suggestion, reasons and reply as the Zendesk sidebar
    (the reply promises an offer that needs approval only once approved)."""
    customer, offer = suggestion.customer, suggestion.offer
    money = customer.currency
    reply = suggested_reply(offer, suggestion.sentiment.language, approved=approval is not None)
    return {
        "status": "ready",
        "ticket_id": suggestion.ticket_id,
        "headline": offer_summary(offer),
        "tier": customer.tier_label,
        "customer": customer.email or "unknown requester",
        "clv": format_money(customer.residual_clv, money) if customer.known else "not in the customer store",
        "spent": format_money(customer.historical_spend, money) if customer.known else "",
        "sentiment": suggestion.sentiment.label.replace("_", " "),
        "offer": offer.instrument_label,
        "amount": format_money(offer.amount, offer.currency),
        "cost": format_money(offer.cost, offer.currency),
        "budget": format_money(offer.budget, offer.currency),
        "budget_left": "" if offer.budget_left is None else format_money(offer.budget_left, offer.currency),
        "needs_approval": "yes" if offer.needs_approval else "no",
        "approved": approved_line(approval) if approval else "",
        "flagged": "yes" if offer.flagged else "no",
        "why": "; ".join(reason.text for reason in suggestion.reasons),
        "reply": reply.text,
        "reply_language": reply.language,
        "rules_version": suggestion.rules_version,
        "updated": suggestion.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ref": note_reference(suggestion.event_id),
    }


class GorgiasSidebar:
    """Answers the sidebar integration's GET /apps/gorgias/sidebar?ticket_id=..., behind its secret header."""

    def __init__(self, account: str, secrets: tuple[str, ...], suggestions: SuggestionStore):
        self._scope = f"{NAME}:{account}"
        self._secrets = secrets
        self._suggestions = suggestions

    def handle(self, request: AppRequest) -> AppAnswer:
        if request.path != PATH:
            return AppAnswer.error(404, "not_found", f"Gorgias's sidebar is served at /apps/{NAME}/{PATH}")
        if request.method != "GET":
            return AppAnswer.error(405, "method_not_allowed", "the sidebar integration's method is GET")
        try:
            check_secret_header(request.headers, SECRET_HEADER, self._secrets)
        except WebhookAuthError as exc:
            return AppAnswer.error(401, "unauthorized", str(exc))
        raw = request.query.get("ticket_id", "")
        try:
            ticket_id = gorgias_id(raw.strip())
        except ValueError as exc:
            return AppAnswer.error(400, "invalid_ticket_id", f"ticket_id {exc}")
        found = self._suggestions.latest(self._scope, ticket_id)
        if found is None:
            return AppAnswer.json(200, {"clvdesk": {"status": "none", "ticket_id": ticket_id, "headline": NO_SUGGESTION}})
        return AppAnswer.json(200, {"clvdesk": widget_data(found, self._suggestions.log.approval(found))})
