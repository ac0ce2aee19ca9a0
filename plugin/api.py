"""The sidebar's API, behind a bearer token: a ticket's latest suggestion with the reply to insert, and
the outcome the agent records for it, under /api/v1/<helpdesk>/ for each configured helpdesk."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from pydantic import ValidationError

from clvdesk.helpdesk import REGISTRY
from clvdesk.i18n import DEFAULT_LANGUAGE, language_of, tier_label
from clvdesk.outcomes import CurrencyMismatch, OutcomeBody, StaleSuggestion
from clvdesk.replies import suggested_reply
from clvdesk.suggestions import Suggestion
from plugin.auth import require_bearer
from plugin.errors import error, invalid, json_object

bp = Blueprint("api", __name__, url_prefix="/api/v1/<helpdesk>")


require_token = require_bearer("api_token", "api")


def _latest(helpdesk: str, ticket_id: str) -> tuple[Suggestion | None, object]:
    """The ticket's latest suggestion, or the 4xx answer to send instead."""
    state = current_app.extensions["clvdesk"]
    adapter = state.adapters.get(helpdesk)
    if adapter is None:
        served = ", ".join(state.adapters) or "none"
        return None, error(404, "unknown_helpdesk", f"no helpdesk {helpdesk[:40]!r} is served here (served: {served})")
    try:
        REGISTRY[helpdesk].ticket_id(ticket_id)
    except ValueError as exc:
        return None, error(400, "invalid_ticket_id", f"ticket id {exc}")
    found = state.suggestions.latest(f"{helpdesk}:{adapter.account}", ticket_id)
    if found is None:
        return None, error(404, "not_found", f"no suggestion for ticket {ticket_id} yet")
    return found, None


@bp.get("/tickets/<ticket_id>/suggestion")
@require_token
def suggestion(helpdesk: str, ticket_id: str):
    """The suggestion with its reasons and tier in the agent's language (`?locale=`, the helpdesk's name
    for it: "da", "en-US"; English for a language clvdesk does not write), the reply in the ticket's."""
    found, refusal = _latest(helpdesk, ticket_id)
    if found is None:
        return refusal
    language = language_of(request.args.get("locale", DEFAULT_LANGUAGE))
    outcome = current_app.extensions["clvdesk"].suggestions.log.outcome(found)
    shown = found.model_dump(mode="json")
    shown["customer"]["tier_label"] = tier_label(language, found.customer.tier, found.customer.tier_label)
    shown["reasons"] = [{**shown_reason, "text": reason.said(language)}
                        for shown_reason, reason in zip(shown["reasons"], found.reasons)]
    return jsonify(
        **shown,
        language=language,
        reply=suggested_reply(found.offer, found.sentiment.language).model_dump(),
        outcome=outcome.model_dump(mode="json") if outcome else None,
    )


@bp.post("/tickets/<ticket_id>/outcome")
@require_token
def outcome(helpdesk: str, ticket_id: str):
    found, refusal = _latest(helpdesk, ticket_id)
    if found is None:
        return refusal
    data, refusal = json_object()
    if data is None:
        return refusal
    try:
        body = OutcomeBody.model_validate(data)
        recorded = current_app.extensions["clvdesk"].suggestions.log.record(found, body)
    except ValidationError as exc:
        return invalid("invalid_outcome", [_message(item) for item in exc.errors()])
    except CurrencyMismatch as exc:
        return invalid("invalid_outcome", [{"path": "currency", "message": str(exc)}])
    except StaleSuggestion as exc:
        return error(409, "stale_suggestion", str(exc))
    return jsonify(ticket_id=ticket_id, event_id=found.event_id, **recorded.model_dump(mode="json"))


def _message(item: dict) -> dict:
    path = ".".join(str(part) for part in item["loc"])
    text = item["msg"].removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        text = "is not a field of an outcome"
    return {"path": path, "message": text}

