"""The web process: a thin Flask shell over clvdesk's domain package."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from redis import Redis
from rq import Queue

from clvdesk.connection import connect, redis_url
from clvdesk.defaults import MAX_WEBHOOK_BYTES
from clvdesk.settings import Settings, load_settings
from clvdesk.suggestions import SuggestionStore
from plugin import api, health, webhooks
from plugin.errors import register_error_handlers
from workers.queue import event_queue


@dataclass(frozen=True)
class AppState:
    settings: Settings
    redis: Redis
    queue: Queue
    suggestions: SuggestionStore


def create_app(settings: Settings | None = None, *, redis: Redis | None = None) -> Flask:
    """Build the web app; settings come from the environment unless given (as tests do)."""
    settings = settings or load_settings()
    settings.require_receiver()
    redis = redis or connect(redis_url(settings))

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    app.json.sort_keys = False
    app.extensions["clvdesk"] = AppState(settings, redis, event_queue(redis), SuggestionStore(redis))
    register_error_handlers(app)
    for blueprint in (webhooks.bp, api.bp, health.bp):
        app.register_blueprint(blueprint)
    return app
