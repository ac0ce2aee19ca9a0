"""The admin page's sessions, kept in Redis, and the key that signs their cookies.

The cookie carries only a random session id (and the form's CSRF token), signed with a secret key that
has nothing to do with the admin token: CLVDESK_SECRET_KEY, else one generated once and kept in Redis
(SET NX) so every web process signs alike. A cookie therefore reveals nothing to test token guesses
against offline. Each session stores a fingerprint of the admin token it signed in with, so changing
the token ends every session; signing out deletes the session, so its cookie is worthless after.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from redis import Redis

from clvdesk.defaults import ADMIN_SECRET_KEY_BYTES, ADMIN_SESSION_HOURS, KEY_PREFIX

_FINGERPRINT_PURPOSE = b"clvdesk admin session: admin token fingerprint v1"


class AdminSessions:
    def __init__(self, redis: Redis, *, secret_key: str | None = None, prefix: str = KEY_PREFIX,
                 lifetime_seconds: int = ADMIN_SESSION_HOURS * 3600):
        self._redis = redis
        self._secret_key = secret_key
        self._key_key = f"{prefix}:admin:secret-key"
        self._session_prefix = f"{prefix}:admin:session"
        self._lifetime = lifetime_seconds

    def secret_key(self) -> str:
        """CLVDESK_SECRET_KEY, else the one in Redis, made by whichever process asked first (read once)."""
        if self._secret_key is None:
            with self._redis.pipeline(transaction=True) as pipe:  # SET NX GET in one: Redis 6.2 has no NX with GET
                pipe.set(self._key_key, secrets.token_urlsafe(ADMIN_SECRET_KEY_BYTES), nx=True)
                pipe.get(self._key_key)
                _, stored = pipe.execute()
            self._secret_key = stored.decode()
        return self._secret_key

    def _fingerprint(self, admin_token: str) -> str:
        """Keyed: with CLVDESK_SECRET_KEY set, Redis holds nothing a token guess could be checked against."""
        return hmac.new(self.secret_key().encode(), _FINGERPRINT_PURPOSE + admin_token.encode(), hashlib.sha256).hexdigest()

    def _key(self, session_id: str) -> str:
        return f"{self._session_prefix}:{session_id}"

    def create(self, admin_token: str) -> str:
        """A new session for a right sign-in with `admin_token`; returns its id for the cookie."""
        session_id = secrets.token_urlsafe(32)
        self._redis.set(self._key(session_id), self._fingerprint(admin_token), ex=self._lifetime)
        return session_id

    def valid(self, session_id: str, admin_token: str) -> bool:
        """Whether the session exists, has not expired, and began with the admin token now configured."""
        stored = self._redis.get(self._key(session_id))
        return stored is not None and hmac.compare_digest(stored, self._fingerprint(admin_token).encode())

    def end(self, session_id: str) -> None:
        self._redis.delete(self._key(session_id))
