"""The weekly digest's figures, read from the database for the week that ends at `now`: what
happened, what waits for the governance leads, and the register by status and tier.

governance/digest.py presents them and publishes the digest once a week.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.acknowledgements.figures import campaign_figures
from governance.acknowledgements.models import CampaignFigures
from governance.audit.digests import latest_digest
from governance.catalogue import prohibited_tool
from governance.config import OrgConfig
from governance.feedback import open_by_record, received_between
from governance.gateway.stats import GatewayStats, gateway_stats
from governance.import_review import sheet_tier
from governance.models import RecordStatus, RiskTier
from governance.policy_findings import (
    FlaggedPassage,
    PolicyConflict,
    flagged_passages,
    open_conflicts,
)
from governance.reviews import REVIEWABLE, fmt_day, local_today
from governance.training import CourseCoverage, coverage
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from store.models import AIUse, EvidenceEvent
from store.review_models import Incident

PENDING = (RecordStatus.SUBMITTED, RecordStatus.IN_REVIEW)
DUE_SOON_DAYS = 14
TOP = 5


class Item(BaseModel):
    ref: str
    title: str
    detail: str = ""
    days: int = 0


class Count(BaseModel):
    label: str
    count: int


class LedgerHead(BaseModel):
    """The ledger's head and its latest signed digest, printed every week so a copy of them
    lives outside the database (an auditor compares it with what the ledger says later)."""

    seq: int
    head_hash: str
    digest: int | None = None  # the latest signed digest's number; None: not signed
    signature: str | None = None  # the first 16 hex of sha256 of that digest's signature
    key: str | None = None  # the first 16 hex of the fingerprint of the key that signed it


class StatusTierRow(BaseModel):
    """How many records are in one status, per risk tier ("untiered": no tier yet)."""

    status: str
    by_tier: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_tier.values())


UNTIERED = "untiered"
TIER_COLUMNS = (*(tier.value for tier in RiskTier), UNTIERED)
# Records whose use is over: a prohibited tool on them needs no one's attention.
_CLOSED = (RecordStatus.REJECTED.value, RecordStatus.RETIRED.value)


class DigestFigures(BaseModel):
    organisation: str
    week_start: date
    week_end: date
    new_registrations: list[Item]
    approvals_pending: list[Item]
    reviews_due: list[Item]
    reviews_overdue: list[Item]
    open_incidents: list[Item]
    top_questions: list[Count]
    unknown_tools: list[Count]
    # For the leads to fix in the policy documents (or the catalogue): listed every week until
    # they are fixed, not only in the week they were found.
    policy_conflicts: list[PolicyConflict] = []
    withheld_passages: list[FlaggedPassage] = []
    # Standing items, listed every week until a lead settles them: records of tools the
    # catalogue prohibits, and imported records whose spreadsheet tier the rules disagree with.
    prohibited_tool_uses: list[Item] = []
    disputed_tiers: list[Item] = []
    register_by_status: list[StatusTierRow] = []
    # Open policy acknowledgement campaigns, and training coverage per required course (shown
    # every week, like the register: a standing figure, not news).
    acknowledgements: list[CampaignFigures] = []
    training: list[CourseCoverage] = []
    # Feedback from people affected by AI uses: received this week, and what is still open
    # per record (standing, like the items above, until a lead turns it into something).
    feedback_received: int = 0
    open_feedback: list[Item] = []
    # The week's gateway figures per use; None when nothing went through it and no key exists.
    gateway: GatewayStats | None = None
    ledger: LedgerHead | None = None  # None: the ledger is empty

    @property
    def quiet(self) -> bool:
        return not any(
            (
                self.new_registrations,
                self.approvals_pending,
                self.reviews_due,
                self.reviews_overdue,
                self.open_incidents,
                self.top_questions,
                self.unknown_tools,
                self.policy_conflicts,
                self.withheld_passages,
                self.prohibited_tool_uses,
                self.disputed_tiers,
                self.acknowledgements,
                self.feedback_received,
                self.open_feedback,
                self.gateway,
            )
        )

    def chart_series(self) -> list[tuple[str, int]]:
        return [
            ("New registrations", len(self.new_registrations)),
            ("Approvals pending", len(self.approvals_pending)),
            ("Reviews due", len(self.reviews_due)),
            ("Reviews overdue", len(self.reviews_overdue)),
            ("Open incidents", len(self.open_incidents)),
            ("Questions asked", sum(c.count for c in self.top_questions)),
        ]


def collect_figures(session: Session, *, config: OrgConfig, now: datetime) -> DigestFigures:
    """The week that ends at `now` (in the organisation's timezone)."""
    today = local_today(config, now)
    since = now - timedelta(days=7)
    answers = answers_between(session, since, now)
    return DigestFigures(
        organisation=config.organisation.name,
        week_start=today - timedelta(days=7),
        week_end=today,
        new_registrations=new_registrations_between(session, since, now),
        approvals_pending=_approvals_pending(session, now),
        reviews_due=_reviews(session, today, overdue=False),
        reviews_overdue=_reviews(session, today, overdue=True),
        open_incidents=_open_incidents(session, now),
        top_questions=most_common(normalised_question(a.get("question")) for a in answers),
        unknown_tools=most_common(_unknown_tools(answers)),
        policy_conflicts=open_conflicts(session, config=config),
        withheld_passages=flagged_passages(session),
        prohibited_tool_uses=_prohibited_tool_uses(session, config),
        disputed_tiers=_disputed_tiers(session),
        register_by_status=register_by_status(session),
        acknowledgements=campaign_figures(session, today, open_only=True),
        training=coverage(session, config, now),
        feedback_received=received_between(session, since, now),
        open_feedback=_open_feedback(session),
        gateway=_gateway(session, since, now),
        ledger=ledger_head(session),
    )


def ledger_head(session: Session) -> LedgerHead | None:
    head = evidence.head(session)
    if head is None:
        return None
    signed = latest_digest(session)
    if signed is None:
        return LedgerHead(seq=head[0], head_hash=head[1])
    return LedgerHead(
        seq=head[0],
        head_hash=head[1],
        digest=signed["digest"],
        signature=ledger_verify.signature_fingerprint(str(signed["signature"])),
        key=ledger_verify.short(str(signed["key_fingerprint"])),
    )


def _gateway(session: Session, since: datetime, now: datetime) -> GatewayStats | None:
    stats = gateway_stats(session, since=since, until=now)
    return stats if stats.any_activity else None


def new_registrations_between(session: Session, since: datetime, now: datetime) -> list[Item]:
    rows = session.scalars(
        select(AIUse).where(AIUse.created_at >= since, AIUse.created_at < now).order_by(AIUse.id)
    )
    return [Item(ref=r.ref, title=r.title, detail=r.risk_tier or "not tiered yet") for r in rows]


def _approvals_pending(session: Session, now: datetime) -> list[Item]:
    rows = session.scalars(
        select(AIUse).where(AIUse.status.in_([s.value for s in PENDING])).order_by(AIUse.id)
    ).all()
    since = _submitted_at(session, [r.ref for r in rows])
    items = [
        Item(
            ref=r.ref,
            title=r.title,
            detail=r.status,
            days=(now - since.get(r.ref, r.updated_at)).days,
        )
        for r in rows
    ]
    return sorted(items, key=lambda item: -item.days)


def _submitted_at(session: Session, refs: list[str]) -> dict[str, datetime]:
    """When each record last went to submitted, from the ledger (the record's own timestamps
    move with every edit)."""
    found: dict[str, datetime] = {}
    if not refs:
        return found
    events = session.scalars(
        select(EvidenceEvent)
        .where(
            EvidenceEvent.kind == EvidenceKind.RECORD_TRANSITIONED, EvidenceEvent.subject.in_(refs)
        )
        .order_by(EvidenceEvent.seq)
    )
    for event in events:
        if json.loads(event.payload).get("to") == RecordStatus.SUBMITTED.value:
            found[event.subject] = event.occurred_at
    return found


def _reviews(session: Session, today: date, *, overdue: bool) -> list[Item]:
    window = (
        AIUse.next_review < today
        if overdue
        else AIUse.next_review.between(today, today + timedelta(days=DUE_SOON_DAYS))
    )
    statuses = [s.value for s in (*REVIEWABLE, RecordStatus.SUSPENDED)]
    rows = session.scalars(
        select(AIUse)
        .where(window, AIUse.status.in_(statuses))
        .order_by(AIUse.next_review, AIUse.id)
    )
    items = []
    for row in rows:
        assert row.next_review is not None
        lapsed = " (review lapsed)" if row.review_lapsed else ""
        items.append(
            Item(
                ref=row.ref,
                title=row.title,
                days=abs((today - row.next_review).days),
                detail=f"due {fmt_day(row.next_review)}{lapsed}",
            )
        )
    return items


def _open_incidents(session: Session, now: datetime) -> list[Item]:
    rows = session.scalars(select(Incident).where(Incident.status == "open").order_by(Incident.id))
    return [
        Item(
            ref=i.ref,
            title=i.what_happened[:80],
            detail=i.severity,
            days=(now - i.reported_at).days,
        )
        for i in rows
    ]


def _open_feedback(session: Session) -> list[Item]:
    return [
        Item(ref=record.ref, title=record.title, detail=f"{len(refs)} open: {', '.join(refs)}")
        for record, refs in open_by_record(session)
    ]


def answers_between(session: Session, since: datetime, now: datetime) -> list[dict[str, Any]]:
    events = session.scalars(
        select(EvidenceEvent.payload).where(
            EvidenceEvent.kind == EvidenceKind.ANSWER_GIVEN,
            EvidenceEvent.occurred_at >= since,
            EvidenceEvent.occurred_at < now,
        )
    )
    payloads = [json.loads(payload) for payload in events]
    return [payload for payload in payloads if isinstance(payload, dict)]


def normalised_question(question: object) -> str:
    """Count "Can I use ChatGPT?" and "can i use chatgpt" as one question."""
    text = re.sub(r"\s+", " ", str(question or "")).strip().rstrip("?!. ").strip()
    return text[:1].upper() + text[1:].lower() if text else ""


def _unknown_tools(answers: list[dict[str, Any]]) -> Iterable[str]:
    for answer in answers:
        for tool in answer.get("unknown_tools") or []:
            name = str(tool.get("name", "") if isinstance(tool, dict) else tool).strip()
            if name:
                yield name.lower()


def most_common(values: Iterable[str]) -> list[Count]:
    counts = Counter(value for value in values if value)
    return [Count(label=label, count=n) for label, n in counts.most_common(TOP)]


def register_by_status(session: Session) -> list[StatusTierRow]:
    """Every status that has records, in lifecycle order, with its count per tier."""
    counted = session.execute(
        select(AIUse.status, AIUse.risk_tier, func.count()).group_by(AIUse.status, AIUse.risk_tier)
    ).all()
    table: dict[str, dict[str, int]] = {}
    for status, tier, count in counted:
        row = table.setdefault(status, dict.fromkeys(TIER_COLUMNS, 0))
        row[tier or UNTIERED] = row.get(tier or UNTIERED, 0) + count
    order = [s.value for s in RecordStatus] + sorted(set(table) - {s.value for s in RecordStatus})
    return [StatusTierRow(status=s, by_tier=table[s]) for s in order if s in table]


def _open_records(session: Session) -> list[AIUse]:
    return list(
        session.scalars(select(AIUse).where(AIUse.status.not_in(_CLOSED)).order_by(AIUse.id))
    )


def _prohibited_tool_uses(session: Session, config: OrgConfig) -> list[Item]:
    items = []
    for record in _open_records(session):
        banned = prohibited_tool(config, record.tool)
        if banned is not None:
            detail = f"{banned.name}, {record.status.replace('_', ' ')}"
            items.append(Item(ref=record.ref, title=record.title, detail=detail))
    return items


def _disputed_tiers(session: Session) -> list[Item]:
    items = []
    for record in _open_records(session):
        sheet = sheet_tier(record.tier_reasons, record.tier_override)
        if sheet is not None:
            detail = f"recorded {record.risk_tier or 'untiered'}; the spreadsheet said {sheet}"
            items.append(Item(ref=record.ref, title=record.title, detail=detail))
    return items
