"""The admin page at /admin: a support admin edits the tier rules in a form (or as JSON), simulates
the draft on past tickets, publishes it, sees the history, compares a version with the shipped rules,
rolls back or restores the shipped rules, and reads the outcome report (tables, charts, CSV).

Server-rendered HTML, signed in with CLVDESK_ADMIN_TOKEN (plugin.admin_session); every POST carries
a CSRF token. Validation, simulation, publishing, rollback and the report's figures are the admin
API's own functions, so the page and the API cannot disagree.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from clvdesk.defaults import ADMIN_FORM_MAX_PARTS, SIMULATION_MAX_UPLOAD_BYTES
from clvdesk.json_body import JsonBodyError, MalformedJson, read_json
from clvdesk.money import format_money
from clvdesk.rule_errors import admin_errors
from clvdesk.rule_store import UnknownVersion, diff
from clvdesk.rules import RuleSet
from clvdesk.sign_in_attempts import SignInAttempts
from clvdesk.simulation import SimulationError
from plugin import admin_session
from plugin.admin import against_rules, rule_store, simulate_draft
from plugin.admin_changes import changed_tickets
from plugin.admin_chart import spend_chart
from plugin.admin_form import FormNameError, field_id, flatten, form_values, page_message, places, sections, shown, unflatten
from plugin.admin_report import report_csv, report_view
from plugin.errors import error
from plugin.report import RangeError, report_for, report_range

bp = Blueprint(
    "admin_page",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static/admin",
    static_url_path="/static",
)
# No inline script or style anywhere on these pages: everything comes from /admin/static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
OPEN = ("admin_page.login", "admin_page.static")  # reachable without signing in


@bp.record_once
def _sessions(state) -> None:
    admin_session.install(state.app)


@bp.before_request
def _guard():
    if request.endpoint == "admin_page.static":
        return None
    admin_session.raise_session_outage()
    if not admin_session.admin_token():
        return render_template("admin/message.html", title="The admin page is disabled",
                               message="Set CLVDESK_ADMIN_TOKEN on the server to use it, as for the admin API."), 503
    # The session comes from the cookie alone: a post from someone not signed in is turned away before
    # its body is read, and only a signed-in editor post may be larger than the app's 1 MiB.
    if request.endpoint not in OPEN and not admin_session.signed_in():
        return redirect(url_for("admin_page.login"))
    if request.method == "POST":
        if request.endpoint == "admin_page.editor":
            request.max_content_length = SIMULATION_MAX_UPLOAD_BYTES  # a CSV of past tickets may come along
            request.max_form_parts = ADMIN_FORM_MAX_PARTS  # one input per setting, many tiers
        if not admin_session.csrf_ok():
            return render_template("admin/message.html", title="This form has expired",
                                   message="The form was missing its security token or carried a wrong one (CSRF "
                                           "protection). Go back, reload the page and submit it again."), 400
    return None


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.app_template_global()
def csrf_token() -> str:
    return admin_session.csrf_token()


bp.add_app_template_global(admin_session.signed_in, "signed_in")  # the base template shows the nav to the signed-in


@bp.app_template_filter("money")
def _money(value: float, currency: str) -> str:
    return format_money(value, currency)


@bp.app_template_filter("when")
def _when(value: datetime) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        attempts, address = SignInAttempts(current_app.extensions["clvdesk"].redis), request.remote_addr or "unknown"
        wait = attempts.take_try(address)
        if wait:
            minutes = -(-wait // 60)
            error = f"Too many wrong tokens from this address. Try again in {minutes} minute{'s' * (minutes != 1)}."
            return render_template("admin/login.html", error=error), 429, {"Retry-After": str(wait)}
        if admin_session.token_matches(request.form.get("token", "")):
            attempts.succeeded(address)
            admin_session.sign_in()
            return redirect(url_for("admin_page.editor_page"))
        return render_template("admin/login.html", error="That is not the admin token. Check CLVDESK_ADMIN_TOKEN."), 401
    if admin_session.signed_in():
        return redirect(url_for("admin_page.editor_page"))
    return render_template("admin/login.html")


@bp.post("/logout")
def logout():
    admin_session.sign_out()
    return redirect(url_for("admin_page.login"))


def _editor(status: int = 200, *, values: dict, draft: dict, text: str, errors: list[dict], mode: str, **extra):
    store = rule_store()
    number = store.current_number()
    placed = {}
    for entry in errors:
        placed.setdefault(entry["path"], []).append(entry["message"])
    parts = sections(draft)
    where = {**places(parts), "rules_json": "The draft as JSON"}
    return render_template(
        "admin/editor.html",
        sections=parts,
        values=values,
        errors=placed,
        error_list=[{**entry, "id": field_id(entry["path"]), "where": where.get(entry["path"], entry["path"])} for entry in errors],
        rules_json=text,
        mode=mode,
        current=store.version(number) if number else None,
        currency=draft.get("currency") if isinstance(draft.get("currency"), str) else "USD",
        **extra,
    ), status


@bp.get("")
def editor_page():
    rules = rule_store().current().model_dump(mode="json", exclude={"version"})
    return _editor(values=flatten(rules), draft=rules, text=json.dumps(rules, indent=2), errors=[], mode="form")


@bp.post("")
def editor():
    """Check, simulate or publish the draft from the form (mode=form) or the JSON view (mode=json)."""
    mode = "json" if request.form.get("mode") == "json" else "form"
    action = request.form.get("action", "check")
    text = request.form.get("rules_json", "")
    if mode == "json":
        try:
            draft = read_json(text)
        except JsonBodyError as exc:
            problem = {"path": "rules_json", "message": f"is {exc}" if isinstance(exc, MalformedJson) else str(exc)}
            return _editor(400, values={}, draft={}, text=text, errors=[problem], mode=mode)
        values = flatten(draft) if isinstance(draft, dict) else {}
    else:
        try:
            draft = unflatten(request.form)
        except FormNameError as exc:
            return render_template("admin/message.html", title="This form cannot be read", message=str(exc)), 400
        values = form_values(request.form)
        text = json.dumps(draft, indent=2)
    try:
        rules = RuleSet.model_validate(draft)
    except ValidationError as exc:
        errors = [{"path": e["path"], "message": page_message(e["path"], e["message"])} for e in admin_errors(exc)]
        return _editor(422, values=values, draft=draft if isinstance(draft, dict) else {}, text=text, errors=errors, mode=mode)
    if action == "publish":
        version = rule_store().publish(rules, **_who())
        flash(f"Published version v{version.number}. Workers use it from their next ticket.")
        return redirect(url_for("admin_page.editor_page"), 303)
    extra: dict = {"checked": action == "check"}
    if action == "simulate":
        upload = request.files.get("tickets")
        data = upload.read() if upload is not None and upload.filename else None
        try:
            result = simulate_draft(rules, data)
            labels = {tier.name: tier.label for tier in (*rule_store().current().tiers, *rules.tiers)}
            extra.update(simulation=result, chart=spend_chart(result["by_tier"], rules.currency, labels),
                         changed_tickets=changed_tickets(result["changed_tickets"], rule_store().current(), rules))
        except SimulationError as exc:
            extra.update(simulation_error=str(exc))
    return _editor(values=values, draft=draft, text=text, errors=[], mode=mode, **extra)


@bp.get("/history")
def history():
    store = rule_store()
    return render_template("admin/history.html", versions=store.history(), current=store.current_number())


@bp.get("/history/<int:number>")
def version(number: int):
    """One version and what it changed against the version before, or with `?against=shipped`
    against the rules shipped with clvdesk."""
    store = rule_store()
    against = "shipped" if request.args.get("against") == "shipped" else "previous"
    try:
        found = store.version(number)
        before = against_rules(store, "shipped" if against == "shipped" else number - 1)
    except UnknownVersion as exc:
        return render_template("admin/message.html", title="No such version", message=str(exc)), 404
    where = places(sections(found.rules.model_dump(mode="json")))
    changes = [
        {"path": change.path, "where": where.get(change.path, ""), "before": shown(change.path, change.before),
         "after": shown(change.path, change.after)}
        for change in (diff(before, found.rules) if before else [])
    ]
    return render_template("admin/version.html", version=found, changes=changes, current=store.current_number(),
                           against=against)


@bp.post("/rollback")
def rollback():
    number = request.form.get("version", type=int)
    try:
        version = rule_store().rollback(number or 0, **_who())
    except UnknownVersion as exc:
        return render_template("admin/message.html", title="No such version", message=str(exc)), 404
    flash(f"Rolled back: version v{version.number} has the rules of v{number}.")
    return redirect(url_for("admin_page.history"), 303)


@bp.post("/restore-shipped")
def restore_shipped():
    version = rule_store().restore_shipped(**_who())
    flash(f"Restored the shipped rules: version v{version.number} has the rules shipped with clvdesk.")
    return redirect(url_for("admin_page.history"), 303)


def _who() -> dict[str, str]:
    """Who publishes (a draft, a rollback, a restore) and why, from the form, as the history shows them."""
    return {"author": request.form.get("author", "").strip()[:80] or "admin",
            "comment": request.form.get("comment", "").strip()[:500]}


def _dates() -> dict[str, str]:
    """The range form's fields as typed; an empty one means its default."""
    return {name: request.args.get(name, "").strip()[:40] for name in ("from", "to")}


@bp.get("/report")
def report():
    """The outcome report for a date range: tables and charts, and a link to the same figures as CSV."""
    typed = _dates()
    try:
        start, end = report_range({name: value for name, value in typed.items() if value})
    except RangeError as exc:
        return render_template("admin/report.html", typed=typed, range_error={"field": exc.field, "message": str(exc)}), 400
    return render_template("admin/report.html", typed={"from": start.isoformat(), "to": end.isoformat()},
                           report=_report(start, end))


@bp.get("/report.csv")
def report_download():
    """The report page's figures as a CSV file; a bad range is a 400 saying what is wrong, as in the API."""
    try:
        start, end = report_range({name: value for name, value in _dates().items() if value})
    except RangeError as exc:
        return error(400, "invalid_range", str(exc))
    return Response(report_csv(_report(start, end)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="clvdesk-report-{start}-{end}.csv"'})


def _report(start: date, end: date) -> dict:
    """The outcome report's figures laid out for the page, tiers named as in the rules in force (else shipped)."""
    store = rule_store()
    tiers = {tier.name: tier.label for rules in (store.shipped(), store.current()) for tier in rules.tiers}
    return report_view(report_for(start, end), tiers)
