"""The web process: a thin Flask shell over clvdesk's domain package."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, g, request
from redis import Redis
from rq import Queue

from clvdesk.connection import connect, redis_url
from clvdesk.defaults import MAX_WEBHOOK_BYTES
from clvdesk.metrics import Metrics
from clvdesk.settings import Settings, load_settings
from clvdesk.suggestions import SuggestionStore
from plugin import admin, admin_page, api, health, report, webhooks
from plugin.cors import register_cors
from plugin.errors import register_error_handlers
from workers.queue import event_queue

# The API answers JSON only and is framed by no one; the sidebar page sets its own policy.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class AppState:
    settings: Settings
    redis: Redis
    queue: Queue
    suggestions: SuggestionStore
    metrics: Metrics


def create_app(settings: Settings | None = None, *, redis: Redis | None = None) -> Flask:
    """Build the web app; settings come from the environment unless given (as tests do)."""
    settings = settings or load_settings()
    settings.require_receiver()
    redis = redis or connect(redis_url(settings))

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    app.json.sort_keys = False
    app.extensions["clvdesk"] = AppState(settings, redis, event_queue(redis), SuggestionStore(redis), Metrics(redis))
    register_error_handlers(app)

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def _headers(response):
        response.headers["X-Request-Id"] = g.request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    for blueprint in (webhooks.bp, api.bp, report.bp, admin.bp, admin_page.bp, health.bp):
        app.register_blueprint(blueprint)
    register_cors(app)
    return app
