"""A governance lead's written override of a record's risk tier. The tier decides who
approves, so an overridden record goes (back) through approval."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from governance.approvals.flows import open_request, submit_record
from governance.approvals.service import has_open_request
from governance.config import OrgConfig
from governance.errors import PermissionDenied, ValidationProblem
from governance.models import RecordStatus, RiskTier
from governance.register import update_record
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import AIUse


def override_tier(
    session: Session,
    *,
    record: AIUse,
    tier: RiskTier,
    justification: str,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> AIUse:
    """A governance lead sets the tier by hand; the justification is kept on the record and in
    the evidence ledger beside the computed tier it replaced.

    The tier decides who approves, so the changed record goes (back) through approval: an open
    request for the old version is superseded by one for the new version, and an approved, live
    or suspended record is submitted again. Records not yet submitted, waiting for changes,
    rejected or retired just carry the new tier into their next submission (if any)."""
    if actor not in config.members("governance_leads"):
        raise PermissionDenied("only a governance lead can override a risk tier")
    text = justification.strip()
    if not text:
        raise ValidationProblem(
            "write a justification for the override: why is the computed tier wrong for this use?"
        )
    previous, before = record.risk_tier, record.version
    update_record(
        session,
        record=record,
        actor=actor,
        now=now,
        reason=f"risk tier overridden to {tier.value}",
        changes={"risk_tier": tier.value, "tier_override": text},
    )
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.RECORD_TIER_OVERRIDDEN,
        subject=record.ref,
        payload={"from": previous, "to": tier.value, "justification": text},
        now=now,
    )
    if record.version != before:
        _back_through_approval(
            session, record=record, previous=previous, actor=actor, config=config, now=now
        )
    return record


_REAPPROVE = (
    RecordStatus.APPROVED,
    RecordStatus.APPROVED_WITH_CONDITIONS,
    RecordStatus.LIVE,
    RecordStatus.SUSPENDED,
)


def _back_through_approval(
    session: Session,
    *,
    record: AIUse,
    previous: str | None,
    actor: str,
    config: OrgConfig,
    now: datetime | None,
) -> None:
    why = (
        f"a governance lead overrode the risk tier ({previous or 'none'} → "
        f"{record.risk_tier}), making v{record.version}"
    )
    status = RecordStatus(record.status)
    if has_open_request(session, record) or status in (
        RecordStatus.SUBMITTED,
        RecordStatus.IN_REVIEW,
    ):
        open_request(session, record=record, actor=actor, config=config, now=now, why=why)
    elif status in _REAPPROVE:
        submit_record(
            session,
            record=record,
            actor=actor,
            config=config,
            now=now,
            reason=f"re-approval needed: {why}",
        )
