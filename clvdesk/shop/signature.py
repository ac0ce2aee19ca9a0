"""The signature both shops put on a webhook: base64 of HMAC-SHA256 over the raw body, keyed with the app's
(Shopify) or the webhook's (WooCommerce) secret. Every configured secret is tried (several while one is
rotated) with a constant-time comparison, so the time taken says nothing of which matched or how closely."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from clvdesk.helpdesk.errors import WebhookAuthError


def sign(secret: str, body: bytes) -> str:
    """The header value a shop sends with `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def check_signature(headers: Mapping[str, str], header: str, body: bytes, secrets: Sequence[str]) -> None:
    """Raise WebhookAuthError unless `header` is the signature of `body` with one of `secrets`; the
    message never quotes the signature or a secret."""
    if not secrets:
        raise WebhookAuthError("no webhook secret is configured")
    presented = headers.get(header)
    if not presented:
        raise WebhookAuthError(f"missing {header} header")
    if not body:
        raise WebhookAuthError("an empty body carries no signature")
    given = presented.strip().encode()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(sign(secret, body).encode(), given)
    if not matched:
        raise WebhookAuthError(f"{header} is not the HMAC-SHA256 of the body with any configured secret")
