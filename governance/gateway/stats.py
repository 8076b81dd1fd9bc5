"""What the gateway did, per AI use, read from the evidence ledger: requests, what was allowed,
redacted or refused and why, which kinds of personal data were replaced, keys issued and
revoked; and, apart, requests with unknown or revoked keys (someone calling models outside an
approved use: a shadow-AI signal).

The ledger is streamed (only the gateway's kinds, in sequence batches), so a year of decisions
is read in constant memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.gateway.models import Outcome, RefusalReason
from store.evidence_kinds import EvidenceKind
from store.gateway_models import GatewayKey
from store.models import AIUse, EvidenceEvent

KINDS = (
    EvidenceKind.GATEWAY_DECISION,
    EvidenceKind.GATEWAY_COMPLETED,
    EvidenceKind.GATEWAY_KEY_ISSUED,
    EvidenceKind.GATEWAY_KEY_REVOKED,
)
SHADOW_REASONS = (RefusalReason.NO_KEY, RefusalReason.UNKNOWN_KEY, RefusalReason.REVOKED_KEY)
BATCH = 2000


class UseStats(BaseModel):
    """One AI use's gateway figures over the period."""

    record_ref: str
    title: str = ""
    requests: int = 0
    allowed: int = 0
    redacted: int = 0
    refused: int = 0
    refusals: dict[str, int] = Field(default_factory=dict)  # reason -> count
    redactions: dict[str, int] = Field(default_factory=dict)  # kind of personal data -> count
    in_process: int = 0  # AIMS Bot's own calls, decided in process
    upstream_failures: int = 0  # forwarded, then the provider failed, timed out or erred
    prompt_tokens: int = 0  # as the providers reported them
    completion_tokens: int = 0
    keys_issued: int = 0
    keys_revoked: int = 0
    keys_active: int = 0  # now, whatever the period

    @property
    def active(self) -> bool:
        return bool(self.requests or self.keys_issued or self.keys_revoked)


class ShadowAttempts(BaseModel):
    """Requests that came with no key, a key no use holds, or a revoked key."""

    no_key: int = 0
    unknown_key: int = 0
    revoked_key: int = 0
    unknown_prefixes: dict[str, int] = Field(default_factory=dict)  # presented prefix -> count

    @property
    def total(self) -> int:
        return self.no_key + self.unknown_key + self.revoked_key


class GatewayStats(BaseModel):
    since: datetime | None = None
    until: datetime | None = None
    uses: list[UseStats] = Field(default_factory=list)  # by record ref
    shadow: ShadowAttempts = Field(default_factory=ShadowAttempts)

    @property
    def requests(self) -> int:
        return sum(use.requests for use in self.uses)

    @property
    def any_activity(self) -> bool:
        """Worth reporting: a request, a key event in the period, or a key that exists."""
        return bool(self.shadow.total or any(use.active or use.keys_active for use in self.uses))

    def use(self, record_ref: str) -> UseStats | None:
        return next((use for use in self.uses if use.record_ref == record_ref), None)


def _events(
    session: Session, since: datetime | None, until: datetime | None
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, subject, payload) of the gateway's events in the period, in sequence order."""
    last = 0
    while True:
        query = (
            select(
                EvidenceEvent.seq, EvidenceEvent.kind, EvidenceEvent.subject, EvidenceEvent.payload
            )
            .where(EvidenceEvent.kind.in_([kind.value for kind in KINDS]))
            .where(EvidenceEvent.seq > last)
            .order_by(EvidenceEvent.seq)
            .limit(BATCH)
        )
        if since is not None:
            query = query.where(EvidenceEvent.occurred_at >= since)
        if until is not None:
            query = query.where(EvidenceEvent.occurred_at < until)
        rows = session.execute(query).all()
        if not rows:
            return
        for _, kind, subject, payload in rows:
            yield kind, subject, json.loads(payload)
        last = rows[-1].seq


def _add(counts: dict[str, int], more: dict[str, Any] | None) -> None:
    for name, count in (more or {}).items():
        counts[name] = counts.get(name, 0) + int(count)


def _tokens(use: UseStats, payload: dict[str, Any]) -> None:
    use.prompt_tokens += int(payload.get("prompt_tokens") or 0)
    use.completion_tokens += int(payload.get("completion_tokens") or 0)


def _completed(use: UseStats, payload: dict[str, Any]) -> None:
    """A forwarded request's ending: its token counts, and whether the provider failed."""
    if payload.get("outcome") not in ("answered", "cancelled"):
        use.upstream_failures += 1
    _tokens(use, payload)


def gateway_stats(
    session: Session, *, since: datetime | None, until: datetime | None = None
) -> GatewayStats:
    """The gateway's figures from `since` (None: the whole ledger) until `until` (exclusive)."""
    uses: dict[str, UseStats] = {}
    shadow = ShadowAttempts()
    prefixes: Counter[str] = Counter()

    def of(ref: str) -> UseStats:
        return uses.setdefault(ref, UseStats(record_ref=ref))

    for kind, subject, payload in _events(session, since, until):
        if kind == EvidenceKind.GATEWAY_KEY_ISSUED:
            of(payload.get("record_ref") or subject).keys_issued += 1
            continue
        if kind == EvidenceKind.GATEWAY_KEY_REVOKED:
            of(payload.get("record_ref") or subject).keys_revoked += 1
            continue
        if kind == EvidenceKind.GATEWAY_COMPLETED:
            if payload.get("record_ref"):
                _completed(of(payload["record_ref"]), payload)
            continue
        reason = payload.get("reason")
        if reason == RefusalReason.NO_KEY:
            shadow.no_key += 1
        elif reason == RefusalReason.UNKNOWN_KEY:
            shadow.unknown_key += 1
            prefixes[str(payload.get("key_prefix") or "")] += 1
        elif reason == RefusalReason.REVOKED_KEY:
            shadow.revoked_key += 1
        ref = payload.get("record_ref")
        if not ref:
            continue  # no use to count it against: only the shadow line shows it
        use = of(ref)
        use.requests += 1
        outcome = payload.get("outcome")
        if outcome == Outcome.ALLOW:
            use.allowed += 1
        elif outcome == Outcome.REDACT:
            use.redacted += 1
        else:
            use.refused += 1
            _add(use.refusals, {str(reason or "unknown"): 1})
        _add(use.redactions, payload.get("redacted"))
        use.in_process += payload.get("via") == "in-process"
        _tokens(use, payload)
    active = session.execute(
        select(GatewayKey.record_ref, func.count())
        .where(GatewayKey.revoked_at.is_(None))
        .group_by(GatewayKey.record_ref)
    ).all()
    for ref, count in active:
        of(ref).keys_active = int(count)
    shadow.unknown_prefixes = dict(prefixes.most_common(10))
    found = session.execute(select(AIUse.ref, AIUse.title).where(AIUse.ref.in_(list(uses))))
    titles: dict[str, str] = dict(found.all())  # (a Result itself has keys(): not a dict)
    for use in uses.values():
        use.refusals = dict(sorted(use.refusals.items()))
        use.redactions = dict(sorted(use.redactions.items()))
        use.title = titles.get(use.record_ref, "")
    return GatewayStats(
        since=since,
        until=until,
        uses=[uses[ref] for ref in sorted(uses)],
        shadow=shadow,
    )


# --- in words (the digest, the terminal) ----------------------------------------------------


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def use_line(use: UseStats) -> str:
    """One use's figures in a line: "AIU-0007 Support assistant: 12 requests (9 allowed, ...)"."""
    parts = [
        f"{_plural(use.requests, 'request')} ({use.allowed} allowed, {use.redacted} redacted, "
        f"{use.refused} refused)"
    ]
    if use.redactions:
        parts.append(f"personal data replaced: {_breakdown(use.redactions)}")
    if use.refusals:
        parts.append(f"refused for: {_breakdown(use.refusals)}")
    if use.upstream_failures:
        parts.append(f"provider failed {_plural(use.upstream_failures, 'time')}")
    keys = [f"{use.keys_active} active"]
    if use.keys_issued:
        keys.append(f"{use.keys_issued} issued")
    if use.keys_revoked:
        keys.append(f"{use.keys_revoked} revoked")
    parts.append("keys: " + ", ".join(keys))
    title = f" {use.title}" if use.title else ""
    return f"{use.record_ref}{title}: " + "; ".join(parts)


def shadow_line(shadow: ShadowAttempts) -> str:
    """Requests with no key, an unknown key or a revoked key, in a line."""
    if not shadow.total:
        return "none"
    parts = []
    if shadow.unknown_key:
        seen = _breakdown(
            {f"{prefix}…": count for prefix, count in shadow.unknown_prefixes.items() if prefix}
        )
        parts.append(f"{shadow.unknown_key} with an unknown key" + (f" ({seen})" if seen else ""))
    if shadow.revoked_key:
        parts.append(f"{shadow.revoked_key} with a revoked key")
    if shadow.no_key:
        parts.append(f"{shadow.no_key} with no key")
    return "; ".join(parts)
