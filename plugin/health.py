"""Liveness (the process answers), readiness (Redis answers too) and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from rq.registry import FailedJobRegistry

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    current_app.extensions["clvdesk"].redis.ping()  # unreachable: the 503 handler answers
    return jsonify(status="ready")


@bp.get("/metrics")
def metrics():
    """Counters from every process (kept in Redis), plus the queue's depth and dead letters now."""
    state = current_app.extensions["clvdesk"]
    gauges = {
        "clvdesk_queue_depth": state.queue.count,
        "clvdesk_dead_letters": FailedJobRegistry(queue=state.queue).count,
    }
    return Response(state.metrics.render(gauges), mimetype="text/plain; version=0.0.4")
