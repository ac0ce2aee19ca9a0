"""The web process: a thin Flask shell over clvdesk's domain package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Flask, g, request
from redis import Redis
from werkzeug.middleware.proxy_fix import ProxyFix
from rq import Queue

from clvdesk.connection import connect, redis_url
from clvdesk.defaults import MAX_WEBHOOK_BYTES
from clvdesk.logs import configure_logging
from clvdesk.metrics import Metrics
from clvdesk.helpdesk import configured
from clvdesk.helpdesk.interface import WebhookAdapter
from clvdesk.receiver import WebhookReceiver
from clvdesk.settings import Settings, load_settings
from clvdesk.helpdesk.apps import SidebarApp
from clvdesk.suggestions import SuggestionStore
from plugin import admin, admin_page, api, apps, health, preview, report
from plugin.cors import register_cors
from plugin.errors import register_error_handlers
from plugin.headers import REQUEST_ID_HEADER, SECURITY_HEADERS, request_id
from plugin.webhooks import WebhookEndpoint
from plugin import shop_webhooks
from workers.queue import EventEnqueuer, event_queue


@dataclass(frozen=True)
class AppState:
    settings: Settings
    redis: Redis
    queue: Queue
    suggestions: SuggestionStore
    metrics: Metrics
    adapters: dict[str, WebhookAdapter]  # the configured helpdesks' webhook side, by name
    apps: Mapping[str, SidebarApp] = field(default_factory=dict)  # each helpdesk's own sidebar endpoint


def create_app(settings: Settings | None = None, *, redis: Redis | None = None) -> Flask:
    """Build the web app; settings come from the environment unless given (as tests do).

    Called without settings, as gunicorn does, it also sets up clvdesk's JSON logs.
    """
    if settings is None:
        settings = load_settings()
        configure_logging(settings.log_level)
    helpdesks = configured("the web process")
    adapters = {name: entry.webhook(own) for name, (entry, own) in helpdesks.items()}
    settings.require_receiver()
    redis = redis or connect(redis_url(settings))
    sidebars = {name: entry.sidebar(own, redis) for name, (entry, own) in helpdesks.items() if entry.sidebar}

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BYTES
    app.json.sort_keys = False
    metrics = Metrics(redis)
    sidebars = {name: entry.sidebar(own, redis) for name, (entry, own) in helpdesks.items() if entry.sidebar}
    app.extensions["clvdesk"] = AppState(
        settings, redis, event_queue(redis), SuggestionStore(redis), metrics, adapters,
        {name: sidebar for name, sidebar in sidebars.items() if sidebar is not None},
    )
    register_error_handlers(app)

    @app.before_request
    def _request_id():
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _headers(response):
        response.headers[REQUEST_ID_HEADER] = g.request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    for blueprint in (api.bp, report.bp, admin.bp, admin_page.bp, preview.bp, apps.bp, health.bp):
        app.register_blueprint(blueprint)
    register_cors(app)
    enqueuer = EventEnqueuer(redis, metrics, timeout=settings.job_timeout_seconds)
    app.wsgi_app = WebhookEndpoint(app.wsgi_app, WebhookReceiver(adapters, enqueuer, metrics))
    app.wsgi_app = shop_webhooks.in_front(app.wsgi_app, redis, metrics, timeout=settings.job_timeout_seconds)
    if settings.trusted_proxies:  # the client's address and scheme as the proxies saw them
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app
