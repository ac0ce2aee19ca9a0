"""The sidebar's API: the latest suggestion for a ticket, behind a bearer token."""

from __future__ import annotations

import hmac
from functools import wraps

from flask import Blueprint, Response, current_app, request

from plugin.errors import error

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def require_token(view):
    """Accept only `Authorization: Bearer <CLVDESK_API_TOKEN>`, compared in constant time."""

    @wraps(view)
    def guarded(*args, **kwargs):
        expected = current_app.extensions["clvdesk"].settings.api_token.get_secret_value().encode()
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            response = error(401, "unauthorized", "send Authorization: Bearer <CLVDESK_API_TOKEN>")
            response.headers["WWW-Authenticate"] = 'Bearer realm="clvdesk"'
            return response
        return view(*args, **kwargs)

    return guarded


@bp.get("/tickets/<ticket_id>/suggestion")
@require_token
def suggestion(ticket_id: str):
    if not ticket_id.isdigit():
        return error(400, "invalid_ticket_id", f"ticket id must be digits, got {ticket_id[:40]!r}")
    found = current_app.extensions["clvdesk"].suggestions.latest("zendesk", ticket_id)
    if found is None:
        return error(404, "not_found", f"no suggestion for ticket {ticket_id} yet")
    return Response(found.model_dump_json(), mimetype="application/json")
