"""What the register decided for the use a key belongs to, read at request time.

The record's status and review flag are read as they are now; its tool, data categories and
conditions come from its last approved version (the snapshot of the version an approval request
closed as approved or approved with conditions), so a record sent back for changes or
resubmitted keeps calling models under the terms it was approved on until a new decision.
A record entered as approved or live without an approval request (an import, AIMS Bot's own
record) is approved at its current version, and while a change of it waits for a decision, at
the last earlier version it was usable at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.models import RequestStatus
from governance.config import CatalogueTool, OrgConfig
from governance.gateway.keys import hash_key, presented_prefix, restore_placeholders
from governance.gateway.models import PENDING_STATUSES, USABLE_STATUSES, KeyState, UseTerms
from governance.models import DataCategory, RecordStatus
from governance.register import get_record, snapshot
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.gateway_models import GatewayKey
from store.models import AIUse, AIUseVersion

APPROVED_REQUESTS = (RequestStatus.APPROVED.value, RequestStatus.APPROVED_WITH_CONDITIONS.value)


def load_access(
    session: Session, plain_key: str, config: OrgConfig
) -> tuple[KeyState | None, UseTerms | None]:
    """The key as the register holds it and its use's terms; (None, None) for a key no use
    holds. A revoked key comes back with `revoked=True` (and its use's terms)."""
    row = find_key(session, plain_key)
    if row is None:
        return None, None
    record = session.get(AIUse, row.ai_use_id)
    if record is None:  # records are never deleted; a key without one lets nobody in
        return None, None
    return key_state(row), terms_for(session, record, config)


def find_key(session: Session, plain_key: str) -> GatewayKey | None:
    if not plain_key:
        return None
    return session.scalar(select(GatewayKey).where(GatewayKey.key_hash == hash_key(plain_key)))


def key_state(row: GatewayKey) -> KeyState:
    return KeyState(
        key_id=row.key_id,
        prefix=row.prefix,
        record_ref=row.record_ref,
        revoked=row.revoked_at is not None,
        revoked_reason=row.revoked_reason or "",
    )


def key_id_for(session: Session, plain_key: str) -> tuple[str | None, str]:
    """(key id, prefix) to record an attempt by: the key's id and stored prefix when a use holds
    it (revoked or not), else (None, a short prefix of what was presented). Never the key."""
    row = find_key(session, plain_key)
    if row is None:
        return None, presented_prefix(plain_key)
    return row.key_id, row.prefix


def load_terms(session: Session, record_ref: str, config: OrgConfig) -> UseTerms:
    """A use's terms by its ref (AIMS Bot's own in-process calls run under its record)."""
    return terms_for(session, get_record(session, record_ref), config)


def terms_for(session: Session, record: AIUse, config: OrgConfig) -> UseTerms:
    approved = last_approved(session, record)
    version, fields, conditions = approved if approved is not None else (None, {}, [])
    tool = str(fields.get("tool") or "")
    catalogue_tool = catalogue_tool_for(tool, config.catalogue)
    return UseTerms(
        record_ref=record.ref,
        title=record.title,
        status=RecordStatus(record.status),
        approved_version=version,
        review_lapsed=bool(record.review_lapsed),
        tool=tool,
        allowed_models=tuple(catalogue_tool.models) if catalogue_tool else (),
        data_categories=frozenset(_categories(fields.get("data_categories"))),
        conditions=tuple(conditions),
        restore_placeholders=restore_placeholders(session, record),
    )


def last_approved(session: Session, record: AIUse) -> tuple[int, dict[str, Any], list[str]] | None:
    """(version, that version's fields, its conditions) of the record's last approved version,
    or None when it was never approved."""
    request = session.scalar(
        select(ApprovalRequest)
        .where(ApprovalRequest.ai_use_id == record.id)
        .where(ApprovalRequest.status.in_(APPROVED_REQUESTS))
        .order_by(ApprovalRequest.id.desc())
        .limit(1)
    )
    if request is None:
        return _entered_usable(session, record)
    stored = session.scalar(
        select(AIUseVersion.snapshot)
        .where(AIUseVersion.ai_use_id == record.id)
        .where(AIUseVersion.version == request.version)
    )
    fields: dict[str, Any] = dict(stored) if stored else snapshot(record)
    # Conditions given with the approval join the record after its version was kept.
    given = session.scalars(
        select(ApprovalDecision.conditions).where(ApprovalDecision.request_id == request.id)
    ).all()
    conditions = [*(fields.get("conditions") or []), *(c for each in given for c in each or [])]
    return request.version, fields, list(dict.fromkeys(str(c) for c in conditions))


def _entered_usable(
    session: Session, record: AIUse
) -> tuple[int, dict[str, Any], list[str]] | None:
    """A record never approved through a request but entered as approved or live (an import,
    AIMS Bot's own record): its current version while it stays so; while a change of it waits
    for a decision, the last earlier version it was usable at."""
    status = RecordStatus(record.status)
    if status in USABLE_STATUSES:
        return record.version, snapshot(record), list(record.conditions or [])
    if status not in PENDING_STATUSES:
        return None
    earlier = session.scalar(
        select(AIUseVersion)
        .where(AIUseVersion.ai_use_id == record.id)
        .where(AIUseVersion.version < record.version)
        .where(AIUseVersion.status.in_([s.value for s in USABLE_STATUSES]))
        .order_by(AIUseVersion.version.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    fields = dict(earlier.snapshot)
    return earlier.version, fields, [str(c) for c in fields.get("conditions") or []]


def _categories(values: Any) -> list[DataCategory]:
    known = {category.value for category in DataCategory}
    return [DataCategory(value) for value in values or [] if value in known]


def _squash(name: str) -> str:
    return " ".join(name.casefold().split())


def _base(name: str) -> str:
    """A name without its qualifier: "Claude (Team plan)" -> "Claude"."""
    return re.sub(r"\s*\(.*?\)\s*", " ", name).strip()


def catalogue_tool_for(tool: str, catalogue: Sequence[CatalogueTool]) -> CatalogueTool | None:
    """The catalogue tool whose name or alias is the record's tool (case and spacing aside),
    else the one whose name without its qualifier is ("Claude" for "Claude (Team plan)")."""
    wanted = _squash(tool)
    if not wanted:
        return None
    for entry in catalogue:
        if wanted in {_squash(name) for name in (entry.name, *entry.aliases)}:
            return entry
    by_base = [entry for entry in catalogue if _squash(_base(entry.name)) == _squash(_base(tool))]
    return by_base[0] if len(by_base) == 1 else None
