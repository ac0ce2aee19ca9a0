"""Signature verification, one test per way it can fail, each with its message."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from clvdesk.helpdesk.zendesk.signature import SignatureVerificationError, compute_signature, verify_signature

SECRET = "dGhpc19zZWNyZXRfaXNfbm90X3JlYWw="
PAYLOAD = b'{"ticket_id": "42"}'
NOW = datetime(2026, 11, 23, 17, 0, 0, tzinfo=timezone.utc)
STAMP = "2026-11-23T17:00:00Z"


def check(signature, timestamp, secrets=(SECRET,), payload=PAYLOAD, now=NOW):
    verify_signature(payload, signature, timestamp, secrets, now=now)


def test_known_vector():
    # base64(HMAC-SHA256(key, timestamp + body)) computed independently with openssl:
    # printf '%s' '2026-11-23T17:00:00Z{"ticket_id": "42"}' | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
    assert compute_signature(SECRET, STAMP, PAYLOAD) == "nMBDygewGJDlOh9R4tj14RkinOoyfI+Ae6jGugIaA/k="


def test_valid_signature_passes():
    check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP)


def test_any_configured_secret_passes_for_rotation():
    check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP, secrets=("old-secret", SECRET))


@pytest.mark.parametrize(
    "signature, timestamp, secrets, message",
    [
        ("x", STAMP, (), "no webhook signing secret is configured"),
        (None, STAMP, (SECRET,), "missing X-Zendesk-Webhook-Signature header"),
        ("x", None, (SECRET,), "missing X-Zendesk-Webhook-Signature-Timestamp header"),
        ("x", "yesterday", (SECRET,), "X-Zendesk-Webhook-Signature-Timestamp is not an ISO-8601 time: 'yesterday'"),
        ("x", "2026-11-23T17:00:00", (SECRET,), "X-Zendesk-Webhook-Signature-Timestamp has no time zone"),
        ("not base64!", STAMP, (SECRET,), "X-Zendesk-Webhook-Signature is not base64"),
    ],
)
def test_malformed_requests_fail_with_their_reason(signature, timestamp, secrets, message):
    with pytest.raises(SignatureVerificationError, match=message):
        check(signature, timestamp, secrets)


def test_wrong_secret_fails():
    with pytest.raises(SignatureVerificationError, match="does not match the payload for any configured secret"):
        check(compute_signature("another-secret", STAMP, PAYLOAD), STAMP)


def test_tampered_body_fails():
    with pytest.raises(SignatureVerificationError, match="does not match"):
        check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP, payload=PAYLOAD.replace(b"42", b"43"))


def test_signature_for_another_timestamp_fails():
    other = "2026-11-23T17:00:01Z"
    with pytest.raises(SignatureVerificationError, match="does not match"):
        check(compute_signature(SECRET, other, PAYLOAD), STAMP)


def test_truncated_signature_fails():
    full = base64.b64decode(compute_signature(SECRET, STAMP, PAYLOAD))
    with pytest.raises(SignatureVerificationError, match="does not match"):
        check(base64.b64encode(full[:16]).decode(), STAMP)


def test_old_timestamp_fails():
    with pytest.raises(SignatureVerificationError, match="timestamp is 301 s old, beyond the 300 s tolerance"):
        check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP, now=NOW + timedelta(seconds=301))


def test_future_timestamp_fails():
    with pytest.raises(SignatureVerificationError, match="timestamp is 301 s in the future"):
        check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP, now=NOW - timedelta(seconds=301))


@pytest.mark.parametrize("skew", [-300, 300])
def test_timestamp_at_the_edge_of_tolerance_passes(skew):
    check(compute_signature(SECRET, STAMP, PAYLOAD), STAMP, now=NOW + timedelta(seconds=skew))
