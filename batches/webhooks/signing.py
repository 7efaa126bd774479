"""The signature every delivery carries (the receiver's side is in docs/API.md, "Webhooks").

X-BinaBoard-Signature is `sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"` under the webhook's
secret; X-BinaBoard-Timestamp is that timestamp (Unix seconds, fresh on every attempt), so a
receiver refuses old timestamps, and X-BinaBoard-Event-Id is the same on every attempt of one
delivery, so a receiver that remembers ids seen recently never acts twice (replay safety).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-BinaBoard-Signature"
TIMESTAMP_HEADER = "X-BinaBoard-Timestamp"
EVENT_ID_HEADER = "X-BinaBoard-Event-Id"
EVENT_HEADER = "X-BinaBoard-Event"
# How old a timestamp a receiver should accept (the documented snippet uses it).
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(*, secret: str, body: bytes, event: str, event_id: str, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": "BinaBoard-Webhooks/1",
        EVENT_HEADER: event,
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(secret: str, headers, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """The receiver's check, as docs/API.md shows it (used by the tests to check what we send)."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
    except (KeyError, TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), headers.get(SIGNATURE_HEADER, ""))
