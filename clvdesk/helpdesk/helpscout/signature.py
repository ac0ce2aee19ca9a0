"""Help Scout's signatures: base64(HMAC-SHA1(secret, raw body)) in X-HelpScout-Signature, checked in constant time.

Webhooks and the Dynamic App sign alike, each with its own secret ("It works exactly like how we
handle webhooks": developer.helpscout.com/apps/legacy-custom-apps/dynamic/). The check runs over the
bytes as received: parsed and serialised again, a body loses the order and spacing it was signed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from clvdesk.helpdesk.errors import WebhookAuthError

SIGNATURE_HEADER = "X-HelpScout-Signature"


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha1).digest()


def compute_signature(secret: str, body: bytes) -> str:
    """The signature Help Scout sends for `body`: 28 characters of base64, not hex."""
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def verify_signature(body: bytes, signature: str | None, secret: str | None) -> None:
    """Raise WebhookAuthError unless `secret` signed `body`."""
    if not secret:
        raise WebhookAuthError("no Help Scout secret is configured")
    if not signature:
        raise WebhookAuthError(f"missing {SIGNATURE_HEADER} header")
    try:
        received = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookAuthError(f"{SIGNATURE_HEADER} is not base64") from None
    if not hmac.compare_digest(_digest(secret, body), received):
        raise WebhookAuthError(f"{SIGNATURE_HEADER} does not match the body for the configured secret")
