"""CORS for the sidebar API: only Zendesk's origins (the agent interface and the apps' iframes) may call
it from a browser; every other origin gets no Access-Control-Allow-Origin. The sidebar itself calls
through Zendesk's server-side proxy, which needs no CORS; this serves apps that call directly."""

from __future__ import annotations

import re

from flask import Flask, request

from clvdesk.defaults import CORS_ALLOWED_ORIGINS, CORS_MAX_AGE_SECONDS

ALLOWED = re.compile("|".join(f"(?:{pattern})" for pattern in CORS_ALLOWED_ORIGINS))
SIDEBAR_API = re.compile(r"/api/v1/[a-z0-9_-]+/tickets/")  # /api/v1/<helpdesk>/tickets/...


def register_cors(app: Flask) -> None:
    @app.after_request
    def _cors(response):
        if not SIDEBAR_API.match(request.path):
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin", "")
        if not ALLOWED.fullmatch(origin):
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
        return response
