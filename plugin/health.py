"""Liveness (the process answers) and readiness (Redis answers too)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    current_app.extensions["clvdesk"].redis.ping()  # unreachable: the 503 handler answers
    return jsonify(status="ready")
