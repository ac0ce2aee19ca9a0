"""Bearer tokens: the sidebar's (CLVDESK_API_TOKEN) and the admins' (CLVDESK_ADMIN_TOKEN), each checked
in constant time. A route whose token is not configured answers 503 `<name>_disabled`."""

from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from clvdesk.settings import env_name
from plugin.errors import error


def require_bearer(setting: str, name: str):
    """Guard a view with `Authorization: Bearer <the token in settings.<setting>>`."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            token = getattr(current_app.extensions["clvdesk"].settings, setting)
            if not token:  # unset or empty: an empty token would match an empty header
                return error(503, f"{name}_disabled", f"{env_name(setting)} is not set on this server")
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            expected = token.get_secret_value().encode()
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
                response = error(401, "unauthorized", f"send Authorization: Bearer <{env_name(setting)}>")
                response.headers["WWW-Authenticate"] = 'Bearer realm="clvdesk"'
                return response
            return view(*args, **kwargs)

        return guarded

    return decorate
