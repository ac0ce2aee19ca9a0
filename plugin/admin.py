"""The admins' API: read, validate and publish the tier rules, see their history (against the version
before or the shipped rules), roll back or restore the shipped rules, and simulate a draft on past tickets. Behind CLVDESK_ADMIN_TOKEN; 503 `admin_disabled` without it."""

from __future__ import annotations

import io
import json
from typing import Annotated

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from clvdesk.analysis import analyse
from clvdesk.customers import CustomerStore
from clvdesk.defaults import SIMULATION_MAX_UPLOAD_BYTES, SIMULATION_TICKETS_SHOWN
from clvdesk.json_body import JsonBodyError, read_json
from clvdesk.rule_errors import admin_errors
from clvdesk.rule_store import RuleStore, RuleVersion, UnknownVersion, diff
from clvdesk.rules import RuleSet
from clvdesk.simulation import SimulationError, compare, read_tickets, seen_tickets, totals
from plugin.auth import require_bearer
from plugin.errors import error, invalid, json_object

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Comment = Annotated[str, StringConstraints(max_length=500)]
COMPARED = ("tier", "instrument", "amount", "needs_approval", "flagged")  # a ticket changed if any differs


class Publish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: Name
    comment: Comment = ""
    rules: dict


class Restore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: Name
    comment: Comment = ""


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: Name
    comment: Comment = ""
    version: int


@bp.before_request
@require_bearer("admin_token", "admin")
def _admins_only():
    if request.endpoint == "admin.simulate":
        request.max_content_length = SIMULATION_MAX_UPLOAD_BYTES
    return None


def rule_store() -> RuleStore:
    return RuleStore(current_app.extensions["clvdesk"].redis)


def _summary(version: RuleVersion) -> dict:
    return version.model_dump(mode="json", exclude={"rules"})


def _published(version: RuleVersion, status: int = 200):
    return jsonify(**_summary(version), rules=version.rules.model_dump(mode="json")), status


def _invalid(exc: ValidationError):
    return invalid("invalid_rules", admin_errors(exc))


def _body(model: type[BaseModel]):
    """The JSON body as `model`, or the 4xx answer to send instead."""
    data, refusal = json_object()
    if data is None:
        return None, refusal
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, _invalid(exc)


@bp.get("/rules")
def get_rules():
    store = rule_store()
    number = store.current_number()
    if number is None:
        shipped = store.current().model_dump(mode="json")
        return jsonify(number=None, author=None, comment="the rules shipped with clvdesk", rules=shipped)
    return _published(store.version(number))


@bp.put("/rules")
def put_rules():
    body, refused = _body(Publish)
    if refused:
        return refused
    try:
        rules = RuleSet.model_validate(body.rules)
    except ValidationError as exc:
        return _invalid(exc)
    return _published(rule_store().publish(rules, author=body.author, comment=body.comment), 201)


@bp.get("/rules/versions")
def versions():
    store = rule_store()
    return jsonify(current=store.current_number(), versions=[_summary(version) for version in store.history()])


@bp.get("/rules/versions/<int:number>")
def version(number: int):
    """One version with its rules and what changed against `?against=N` (default: the version before)
    or `?against=shipped` (the rules shipped with clvdesk)."""
    store = rule_store()
    shipped = request.args.get("against") == "shipped"
    against = "shipped" if shipped else request.args.get("against", type=int, default=number - 1)
    try:
        found = store.version(number)
        base = against_rules(store, against)
    except UnknownVersion as exc:
        return error(404, "not_found", str(exc))
    changes = [change.model_dump(mode="json") for change in diff(base, found.rules)] if base else []
    rules = found.rules.model_dump(mode="json")
    return jsonify(**_summary(found), rules=rules, against=against if base else None, changes=changes)


def against_rules(store: RuleStore, against: int | str) -> RuleSet | None:
    """The rules a version is compared with: version `against`, "shipped", or none before v1.
    Raises UnknownVersion for a version never published."""
    if against == "shipped":
        return store.shipped()
    return store.version(against).rules if against >= 1 else None


@bp.post("/rules/restore-shipped")
def restore_shipped():
    body, refused = _body(Restore)
    if refused:
        return refused
    return _published(rule_store().restore_shipped(author=body.author, comment=body.comment), 201)


@bp.post("/rules/rollback")
def rollback():
    body, refused = _body(Rollback)
    if refused:
        return refused
    try:
        version = rule_store().rollback(body.version, author=body.author, comment=body.comment)
    except UnknownVersion as exc:
        return error(404, "not_found", str(exc))
    return _published(version, 201)


@bp.post("/rules/simulate")
def simulate():
    """multipart/form-data: `draft` (the rules as JSON) and `tickets` (a CSV file; absent: the
    tickets clvdesk has already handled)."""
    try:
        draft = RuleSet.model_validate(read_json(request.form.get("draft", "")))
    except JsonBodyError as exc:
        return error(400, "invalid_draft", f"send the draft rules as JSON in the form field `draft`: {exc}")
    except ValidationError as exc:
        return _invalid(exc)
    upload = request.files.get("tickets")
    try:
        return jsonify(simulate_draft(draft, upload.read() if upload is not None else None))
    except SimulationError as exc:
        return error(400, "invalid_tickets", str(exc))


def simulate_draft(draft: RuleSet, upload: bytes | None) -> dict:
    """The draft against the current rules on the uploaded CSV, else on the tickets clvdesk has seen:
    the admin API's answer and the admin page's figures. Raises SimulationError for bad tickets."""
    state = current_app.extensions["clvdesk"]
    if upload is not None:
        tickets = read_tickets(io.BytesIO(upload), analyse)
    else:
        suggestions = list(state.suggestions.all())
        tickets = seen_tickets(suggestions, state.suggestions.log.outcomes(suggestions))
    keys = tickets.frame["customer"].unique().tolist()
    compared = compare(tickets, CustomerStore(state.redis).find_many(keys), rule_store().current(), draft)
    before, after = (compared[[f"{name}_{column}" for column in COMPARED]].to_numpy() for name in ("current", "draft"))
    changed = compared.loc[(before != after).any(axis=1)]
    shown = changed.head(SIMULATION_TICKETS_SHOWN).assign(created=lambda f: f["created"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return {
        "tickets": len(compared),
        "changed": len(changed),
        "totals": totals(compared, None),
        "by_tier": totals(compared, "tier"),
        "by_instrument": totals(compared, "instrument"),
        "by_month": totals(compared, "month"),
        "changed_tickets": json.loads(shown.to_json(orient="records")),
    }
