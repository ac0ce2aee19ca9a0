"""The admin page's sign-in: a signed session cookie and a CSRF token per session.

The cookie is Flask's signed session, keyed by a secret derived from CLVDESK_ADMIN_TOKEN, so changing
the token signs everyone out; it is HttpOnly, SameSite=Strict, limited to /admin and Secure when the
request came over https. Every POST carries the session's CSRF token in a form field, compared in
constant time. Written here rather than with Flask-WTF: one token per session and one comparison
are all the page needs, and a dependency for them would bring form classes the page does not use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from clvdesk.defaults import ADMIN_SESSION_HOURS

COOKIE = "clvdesk_admin"
CSRF_FIELD = "csrf_token"
_KEY_PURPOSE = b"clvdesk admin page session v1"


def admin_token(app: Flask | None = None) -> str | None:
    token = (app or current_app).extensions["clvdesk"].settings.admin_token
    return token.get_secret_value() if token else None


class AdminSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed with a key derived from the admin token (none without it)."""

    salt = "clvdesk-admin-session"

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        token = admin_token(app)
        if not token:
            return None
        key = hmac.new(token.encode(), _KEY_PURPOSE, hashlib.sha256).hexdigest()
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
    app.session_interface = AdminSessions()
    app.permanent_session_lifetime = timedelta(hours=ADMIN_SESSION_HOURS)


def token_matches(given: str) -> bool:
    token = admin_token()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def sign_in() -> None:
    session.clear()
    session.permanent = True
    session["admin"] = True
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out() -> None:
    session.clear()


def signed_in() -> bool:
    return session.get("admin") is True


def csrf_token() -> str:
    """This session's token, made on first use (the sign-in form needs one before signing in)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_ok() -> bool:
    expected = session.get(CSRF_FIELD, "")
    given = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
