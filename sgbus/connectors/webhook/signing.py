"""Standard Webhooks signatures (https://www.standardwebhooks.com): what the sink sends, and
how a receiver checks it.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is the
base64 HMAC-SHA256 of it under the secret's key, sent as ``v1,<signature>`` in the
``webhook-signature`` header. The secret is ``whsec_`` followed by the base64 key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
#: How far a receiver accepts a timestamp from its own clock (replay protection).
TOLERANCE_S = 300


class BadSignature(ValueError):
    """The request's signature, id or timestamp does not check out."""


def new_secret() -> str:
    """A fresh secret (24 random bytes) in the ``whsec_`` form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret; a readable error when it is malformed."""
    if not secret.startswith(PREFIX):
        raise ValueError("webhook secret must start with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("webhook secret: the part after 'whsec_' is not valid base64") from None
    if len(key) < 16:
        raise ValueError("webhook secret: the key must be at least 16 bytes")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one request."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    keys: bytes | list[bytes], msg_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``; with several keys (a rotation) the
    signature header carries one space-separated signature per key."""
    timestamp = int(time.time() if now is None else now)
    signatures = [
        sign(k, msg_id, timestamp, body) for k in ([keys] if isinstance(keys, bytes) else keys)
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def verify(key: bytes, received: dict[str, str], body: bytes, now: float | None = None) -> str:
    """Check a received request's headers (lower-case names); return its ``webhook-id``.

    Raises :class:`BadSignature` naming what failed. Any of several space-separated ``v1``
    signatures may match (a sender rotating its secret signs with both)."""
    msg_id = received.get("webhook-id")
    stamp = received.get("webhook-timestamp")
    given = received.get("webhook-signature")
    if not (msg_id and stamp and given):
        raise BadSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise BadSignature("webhook-timestamp is not an integer") from None
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_S:
        raise BadSignature("webhook-timestamp too far from now")
    expected = sign(key, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in given.split()):
        raise BadSignature("no matching signature")
    return msg_id
