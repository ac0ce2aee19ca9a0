"""The failures of talking to a helpdesk, common to every vendor, so callers catch them without knowing which."""

from __future__ import annotations

from clvdesk.defaults import HTTP_ERROR_BODY_MAX_CHARS


class HelpdeskError(Exception):
    """Base of every failure talking to the helpdesk, so callers can catch one type."""


class HelpdeskRequestError(HelpdeskError):
    """The helpdesk refused the request (a 4xx other than 429): sending it again will not help."""

    def __init__(self, method: str, path: str, status: int, body: str):
        self.method, self.path, self.status = method, path, status
        self.body = body[:HTTP_ERROR_BODY_MAX_CHARS]
        super().__init__(f"{method} {path} answered {status}: {self.body}")


class AmbiguousWrite(HelpdeskError):
    """A write that is not safe to repeat failed after it was sent (its answer was lost, cut, late, or
    a 5xx that may come after the helpdesk applied it): it may have been applied. Not retried; the
    caller looks for its effect before writing again."""

    def __init__(self, method: str, path: str, status: int | None, reason: str):
        self.method, self.path, self.status = method, path, status
        super().__init__(f"{method} {path} may have been applied: {reason}")


class HelpdeskUnavailable(HelpdeskError):
    """The helpdesk stayed busy or unreachable through every attempt: worth trying again later."""

    def __init__(self, method: str, path: str, status: int | None, attempts: int, reason: str):
        self.method, self.path, self.status, self.attempts = method, path, status, attempts
        super().__init__(f"{method} {path} failed after {attempts} attempt(s): {reason}")


class WebhookAuthError(Exception):
    """A webhook delivery is not provably from the helpdesk account; the message says which check failed."""
