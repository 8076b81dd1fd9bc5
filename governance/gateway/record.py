"""What the gateway writes to the evidence ledger, built in one place for the HTTP gateway and
AIMS Bot's own in-process calls.

Two kinds, and when each is written:
- `gateway.decision`, exactly one per request, written and committed BEFORE anything is
  forwarded (so no request reaches a provider without its decision on record): who (key id and
  prefix, never the key), which use and approved version, which model, allow / redact / refuse
  and why, counts of each kind of personal data found and replaced, SHA-256 of the request body
  as received and as forwarded. Its upstream status, latency and token fields stay empty: they
  do not exist yet when it is written.
- `gateway.completed`, one per forwarded request, after the answer (or the failure): the
  upstream's status, latency, time to first byte and token counts, linked to its decision by
  sequence number. A refused request has no completion.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from governance.gateway.models import Decision, KeyState, Outcome, UseTerms

Via = Literal["http", "in-process"]
Completion = Literal[
    "answered", "upstream_error", "upstream_failed", "upstream_timeout", "cancelled"
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decision_payload(
    *,
    decision: Decision,
    key: KeyState | None,
    key_prefix: str,
    terms: UseTerms | None,
    model: str,
    received_sha256: str,
    forwarded_sha256: str | None,
    via: Via,
    text: dict[str, Any] | None = None,
) -> dict[str, Any]:
    redacted = (
        {kind: decision.found.get(kind, 0) for kind in decision.redact_kinds}
        if decision.outcome is Outcome.REDACT
        else {}
    )
    return {
        "key_id": key.key_id if key else None,
        "key_prefix": key.prefix if key else key_prefix,
        "record_ref": terms.record_ref if terms else (key.record_ref if key else None),
        "version": terms.approved_version if terms else None,
        "model": model[:200],
        "outcome": decision.outcome.value,
        "reason": decision.reason.value if decision.reason else None,
        "message": decision.message,
        "found": dict(decision.found),
        "redacted": redacted,
        "prompt_sha256_received": received_sha256,
        "prompt_sha256_forwarded": forwarded_sha256,
        "upstream": decision.upstream if decision.outcome is not Outcome.REFUSE else None,
        "upstream_status": None,
        "latency_ms": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "via": via,
        "text": text,
    }


def usage_counts(usage: Any) -> tuple[int | None, int | None]:
    """(prompt tokens, completion tokens) from an OpenAI `usage` object, when reported."""
    if not isinstance(usage, dict):
        return None, None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (
        prompt if isinstance(prompt, int) and not isinstance(prompt, bool) else None,
        completion if isinstance(completion, int) and not isinstance(completion, bool) else None,
    )


def completed_payload(
    *,
    decision_seq: int,
    key: KeyState | None,
    terms: UseTerms | None,
    model: str,
    upstream: str,
    stream: bool,
    outcome: Completion,
    upstream_status: int | None,
    reference: str | None,
    latency_ms: float,
    first_byte_ms: float | None,
    usage: Any,
    restored: int,
    answer_sha256: str | None,
    text: dict[str, Any] | None = None,
) -> dict[str, Any]:
    prompt_tokens, completion_tokens = usage_counts(usage)
    return {
        "decision_seq": decision_seq,
        "key_id": key.key_id if key else None,
        "record_ref": terms.record_ref if terms else None,
        "model": model[:200],
        "upstream": upstream,
        "stream": stream,
        "outcome": outcome,
        "upstream_status": upstream_status,
        "reference": reference,
        "latency_ms": round(latency_ms, 3),
        "first_byte_ms": None if first_byte_ms is None else round(first_byte_ms, 3),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "restored": restored,
        "answer_sha256": answer_sha256,
        "text": text,
    }
