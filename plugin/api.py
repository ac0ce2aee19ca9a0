"""The sidebar's API, behind a bearer token: a ticket's latest suggestion with the reply to insert, a
supervisor's approval of its offer, and the outcome the agent records for it, under /api/v1/<helpdesk>/
for each configured helpdesk."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

from clvdesk.helpdesk import REGISTRY
from clvdesk.approvals import ApprovalBody, ApprovalNotNeeded, ApprovalRequired, NotAnApprover
from clvdesk.i18n import DEFAULT_LANGUAGE, language_of, tier_label
from clvdesk.outcomes import CurrencyMismatch, OutcomeBody, StaleSuggestion
from clvdesk.replies import suggested_reply
from clvdesk.suggestions import Suggestion
from plugin.auth import require_bearer
from plugin.errors import error, invalid, json_object

bp = Blueprint("api", __name__, url_prefix="/api/v1/<helpdesk>")


require_token = require_bearer("api_token", "api")
REFUSALS = {  # what the domain refuses, as (status, code)
    StaleSuggestion: (409, "stale_suggestion"),
    ApprovalRequired: (409, "approval_required"),
    ApprovalNotNeeded: (409, "approval_not_needed"),
    NotAnApprover: (403, "not_an_approver"),
}


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


def _posted(helpdesk: str, ticket_id: str, model: type[BaseModel], what: str, act: Callable):
    """`act(suggestion, body)` on the ticket's latest suggestion and the request's body as `model`,
    or the 4xx answer to send instead: a bad body (422 naming each field) or what the domain refuses."""
    found, refusal = _latest(helpdesk, ticket_id)
    if found is None:
        return refusal
    data, refusal = json_object()
    if data is None:
        return refusal
    code = f"invalid_{what.split()[-1]}"
    try:
        return act(found, model.model_validate(data))
    except ValidationError as exc:
        return invalid(code, [_message(item, what) for item in exc.errors()])
    except CurrencyMismatch as exc:
        return invalid(code, [{"path": "currency", "message": str(exc)}])
    except tuple(REFUSALS) as exc:
        return error(*REFUSALS[type(exc)], str(exc))


@bp.get("/tickets/<ticket_id>/suggestion")
@require_token
def suggestion(helpdesk: str, ticket_id: str):
    """The suggestion with its reasons and tier in the agent's language (`?locale=`, the helpdesk's name
    for it: "da", "en-US"; English for a language clvdesk does not write), the reply in the ticket's."""
    found, refusal = _latest(helpdesk, ticket_id)
    if found is None:
        return refusal
    language = language_of(request.args.get("locale", DEFAULT_LANGUAGE))
    log = current_app.extensions["clvdesk"].suggestions.log
    outcome, approval = log.outcome(found), log.approval(found)
    shown = found.model_dump(mode="json")
    shown["customer"]["tier_label"] = tier_label(language, found.customer.tier, found.customer.tier_label)
    shown["reasons"] = [{**shown_reason, "text": reason.said(language)}
                        for shown_reason, reason in zip(shown["reasons"], found.reasons)]
    return jsonify(
        **shown,
        language=language,
        reply=_reply(found, approved=approval is not None),
        outcome=outcome.model_dump(mode="json") if outcome else None,
        approval=approval.model_dump(mode="json") if approval else None,
    )


def _reply(found: Suggestion, approved: bool) -> dict:
    return suggested_reply(found.offer, found.sentiment.language, approved).model_dump()


@bp.post("/tickets/<ticket_id>/approval")
@require_token
def approval(helpdesk: str, ticket_id: str):
    """A supervisor approves the offer; again, the first approval is answered unchanged."""

    def approve(found: Suggestion, body: ApprovalBody):
        approved, _ = current_app.extensions["clvdesk"].suggestions.log.approve(found, body)
        return jsonify(ticket_id=ticket_id, event_id=found.event_id, **approved.model_dump(mode="json"),
                       reply=_reply(found, approved=True))

    return _posted(helpdesk, ticket_id, ApprovalBody, "an approval", approve)


@bp.post("/tickets/<ticket_id>/outcome")
@require_token
def outcome(helpdesk: str, ticket_id: str):
    def record(found: Suggestion, body: OutcomeBody):
        recorded = current_app.extensions["clvdesk"].suggestions.log.record(found, body)
        return jsonify(ticket_id=ticket_id, event_id=found.event_id, **recorded.model_dump(mode="json"))

    return _posted(helpdesk, ticket_id, OutcomeBody, "an outcome", record)


def _message(item: dict, what: str) -> dict:
    path = ".".join(str(part) for part in item["loc"])
    text = item["msg"].removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        text = f"is not a field of {what}"
    return {"path": path, "message": text}

