"""Zendesk webhook signatures: base64(HMAC-SHA256(secret, timestamp + raw body)), checked in constant time.

Zendesk signs every webhook request with the webhook's signing secret and sends the result in
X-Zendesk-Webhook-Signature, with the signed timestamp in X-Zendesk-Webhook-Signature-Timestamp.
Several secrets may be configured at once, so that a secret can be rotated without dropping events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timezone

from clvdesk.defaults import WEBHOOK_TOLERANCE_SECONDS
from clvdesk.helpdesk.errors import WebhookAuthError

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


class SignatureVerificationError(WebhookAuthError):
    """The request is not provably from Zendesk; the message says which check failed."""


def compute_signature(secret: str, timestamp: str, payload: bytes) -> str:
    """The signature Zendesk would send for this payload, as base64 text."""
    digest = hmac.new(secret.encode(), timestamp.encode() + payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_digest(timestamp: str, payload: bytes) -> str:
    """A digest of exactly what the signature covers: the same for every replay of one signed request,
    whatever else (the invocation id, the signature's spelling in base64) a replayer changes."""
    return hashlib.sha256(timestamp.encode() + payload).hexdigest()


def parse_timestamp(timestamp: str) -> datetime:
    """Zendesk's timestamps are ISO-8601 in UTC, e.g. 2026-11-23T17:02:52Z."""
    try:
        parsed = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise SignatureVerificationError(f"{TIMESTAMP_HEADER} is not an ISO-8601 time: {timestamp[:40]!r}") from None
    if parsed.tzinfo is None:
        raise SignatureVerificationError(f"{TIMESTAMP_HEADER} has no time zone: {timestamp[:40]!r}")
    return parsed


def verify_signature(
    payload: bytes,
    signature: str | None,
    timestamp: str | None,
    secrets: Sequence[str],
    *,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
    now: datetime | None = None,
) -> None:
    """Raise SignatureVerificationError unless one of `secrets` signed `timestamp + payload` recently."""
    if not secrets:
        raise SignatureVerificationError("no webhook signing secret is configured")
    if not signature:
        raise SignatureVerificationError(f"missing {SIGNATURE_HEADER} header")
    if not timestamp:
        raise SignatureVerificationError(f"missing {TIMESTAMP_HEADER} header")

    signed_at = parse_timestamp(timestamp)
    skew = ((now or datetime.now(timezone.utc)) - signed_at).total_seconds()
    if skew > tolerance:
        raise SignatureVerificationError(f"timestamp is {skew:.0f} s old, beyond the {tolerance} s tolerance")
    if skew < -tolerance:
        raise SignatureVerificationError(f"timestamp is {-skew:.0f} s in the future, beyond the {tolerance} s tolerance")

    try:
        received = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureVerificationError(f"{SIGNATURE_HEADER} is not base64") from None

    # Compare against every secret, without stopping early, so timing says nothing about which matched.
    matched = False
    for secret in secrets:
        expected = base64.b64decode(compute_signature(secret, timestamp, payload))
        matched |= hmac.compare_digest(expected, received)
    if not matched:
        raise SignatureVerificationError("signature does not match the payload for any configured secret")
