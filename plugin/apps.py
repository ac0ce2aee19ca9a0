"""/apps/<helpdesk>/<path>: each helpdesk's own sidebar endpoint, carried to its SidebarApp."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from clvdesk.helpdesk.apps import AppRequest
from plugin.errors import error

bp = Blueprint("apps", __name__, url_prefix="/apps")


@bp.route("/<helpdesk>", defaults={"path": ""}, methods=["GET", "POST"])
@bp.route("/<helpdesk>/<path:path>", methods=["GET", "POST"])
def app_call(helpdesk: str, path: str):
    app = current_app.extensions["clvdesk"].apps.get(helpdesk)
    if app is None:
        return error(404, "not_found", f"no sidebar app for helpdesk {helpdesk!r} is configured here")
    answer = app.handle(AppRequest(
        method=request.method, path=path, body=request.get_data(), headers=request.headers,
        query=request.args, request_id=g.request_id,
    ))
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    response.headers.extend(answer.headers)
    return response
