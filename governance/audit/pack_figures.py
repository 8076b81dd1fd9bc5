"""The audit pack's figures, read from the database: the register and its tiers, approvals with
who decided and on which conditions, reviews done and overdue, and incidents, each with the
sequence numbers of the evidence events behind it.

Events are counted over the period; the register, open approvals and overdue reviews are as
they stand when the pack is made (the pack says so)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.models import Verdict
from governance.approvals.service import pending_slots
from governance.audit.pack_events import CITED, Cited, events, latest_by_subject
from governance.audit.pack_models import (
    ApprovalDone,
    ApprovalOpen,
    Decision,
    IncidentEntry,
    RegisterEntry,
    ReviewDone,
    ReviewOverdue,
    TierCount,
)
from governance.config import OrgConfig
from governance.models import RecordStatus, RiskTier
from governance.reviews import REVIEWABLE
from governance.soa import Period
from store.approval_models import ApprovalRequest
from store.evidence_kinds import EvidenceKind as K
from store.models import AIUse
from store.review_models import Incident

NOT_TIERED = "not tiered"
# The events that made a record what it is now: its versions, status changes and approvals.
RECORD_KINDS = (
    K.RECORD_CREATED,
    K.RECORD_IMPORTED,
    K.RECORD_UPDATED,
    K.RECORD_TRANSITIONED,
    K.RECORD_TIER_OVERRIDDEN,
    K.RECORD_RETIRED,
    K.APPROVAL_COMPLETED,
)
# The approval that set a review date, and the notices about it since.
REVIEW_NOTICES = (
    K.APPROVAL_COMPLETED,
    K.REVIEW_DUE,
    K.REVIEW_REMINDED,
    K.REVIEW_ESCALATED,
    K.REVIEW_LAPSED,
    K.REVIEW_SNOOZED,
)
INCIDENT_KINDS = (K.INCIDENT_REPORTED, K.INCIDENT_FOLLOWED_UP, K.INCIDENT_CLOSED)


def register_entries(session: Session, config: OrgConfig) -> list[RegisterEntry]:
    records = session.scalars(select(AIUse).order_by(AIUse.id)).all()
    seqs = latest_by_subject(session, RECORD_KINDS, [record.ref for record in records])
    return [
        RegisterEntry(
            ref=record.ref,
            title=record.title,
            tier=record.risk_tier,
            status=record.status,
            owner=config.display_name(record.owner) if record.owner else "",
            next_review=record.next_review,
            version=record.version,
            conditions=[str(condition) for condition in record.conditions],
            seqs=seqs[record.ref],
        )
        for record in records
    ]


def tier_counts(entries: Sequence[RegisterEntry]) -> list[TierCount]:
    """Records per risk tier, most severe first; each backed by its records' newest events."""
    order = [tier.value for tier in sorted(RiskTier, key=lambda tier: -tier.rank)] + [NOT_TIERED]
    by_tier: dict[str, list[RegisterEntry]] = defaultdict(list)
    for entry in entries:
        by_tier[entry.tier or NOT_TIERED].append(entry)
    return [
        TierCount(
            tier=tier,
            records=[entry.ref for entry in by_tier[tier]],
            cited=Cited.of(entry.seqs[0] for entry in by_tier[tier] if entry.seqs),
        )
        for tier in order
        if by_tier.get(tier)
    ]


def approvals_done(
    session: Session, config: OrgConfig, period: Period | None, titles: dict[str, str]
) -> list[ApprovalDone]:
    completed = list(events(session, [K.APPROVAL_COMPLETED], period))
    decided = _by_request(
        session, [K.APPROVAL_DECIDED], {event.subject for event in completed}, period=None
    )
    return [
        ApprovalDone(
            seq=event.seq,
            at=event.occurred_at,
            record_ref=event.subject,
            title=titles.get(event.subject, ""),
            version=int(event.payload.get("version") or 0),
            outcome=str(event.payload.get("outcome") or "").replace("_", " "),
            conditions=[str(item) for item in event.payload.get("conditions") or []],
            next_review=event.payload.get("next_review"),
            decisions=[_decision(item, config) for item in event.payload.get("decisions") or []],
            seqs=sorted(
                [event.seq, *decided.get(event.payload.get("request_id"), [])], reverse=True
            )[:CITED],
        )
        for event in completed
    ]


def _decision(item: dict[str, Any], config: OrgConfig) -> Decision:
    verdict = str(item.get("verdict") or "")
    behalf = item.get("on_behalf_of")
    at = item.get("at")
    return Decision(
        slot=str(item.get("slot") or ""),
        verdict=Verdict(verdict).label if verdict in Verdict.__members__.values() else verdict,
        by=config.display_name(str(item.get("by") or "")),
        on_behalf_of=config.display_name(str(behalf)) if behalf else None,
        at=datetime.fromisoformat(at) if isinstance(at, str) else None,
    )


def _by_request(
    session: Session, kinds: Iterable[str], subjects: set[str], *, period: Period | None
) -> dict[Any, list[int]]:
    """Sequence numbers of approval events, per approval request id."""
    found: dict[Any, list[int]] = defaultdict(list)
    if subjects:
        for event in events(session, kinds, period, subjects=subjects):
            found[event.payload.get("request_id")].append(event.seq)
    return found


def approvals_open(
    session: Session, config: OrgConfig, titles: dict[str, str]
) -> list[ApprovalOpen]:
    requests = session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.status == "open")
        .order_by(ApprovalRequest.opened_at, ApprovalRequest.id)
    ).all()
    seqs = _by_request(
        session,
        [K.APPROVAL_REQUESTED, K.APPROVAL_DECIDED],
        {request.record_ref for request in requests},
        period=None,
    )
    return [
        ApprovalOpen(
            record_ref=request.record_ref,
            title=titles.get(request.record_ref, ""),
            version=request.version,
            opened_at=request.opened_at,
            waiting_for=[
                " or ".join(config.display_name(person) for person in slot.approvers)
                for slot in pending_slots(session, request)
            ],
            seqs=sorted(seqs.get(request.id, []), reverse=True)[:CITED],
        )
        for request in requests
    ]


def reviews_done(
    session: Session, config: OrgConfig, period: Period | None, titles: dict[str, str]
) -> list[ReviewDone]:
    return [
        ReviewDone(
            seq=event.seq,
            at=event.occurred_at,
            record_ref=event.subject,
            title=titles.get(event.subject, ""),
            due_on=str(event.payload.get("due_on") or ""),
            outcome=str(event.payload.get("outcome") or ""),
            by=config.display_name(event.actor),
        )
        for event in events(session, [K.REVIEW_COMPLETED], period)
    ]


def reviews_overdue(session: Session, today: date) -> list[ReviewOverdue]:
    """Records in use whose review date has passed, as the pack is made."""
    statuses = [status.value for status in (*REVIEWABLE, RecordStatus.SUSPENDED)]
    records = session.scalars(
        select(AIUse)
        .where(AIUse.next_review < today, AIUse.status.in_(statuses))
        .order_by(AIUse.next_review, AIUse.id)
    ).all()
    seqs = latest_by_subject(session, REVIEW_NOTICES, [record.ref for record in records])
    overdue = []
    for record in records:
        assert record.next_review is not None  # the query's condition
        overdue.append(
            ReviewOverdue(
                record_ref=record.ref,
                title=record.title,
                due_on=record.next_review,
                days=(today - record.next_review).days,
                lapsed=record.review_lapsed,
                seqs=seqs[record.ref],
            )
        )
    return overdue


def incidents(
    session: Session, config: OrgConfig, period: Period | None, titles: dict[str, str]
) -> list[IncidentEntry]:
    """Incidents reported in the period, with where they stand now."""
    reported = list(events(session, [K.INCIDENT_REPORTED], period))
    refs = [event.subject for event in reported]
    rows = {row.ref: row for row in session.scalars(select(Incident).where(Incident.ref.in_(refs)))}
    seqs = latest_by_subject(session, INCIDENT_KINDS, refs)
    entries = []
    for event in reported:
        payload, row = event.payload, rows.get(event.subject)
        record = payload.get("ai_use_ref") or payload.get("record")
        about = f"{record} {titles.get(record, '')}".strip() if record else ""
        entries.append(
            IncidentEntry(
                ref=event.subject,
                reported_at=event.occurred_at,
                severity=str(payload.get("severity") or ""),
                serious=str(payload.get("serious_incident") or ""),
                people_harmed=bool(payload.get("people_harmed")),
                what_happened=str(payload.get("what_happened") or ""),
                about=about or str(payload.get("unregistered_tool") or ""),
                status=row.status if row else "unknown",
                closed_at=row.closed_at if row else None,
                root_cause=row.root_cause if row else "",
                corrective_action=row.corrective_action if row else "",
                seqs=seqs[event.subject],
            )
        )
    return entries
