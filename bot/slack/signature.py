"""Slack's request signature (v0, HMAC-SHA256 over "v0:{timestamp}:{body}"), checked strictly.

Every malformed header is a refusal, never an exception: an exception here used to reach the
error handler, which then acted on the unverified body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

# Slack's replay window: a request older (or further in the future) than this is refused.
MAX_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float | None = None,
) -> Verdict:
    """Whether `body` was signed by Slack with `secret`; the reason names the header at fault."""
    if timestamp is None or not _TIMESTAMP.match(timestamp):
        return Verdict(False, "missing or non-numeric X-Slack-Request-Timestamp")
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > MAX_SKEW_SECONDS:
        return Verdict(False, "X-Slack-Request-Timestamp outside the 5-minute window")
    if signature is None or not _SIGNATURE.match(signature):
        return Verdict(False, "missing or malformed X-Slack-Signature (want v0= and 64 hex)")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return Verdict(False, "signature does not match")
    return Verdict(True)
