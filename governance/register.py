"""Register services: create, update and transition records. Each writes its evidence event in
the caller's transaction and never commits; the caller's unit of work does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import NotFoundError, ValidationProblem
from governance.lifecycle import check_transition
from governance.models import RECORD_FIELD_NAMES, RecordFields, RecordStatus
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import AIUse, AIUseVersion, utcnow


def format_ref(number: int) -> str:
    return f"AIU-{number:04d}"


def read_fields(record: AIUse) -> RecordFields:
    return RecordFields.model_validate({name: getattr(record, name) for name in RECORD_FIELD_NAMES})


def snapshot(record: AIUse) -> dict[str, Any]:
    data: dict[str, Any] = read_fields(record).model_dump(mode="json")
    data.update(ref=record.ref, status=record.status, version=record.version)
    return data


def _write_fields(record: AIUse, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(record, name, value)
    # JSON-mode dumps turn the review date into text; the Date column needs a date (SQLite
    # refuses text outright).
    if isinstance(record.next_review, str):
        record.next_review = date.fromisoformat(record.next_review)


def _keep_version(
    session: Session, record: AIUse, *, actor: str, reason: str, now: datetime
) -> None:
    session.add(
        AIUseVersion(
            ai_use_id=record.id,
            version=record.version,
            snapshot=snapshot(record),
            status=record.status,
            changed_by=actor,
            changed_at=now,
            reason=reason,
        )
    )


def create_record(
    session: Session,
    *,
    fields: RecordFields,
    actor: str,
    status: RecordStatus = RecordStatus.DRAFT,
    reason: str = "created",
    now: datetime | None = None,
) -> AIUse:
    moment = now or utcnow()
    record = AIUse(
        # A placeholder until the id is known: the ref follows the id, so concurrent
        # writers on Postgres never race for the same ref.
        ref=f"new-{uuid.uuid4().hex[:12]}",
        status=status.value,
        version=1,
        created_at=moment,
        updated_at=moment,
    )
    _write_fields(record, fields.model_dump(mode="json"))
    session.add(record)
    session.flush()
    record.ref = format_ref(record.id)
    _keep_version(session, record, actor=actor, reason=reason, now=moment)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.RECORD_CREATED,
        subject=record.ref,
        payload={"record": snapshot(record), "reason": reason},
        now=moment,
    )
    return record


def get_record(session: Session, ref: str) -> AIUse:
    record = session.scalar(select(AIUse).where(AIUse.ref == ref.strip().upper()))
    if record is None:
        raise NotFoundError(f"no register record {ref!r}; `aims register list` shows the ids")
    return record


def list_records(
    session: Session, *, status: str | None = None, owner: str | None = None
) -> Sequence[AIUse]:
    query = select(AIUse).order_by(AIUse.id)
    if status:
        query = query.where(AIUse.status == status)
    if owner:
        query = query.where((AIUse.owner == owner) | (AIUse.requester == owner))
    return session.scalars(query).all()


def update_record(
    session: Session,
    *,
    record: AIUse,
    changes: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> AIUse:
    """Apply a change as a new version; the previous version stays in change control."""
    if not reason.strip():
        raise ValidationProblem("say why the record changes: a reason is required")
    current = read_fields(record).model_dump(mode="json")
    try:
        merged = RecordFields.model_validate({**current, **changes})
    except ValueError as exc:
        raise ValidationProblem(f"the change is not valid: {exc}") from exc
    after = merged.model_dump(mode="json")
    diff = {
        name: {"from": current[name], "to": after[name]}
        for name in after
        if after[name] != current[name]
    }
    if not diff:
        return record
    moment = now or utcnow()
    _write_fields(record, after)
    record.version += 1
    record.updated_at = moment
    _keep_version(session, record, actor=actor, reason=reason, now=moment)
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.RECORD_UPDATED,
        subject=record.ref,
        payload={"version": record.version, "changes": diff, "reason": reason},
        now=moment,
    )
    return record


def transition(
    session: Session,
    *,
    record: AIUse,
    to: RecordStatus,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> AIUse:
    current = RecordStatus(record.status)
    check_transition(current, to)
    moment = now or utcnow()
    record.status = to.value
    record.updated_at = moment
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.RECORD_TRANSITIONED,
        subject=record.ref,
        payload={
            "from": current.value,
            "to": to.value,
            "version": record.version,
            "reason": reason,
        },
        now=moment,
    )
    return record


def versions(session: Session, record: AIUse) -> Sequence[AIUseVersion]:
    return session.scalars(
        select(AIUseVersion)
        .where(AIUseVersion.ai_use_id == record.id)
        .order_by(AIUseVersion.version)
    ).all()
