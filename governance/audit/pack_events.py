"""Reading the ledger for the audit pack: the events of some kinds in a period (streamed, in
sequence batches), and the latest sequence numbers per subject, so every figure the pack shows
can name the events behind it."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from governance.soa import Period
from store.models import EvidenceEvent

CITED = 10  # sequence numbers a figure names (newest first); the count says how many in all
BATCH = 2000


class Cited(BaseModel):
    """A figure and the events behind it: how many, and the newest sequence numbers."""

    model_config = ConfigDict(frozen=True)

    count: int = 0
    seqs: list[int] = []

    @classmethod
    def of(cls, seqs: Iterable[int]) -> Cited:
        every = sorted(set(seqs), reverse=True)
        return cls(count=len(every), seqs=every[:CITED])


class Tally:
    """Counts events as they stream past (oldest first), keeping only the newest CITED."""

    def __init__(self) -> None:
        self.count = 0
        self._newest: deque[int] = deque(maxlen=CITED)

    def add(self, seq: int) -> None:
        self.count += 1
        self._newest.append(seq)

    def cited(self) -> Cited:
        return Cited(count=self.count, seqs=list(reversed(self._newest)))


@dataclass(frozen=True)
class LedgerEvent:
    seq: int
    occurred_at: datetime
    actor: str
    subject: str
    kind: str
    payload: dict[str, Any]


def _where(
    kinds: Iterable[str], period: Period | None, subjects: Iterable[str] | None
) -> list[ColumnElement[bool]]:
    start, end = period or (None, None)
    where: list[ColumnElement[bool]] = [EvidenceEvent.kind.in_(sorted(set(kinds)))]
    if subjects is not None:
        where.append(EvidenceEvent.subject.in_(sorted(set(subjects))))
    if start is not None:
        where.append(EvidenceEvent.occurred_at >= start)
    if end is not None:
        where.append(EvidenceEvent.occurred_at < end)
    return where


def events(
    session: Session,
    kinds: Iterable[str],
    period: Period | None,
    *,
    subjects: Iterable[str] | None = None,
) -> Iterator[LedgerEvent]:
    """The events of `kinds` in the period (None: the whole ledger), about `subjects` when
    given, oldest first, in constant memory."""
    where = _where(kinds, period, subjects)
    columns = (
        EvidenceEvent.seq,
        EvidenceEvent.occurred_at,
        EvidenceEvent.actor,
        EvidenceEvent.subject,
        EvidenceEvent.kind,
        EvidenceEvent.payload,
    )
    last = 0
    while True:
        rows = session.execute(
            select(*columns)
            .where(*where, EvidenceEvent.seq > last)
            .order_by(EvidenceEvent.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for seq, occurred_at, actor, subject, kind, payload in rows:
            data = json.loads(payload)
            yield LedgerEvent(
                seq, occurred_at, actor, subject, kind, data if isinstance(data, dict) else {}
            )
        last = rows[-1].seq


def count(
    session: Session,
    kinds: Iterable[str],
    period: Period | None,
    *,
    subjects: Iterable[str] | None = None,
) -> Cited:
    """How many events of `kinds` in the period, and the newest sequence numbers."""
    where = _where(kinds, period, subjects)
    total = session.scalar(select(func.count()).where(*where).select_from(EvidenceEvent)) or 0
    newest = session.scalars(
        select(EvidenceEvent.seq).where(*where).order_by(EvidenceEvent.seq.desc()).limit(CITED)
    ).all()
    return Cited(count=int(total), seqs=list(newest))


def latest_by_subject(
    session: Session,
    kinds: Iterable[str],
    subjects: Iterable[str],
    period: Period | None = None,
) -> dict[str, list[int]]:
    """The newest sequence numbers (up to CITED) of each subject's events of `kinds` in the
    period (None: the whole ledger, i.e. the events that made a record what it is now)."""
    wanted = sorted(set(subjects))
    found: dict[str, list[int]] = {subject: [] for subject in wanted}
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        newest_first = func.row_number().over(
            partition_by=EvidenceEvent.subject, order_by=EvidenceEvent.seq.desc()
        )
        ranked = (
            select(EvidenceEvent.subject, EvidenceEvent.seq, newest_first.label("rank"))
            .where(*_where(kinds, period, chunk))
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.subject, ranked.c.seq)
            .where(ranked.c.rank <= CITED)
            .order_by(ranked.c.seq.desc())
        ).all()
        for subject, seq in rows:
            found[subject].append(seq)
    return found
