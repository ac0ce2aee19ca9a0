"""/admin/preview/<helpdesk>/<ticket_id>: the real sidebar app for any ticket, outside the helpdesk.

For the demo and for admins checking what a rule change does to a ticket. The page is the app's own
assets/iframe.html and main.js, with the helpdesk's SDK replaced by a shipped stand-in of its app
client (Zendesk: plugin/static/preview/zaf_client.js and zaf_preview.js), which answers the app from
the page: the ticket id from the URL, the agent's locale from ?locale= (else the browser's). The app's calls to clvdesk's
API come back here, to the API's own views, authorised by the admin page's session (its cookie is
limited to /admin, hence this prefix): no token reaches the page. Signed-in admins only; the preview
records no outcomes.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, request, send_from_directory, url_for

from clvdesk.app_package import package_files
from clvdesk.helpdesk import REGISTRY
from plugin import admin_session, api
from plugin.errors import error

APP_ROOT = Path(__file__).resolve().parent.parent  # the Zendesk app's checkout: manifest, assets/, translations/
ASSETS = APP_ROOT / "assets"
# the helpdesks whose sidebar app can be previewed: the scripts that stand in for their app client's SDK
CLIENTS = {"zendesk": ("zaf_client.js", "zaf_preview.js")}
SDK_SCRIPT = re.compile(r'<script src="https://static\.zdassets\.com/[^"]+"></script>')  # ZAF's, in iframe.html
_LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?")
DEFAULT_LOCALE = "en-US"
CSP = (  # iframe.html styles itself inline; scripts come from this server only; the chooser's form stays here
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

bp = Blueprint("preview", __name__, url_prefix="/admin/preview", static_folder="static/preview",
               static_url_path="/client")


@bp.before_request
def _guard():
    admin_session.raise_session_outage()
    if not admin_session.admin_token():
        return error(503, "admin_disabled", "set CLVDESK_ADMIN_TOKEN on the server to use the sidebar preview")
    if not admin_session.signed_in():
        if request.endpoint in ("preview.page", "preview.index"):
            return redirect(url_for("admin_page.login"))
        return error(401, "unauthorized", "sign in on the admin page (/admin/login) to use the sidebar preview")
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    return response


def _locale() -> str:
    asked = request.args.get("locale") or request.accept_languages.best or DEFAULT_LOCALE
    return asked if _LOCALE.fullmatch(asked) else DEFAULT_LOCALE


@bp.get("/")
def index():
    """The admin page's way in: choose a ticket (and the agent's language) to see the sidebar for."""
    ticket_id = request.args.get("ticket_id", "").strip()
    if ticket_id:
        locale = request.args.get("locale", "").strip()
        return redirect(url_for("preview.page", helpdesk=request.args.get("helpdesk", "zendesk"), ticket_id=ticket_id,
                                **({"locale": locale} if locale else {})))
    return render_template("admin/preview.html", helpdesks=list(CLIENTS))


@bp.get("/<helpdesk>/<ticket_id>")
def page(helpdesk: str, ticket_id: str):
    if helpdesk not in CLIENTS:
        return render_template("admin/message.html", title="No sidebar preview for this helpdesk",
                               message=f"The preview shows the sidebar app of: {', '.join(CLIENTS)}."), 404
    try:
        REGISTRY[helpdesk].ticket_id(ticket_id)
    except ValueError as exc:
        return render_template("admin/message.html", title="Not a ticket id", message=f"Ticket id {exc}."), 400
    if not (ASSETS / "iframe.html").is_file():
        return render_template("admin/message.html", title="The sidebar app is not installed here",
                               message="The preview serves the Zendesk app's files (assets/ of a clvdesk "
                                       "checkout), which this server lacks: run it from a checkout."), 503
    root = request.script_root + bp.url_prefix
    config = {"helpdesk": helpdesk, "ticket_id": ticket_id, "locale": _locale(), "service_url": root}
    head = (f'<head>\n  <base href="{root}/assets/">\n'
            f'  <meta name="clvdesk-preview" content="{html.escape(json.dumps(config))}">')
    client = "\n  ".join(f'<script src="{url_for("preview.static", filename=name)}"></script>' for name in CLIENTS[helpdesk])
    page_html, replaced = SDK_SCRIPT.subn(client, (ASSETS / "iframe.html").read_text(encoding="utf-8"), count=1)
    if not replaced:
        raise RuntimeError(f"{ASSETS / 'iframe.html'} no longer loads the ZAF SDK: the preview cannot stand in for it")
    return Response(page_html.replace("<head>", head, 1), content_type="text/html; charset=utf-8")


@bp.get("/assets/<path:name>")
def asset(name: str):
    """The app's file as `clvdesk app package` zips it (the language files as assets/locales/)."""
    path = package_files(APP_ROOT).get(f"assets/{name}")
    if path is None:
        return error(404, "not_found", f"the sidebar app has no file assets/{name[:80]}")
    return send_from_directory(path.parent, path.name)


@bp.get("/api/v1/<helpdesk>/tickets/<ticket_id>/suggestion")
def suggestion(helpdesk: str, ticket_id: str):
    return api.suggestion.__wrapped__(helpdesk, ticket_id)  # the API's own view; the session stands in for its token


@bp.route("/api/v1/<helpdesk>/tickets/<ticket_id>/<path:action>", methods=["POST"])
def read_only(helpdesk: str, ticket_id: str, action: str):
    return error(403, "preview_read_only", "the preview records nothing: record outcomes in the helpdesk's sidebar")
