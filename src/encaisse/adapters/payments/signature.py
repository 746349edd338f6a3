"""Stripe-style webhook signatures (``Stripe-Signature: t=…,v1=…``), shared by every provider here.

The signed payload is ``{t}.{body}``; ``v1`` is its HMAC-SHA256 with the endpoint's secret, in hex.
An event is accepted only if one ``v1`` matches (constant-time compare) and ``t`` is within the
tolerance (300 s) of now — a captured request cannot be replayed later.

>>> header = sign_payload(b'{"id": "evt_1"}', "whsec_test", timestamp=1700000000)
>>> header.startswith("t=1700000000,v1=")
True
>>> verify_signature(b'{"id": "evt_1"}', header, "whsec_test", now=1700000100)
>>> verify_signature(b'{"id": "evt_2"}', header, "whsec_test", now=1700000100)
Traceback (most recent call last):
...
encaisse.services.online_payments.WebhookSignatureError: webhook signature does not match
"""

from __future__ import annotations

import hashlib
import hmac
import time

from encaisse.services.online_payments import WebhookSignatureError

TOLERANCE_SECONDS = 300
HEADER = "Stripe-Signature"


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_payload(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` (what the provider sends)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={compute_signature(payload, secret, ts)}"


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise :class:`WebhookSignatureError` unless ``header`` signs ``payload`` with ``secret``."""
    if not secret:
        raise WebhookSignatureError("no webhook secret configured: every event is refused")
    if not header:
        raise WebhookSignatureError("webhook without signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError("malformed webhook signature header")
    expected = compute_signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookSignatureError("webhook signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("webhook timestamp outside the tolerance (replayed or clock skew)")
