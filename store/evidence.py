"""The evidence ledger: an append-only, SHA-256 hash-chained log an auditor can verify offline.

Each event's hash covers the previous hash, time, actor, kind, subject and canonical payload;
the sequence number is the event's position and is checked separately, so verification can
tell an edited payload from a deleted, inserted or reordered event.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from store.models import EvidenceEvent, utcnow

GENESIS = "0" * 64
# Any constant works; it only has to be the same for every writer of this database.
LEDGER_LOCK_KEY = 4_242_001

_SECRET_KEYS = re.compile(r"(token|secret|password|authorization|signature|api[_-]?key)", re.I)
_SECRET_VALUES = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9]{16,})")


class AppendOnlyViolation(RuntimeError):
    pass


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


def redact_secrets(value: Any) -> Any:
    """Tokens and secrets never enter the ledger, whatever payload a caller hands over."""
    if isinstance(value, Mapping):
        return {
            str(key): "[redacted]" if _SECRET_KEYS.search(str(key)) else redact_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_secrets(item) for item in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub("[redacted]", value)
    return value


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *, prev_hash: str, occurred_at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    body = canonical_json(
        {
            "prev": prev_hash,
            "time": occurred_at,
            "actor": actor,
            "kind": kind,
            "subject": subject,
            "payload": payload,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_ledger(session: Session) -> None:
    # SQLite already holds the database write lock (BEGIN IMMEDIATE, see store.db).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK_KEY})


def append(
    session: Session,
    *,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> EvidenceEvent:
    """Append one event in the caller's transaction; the caller's commit makes it durable."""
    _lock_ledger(session)
    last = session.execute(
        select(EvidenceEvent.seq, EvidenceEvent.hash).order_by(EvidenceEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    moment = now or utcnow()
    body = canonical_json(redact_secrets(dict(payload or {})))
    occurred = timestamp(moment)
    row = EvidenceEvent(
        seq=seq,
        occurred_at=moment,
        actor=actor,
        kind=kind,
        subject=subject,
        payload=body,
        prev_hash=prev_hash,
        hash=event_hash(
            prev_hash=prev_hash,
            occurred_at=occurred,
            actor=actor,
            kind=kind,
            subject=subject,
            payload=body,
        ),
    )
    session.add(row)
    session.flush()
    return row


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, EvidenceEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(
                "evidence is append-only: events can be added, never updated or deleted"
            )


# --- export and verification -------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    seq: int
    occurred_at: str
    actor: str
    kind: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: EvidenceEvent) -> LedgerLine:
        return cls(
            seq=row.seq,
            occurred_at=timestamp(row.occurred_at),
            actor=row.actor,
            kind=row.kind,
            subject=row.subject,
            payload=row.payload,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )

    def recomputed_hash(self) -> str:
        return event_hash(
            prev_hash=self.prev_hash,
            occurred_at=self.occurred_at,
            actor=self.actor,
            kind=self.kind,
            subject=self.subject,
            payload=self.payload,
        )

    def to_json(self) -> str:
        return canonical_json(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    bad_seq: int | None = None
    damage: str | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"OK {self.count} events"
        return f"BROKEN at sequence {self.bad_seq}: {self.damage} ({self.detail})"


def iter_ledger(session: Session, batch: int = 5000) -> Iterator[LedgerLine]:
    last = 0
    while True:
        rows = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.seq > last).order_by(EvidenceEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield LedgerLine.from_row(row)
        last = rows[-1].seq


def verify(lines: Iterable[LedgerLine]) -> VerifyResult:
    """Recompute the chain and name the first broken link and the kind of damage."""
    events = list(lines)
    later_hashes: dict[str, int] = {line.hash: index for index, line in enumerate(events)}
    expected_prev = GENESIS
    previous_seq = 0
    for index, line in enumerate(events):
        if line.recomputed_hash() != line.hash:
            return VerifyResult(False, index, line.seq, "payload edited",
                                "its content no longer matches its hash")
        if line.prev_hash != expected_prev:
            return _diagnose_link(events, index, expected_prev, later_hashes)
        if line.seq != previous_seq + 1:
            kind = "events reordered" if line.seq <= previous_seq else "event deleted"
            missing = line.seq if line.seq <= previous_seq else previous_seq + 1
            return VerifyResult(False, index, missing, kind,
                                f"sequence {line.seq} follows {previous_seq}")
        expected_prev = line.hash
        previous_seq = line.seq
    return VerifyResult(True, len(events))


def _diagnose_link(
    events: list[LedgerLine], index: int, expected_prev: str, positions: dict[str, int]
) -> VerifyResult:
    line = events[index]
    linked_to = positions.get(line.prev_hash)
    if linked_to is not None and linked_to > index:
        return VerifyResult(False, index, line.seq, "events reordered",
                            f"it links to event {events[linked_to].seq}, which comes after it")
    following = events[index + 1] if index + 1 < len(events) else None
    if following is not None and following.prev_hash == expected_prev:
        return VerifyResult(False, index, line.seq, "event inserted",
                            "the next event links past it")
    if index >= 2 and line.prev_hash == events[index - 2].hash:
        return VerifyResult(False, index, events[index - 1].seq, "event inserted",
                            f"event {line.seq} links past it")
    previous_seq = events[index - 1].seq if index else 0
    missing = previous_seq + 1
    return VerifyResult(False, index, missing, "event deleted",
                        f"event {line.seq} links to an event that is no longer there")


def export_jsonl(session: Session, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in iter_ledger(session):
            handle.write(line.to_json() + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[LedgerLine]:
    lines = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                lines.append(LedgerLine(**json.loads(raw)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an evidence export line ({exc})") from exc
    return lines
