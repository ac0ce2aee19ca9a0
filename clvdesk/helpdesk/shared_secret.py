"""A webhook authenticated by a long secret in a header, for helpdesks that sign nothing (Gorgias's HTTP
integrations, Freshdesk's automation rules): the admin pastes the secret in the helpdesk, clvdesk compares.

Both sides are hashed before the constant-time comparison, so neither the time taken nor an early length
mismatch says how much of a guess was right, and every configured secret is compared (several are
configured while one is rotated) so the time does not say which matched either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from clvdesk.helpdesk.errors import WebhookAuthError


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def check_secret_header(headers: Mapping[str, str], header: str, secrets: Sequence[str]) -> None:
    """Raise WebhookAuthError unless `header` carries one of `secrets`; the message never quotes it."""
    if not secrets:
        raise WebhookAuthError("no webhook secret is configured")
    presented = headers.get(header)
    if not presented:
        raise WebhookAuthError(f"missing {header} header")
    given = _digest(presented)
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(_digest(secret), given)
    if not matched:
        raise WebhookAuthError(f"{header} matches no configured secret")
