"""The admin page's sign-in: a signed session cookie and a CSRF token per session.

The cookie is Flask's signed session, keyed by the secret key (clvdesk.admin_sessions), never by the
admin token, so a cookie cannot be used to test token guesses offline. It holds the id of a session
kept in Redis, which signing out deletes and a change of admin token invalidates; it is HttpOnly,
SameSite=Strict, limited to /admin and Secure when the request came over https. Every POST carries
the session's CSRF token in a form field, compared in constant time. Written here rather than with
Flask-WTF: one token per session and one comparison are all the page needs, and a dependency for
them would bring form classes the page does not use.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from redis.exceptions import RedisError

from clvdesk.admin_sessions import AdminSessions
from clvdesk.defaults import ADMIN_SESSION_HOURS

COOKIE = "clvdesk_admin"
CSRF_FIELD = "csrf_token"
SESSION_ID = "sid"


def admin_token(app: Flask | None = None) -> str | None:
    token = (app or current_app).extensions["clvdesk"].settings.admin_token
    return token.get_secret_value() if token else None


class AdminCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed with the secret key (none without an admin token)."""

    salt = "clvdesk-admin-session"

    def __init__(self, store: AdminSessions):
        self.store = store

    def open_session(self, app: Flask, request):
        """Without a cookie there is nothing to verify: the API's requests never need the key. With Redis
        out of reach the key cannot be read: the session is empty, and the view's own use of Redis meets
        the outage's 503 (an error here, before any handler, would be a 500)."""
        if admin_token(app) and not request.cookies.get(COOKIE):
            return self.session_class()
        try:
            return super().open_session(app, request)
        except RedisError as exc:
            g.session_outage = exc  # raised again by raise_session_outage(), where the 503 handler answers it
            return self.session_class()

    def save_session(self, app: Flask, session, response) -> None:
        if "session_outage" not in g:
            super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not admin_token(app):
            return None
        key = self.store.secret_key()
        signer = {"key_derivation": self.key_derivation, "digest_method": self.digest_method}
        return URLSafeTimedSerializer(key, salt=self.salt, serializer=self.serializer, signer_kwargs=signer)

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE

    def get_cookie_path(self, app: Flask) -> str:
        return "/admin"

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def install(app: Flask) -> None:
    state = app.extensions["clvdesk"]
    secret_key = state.settings.secret_key
    app.session_interface = AdminCookies(AdminSessions(
        state.redis, secret_key=secret_key.get_secret_value() if secret_key else None))
    app.permanent_session_lifetime = timedelta(hours=ADMIN_SESSION_HOURS)


def raise_session_outage() -> None:
    """Raise the Redis error that kept this request's session from being read, if one did."""
    if "session_outage" in g:
        raise g.session_outage


def token_matches(given: str) -> bool:
    token = admin_token()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def _store() -> AdminSessions:
    return current_app.session_interface.store


def sign_in() -> None:
    """A fresh session (new id and CSRF token), so that nothing from before the sign-in carries over."""
    session.clear()
    session.permanent = True
    session[SESSION_ID] = _store().create(admin_token())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out() -> None:
    if SESSION_ID in session:
        _store().end(session[SESSION_ID])
    session.clear()


def signed_in() -> bool:
    token, session_id = admin_token(), session.get(SESSION_ID)
    return bool(token) and isinstance(session_id, str) and _store().valid(session_id, token)


def csrf_token() -> str:
    """This session's token, made on first use (the sign-in form needs one before signing in)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_ok() -> bool:
    expected = session.get(CSRF_FIELD, "")
    given = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
