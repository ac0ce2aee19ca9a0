"""The baseline for the ingest benchmark: a Flask endpoint that only LPUSHes the raw body to Redis."""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

from clvdesk.connection import connect


def create_app() -> Flask:
    app = Flask(__name__)
    redis = connect(os.environ["CLVDESK_REDIS_URL"])

    @app.post("/webhooks/bare")
    def bare():
        redis.lpush("bench:bare", request.get_data())
        return jsonify(status="queued"), 202

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
