"""The Statement of Applicability (ISO/IEC 42001 clause 6.1.3 (d)), computed from the ledger.

For each Annex A control: whether it applies (aims.yaml `soa:`; every control applies unless the
organisation excludes it with a justification), how AIMS Bot implements it
(governance/frameworks/annex_a_implementation.yaml), the events in a period that show it
operating (counted per kind in SQL from the kinds mapped to it in evidence_controls.yaml), and a
status an auditor reads first:

- operating: implemented, and at least one event in the period shows it;
- no evidence in period: implemented by AIMS Bot, but nothing in the period shows it operating;
- not implemented: AIMS Bot does not implement it (the line says where it has to be done);
- not applicable: the organisation excluded it, with its justification.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import ValidationProblem
from governance.frameworks import Coverage, Frameworks, frameworks
from store.models import EvidenceEvent

SAMPLES = 5  # sample events shown per control (and kept per kind)
DEFAULT_JUSTIFICATION = "Applies (not excluded under soa.not_applicable in aims.yaml)."

# Either end may be open (None): from the first event, or up to now and beyond.
Period = tuple[datetime | None, datetime | None]


class SoaStatus(StrEnum):
    OPERATING = "operating"
    NO_EVIDENCE = "no_evidence_in_period"
    NOT_IMPLEMENTED = "not_implemented"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    SoaStatus.OPERATING: "operating",
    SoaStatus.NO_EVIDENCE: "no evidence in period",
    SoaStatus.NOT_IMPLEMENTED: "not implemented",
    SoaStatus.NOT_APPLICABLE: "not applicable",
}


class KindEvidence(BaseModel):
    """The events of one kind in the period."""

    model_config = ConfigDict(frozen=True)

    kind: str
    count: int
    first: datetime
    last: datetime
    samples: list[int]  # the latest sequence numbers, newest first (up to SAMPLES)


class ControlStatus(BaseModel):
    """One row of the Statement of Applicability."""

    model_config = ConfigDict(frozen=True)

    control: str
    title: str
    objective: str
    objective_title: str
    applicable: bool
    justification: str
    coverage: Coverage
    how: str
    config: list[str]  # the aims.yaml keys that shape it
    nist: list[str]
    ai_act: list[str]
    evidence_kinds: list[str]  # the kinds whose events would show it operating
    evidence: list[KindEvidence]  # those with events in the period, most events first
    samples: list[int]  # up to SAMPLES sequence numbers across its kinds, newest first
    status: SoaStatus

    @property
    def events(self) -> int:
        return sum(item.count for item in self.evidence)


def statement_of_applicability(
    session: Session, config: OrgConfig, period: Period | None = None
) -> list[ControlStatus]:
    """Every Annex A control, in the standard's order, with its status over `period`
    (start inclusive, end exclusive; None: the whole ledger)."""
    data = frameworks()
    start, end = _checked(period)
    evidence = evidence_by_kind(session, data.evidence, start=start, end=end)
    return [_status(data, config, control.id, evidence) for control in data.controls]


def evidence_by_kind(
    session: Session,
    kinds: Iterable[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, KindEvidence]:
    """Count, first and last time, and the latest sequence numbers of each kind's events in
    [start, end): aggregates in the database, never the ledger in memory."""
    wanted = sorted(set(kinds))
    where: list[ColumnElement[bool]] = [EvidenceEvent.kind.in_(wanted)]
    if start is not None:
        where.append(EvidenceEvent.occurred_at >= start)
    if end is not None:
        where.append(EvidenceEvent.occurred_at < end)
    rows = session.execute(
        select(
            EvidenceEvent.kind,
            func.count(),
            func.min(EvidenceEvent.occurred_at),
            func.max(EvidenceEvent.occurred_at),
        )
        .where(*where)
        .group_by(EvidenceEvent.kind)
    ).all()
    result = {}
    for kind, count, first, last in rows:
        samples = session.scalars(
            select(EvidenceEvent.seq)
            .where(*where, EvidenceEvent.kind == kind)
            .order_by(EvidenceEvent.seq.desc())
            .limit(SAMPLES)
        ).all()
        result[kind] = KindEvidence(
            kind=kind, count=count, first=first, last=last, samples=list(samples)
        )
    return result


def summary(statuses: Iterable[ControlStatus]) -> dict[SoaStatus, int]:
    """How many controls have each status (every status present, zero included)."""
    counts = dict.fromkeys(SoaStatus, 0)
    for row in statuses:
        counts[row.status] += 1
    return counts


def parse_period(text: str, timezone: str) -> Period:
    """`FROM..TO` as a person writes it: dates are whole days in the organisation's timezone
    (TO included), ISO times are taken as given (naive ones in that timezone); either end may be
    left out (`2026-01-01..`, `..2026-03-31`)."""
    if ".." not in text:
        raise ValidationProblem(
            f"--period {text!r}: write FROM..TO, e.g. 2026-01-01..2026-03-31 "
            "(either end may be left out)"
        )
    first, _, second = (part.strip() for part in text.partition(".."))
    zone = ZoneInfo(timezone)
    start = _moment(first, zone, end_of_day=False) if first else None
    end = _moment(second, zone, end_of_day=True) if second else None
    period = (start, end)
    _checked(period)
    return period


def period_text(period: Period | None, zone: ZoneInfo) -> str:
    """The period as a person reads it, in the organisation's timezone (the end is exclusive)."""
    if period is None:
        return "the whole ledger"
    start, end = period
    first = _when(start, zone) if start else "the first event"
    last = f"before {_when(end, zone)}" if end else "now"
    return f"{first} to {last} ({zone.key})"


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _moment(text: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(0), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationProblem(
            f"--period: {text!r} is not a date (2026-03-31) or an ISO time (2026-03-31T17:00)"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _checked(period: Period | None) -> tuple[datetime | None, datetime | None]:
    if period is None:
        return None, None
    start, end = period
    for moment in (start, end):
        if moment is not None and moment.tzinfo is None:
            raise ValidationProblem("a period's times must be timezone-aware")
    if start is not None and end is not None and start >= end:
        raise ValidationProblem(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    return start, end


def _status(
    data: Frameworks, config: OrgConfig, control_id: str, evidence: dict[str, KindEvidence]
) -> ControlStatus:
    control = data.control(control_id)
    implementation = data.implementation[control_id]
    mapping = data.mapping[control_id]
    excluded = config.soa.not_applicable.get(control_id)
    kinds = data.kinds_for(control_id)
    found = sorted(
        (evidence[kind] for kind in kinds if kind in evidence), key=lambda item: -item.count
    )
    if excluded is not None:
        status = SoaStatus.NOT_APPLICABLE
    elif implementation.coverage is Coverage.NONE:
        status = SoaStatus.NOT_IMPLEMENTED
    elif found:
        status = SoaStatus.OPERATING
    else:
        status = SoaStatus.NO_EVIDENCE
    return ControlStatus(
        control=control.id,
        title=control.title,
        objective=control.objective_id,
        objective_title=control.objective_title,
        applicable=excluded is None,
        justification=(
            excluded
            if excluded is not None
            else config.soa.applicable.get(control_id, DEFAULT_JUSTIFICATION)
        ),
        coverage=implementation.coverage,
        how=implementation.how,
        config=list(implementation.config),
        nist=[link.id for link in mapping.nist],
        ai_act=[link.id for link in mapping.ai_act],
        evidence_kinds=kinds,
        evidence=found,
        samples=_spread([item.samples for item in found]),
        status=status,
    )


def _spread(per_kind: Sequence[Sequence[int]]) -> list[int]:
    """Up to SAMPLES sequence numbers, taken in turn from each kind (so one busy kind does not
    hide the others), newest first."""
    picked: list[int] = []
    for depth in range(SAMPLES):
        for samples in per_kind:
            if depth < len(samples) and len(picked) < SAMPLES:
                picked.append(samples[depth])
    return sorted(picked, reverse=True)
