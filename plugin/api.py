"""The sidebar's API: the latest suggestion for a ticket, behind a bearer token."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from plugin.auth import require_bearer
from plugin.errors import error

bp = Blueprint("api", __name__, url_prefix="/api/v1")


require_token = require_bearer("api_token", "api")


@bp.get("/tickets/<ticket_id>/suggestion")
@require_token
def suggestion(ticket_id: str):
    if not ticket_id.isdigit():
        return error(400, "invalid_ticket_id", f"ticket id must be digits, got {ticket_id[:40]!r}")
    found = current_app.extensions["clvdesk"].suggestions.latest("zendesk", ticket_id)
    if found is None:
        return error(404, "not_found", f"no suggestion for ticket {ticket_id} yet")
    return Response(found.model_dump_json(), mimetype="application/json")
