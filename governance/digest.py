"""The weekly digest for the governance leads: figures read from the database, the text that
presents them, and the once-a-week claim that publishes them through the outbox.

The PNG chart is drawn outside the domain (scheduler/digest_chart.py) and handed in as a
function, so nothing here does I/O beyond the caller's session.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from governance import outbox
from governance.audit.digests import latest_digest
from governance.config import OrgConfig
from governance.errors import ValidationProblem
from governance.gateway.stats import GatewayStats, gateway_stats, shadow_line, use_line
from governance.models import RecordStatus
from governance.policy_findings import (
    FlaggedPassage,
    PolicyConflict,
    conflict_line,
    flagged_passages,
    open_conflicts,
    withheld_line,
)
from governance.reviews import REVIEWABLE, fmt_day, local_today
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from store.models import AIUse, EvidenceEvent
from store.outbox_kinds import OutboxKind
from store.review_models import Incident, ScheduledClaim

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
    answers = _answers(session, since, now)
    return DigestFigures(
        organisation=config.organisation.name,
        week_start=today - timedelta(days=7),
        week_end=today,
        new_registrations=_new_registrations(session, since, now),
        approvals_pending=_approvals_pending(session, now),
        reviews_due=_reviews(session, today, overdue=False),
        reviews_overdue=_reviews(session, today, overdue=True),
        open_incidents=_open_incidents(session, now),
        top_questions=_top(_normalise(a.get("question")) for a in answers),
        unknown_tools=_top(_unknown_tools(answers)),
        policy_conflicts=open_conflicts(session, config=config),
        withheld_passages=flagged_passages(session),
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


def _new_registrations(session: Session, since: datetime, now: datetime) -> list[Item]:
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


def _answers(session: Session, since: datetime, now: datetime) -> list[dict[str, Any]]:
    events = session.scalars(
        select(EvidenceEvent.payload).where(
            EvidenceEvent.kind == EvidenceKind.ANSWER_GIVEN,
            EvidenceEvent.occurred_at >= since,
            EvidenceEvent.occurred_at < now,
        )
    )
    payloads = [json.loads(payload) for payload in events]
    return [payload for payload in payloads if isinstance(payload, dict)]


def _normalise(question: object) -> str:
    """Count "Can I use ChatGPT?" and "can i use chatgpt" as one question."""
    text = re.sub(r"\s+", " ", str(question or "")).strip().rstrip("?!. ").strip()
    return text[:1].upper() + text[1:].lower() if text else ""


def _unknown_tools(answers: list[dict[str, Any]]) -> Iterable[str]:
    for answer in answers:
        for tool in answer.get("unknown_tools") or []:
            name = str(tool.get("name", "") if isinstance(tool, dict) else tool).strip()
            if name:
                yield name.lower()


def _top(values: Iterable[str]) -> list[Count]:
    counts = Counter(value for value in values if value)
    return [Count(label=label, count=n) for label, n in counts.most_common(TOP)]


# --- presentation ---------------------------------------------------------------------------


def digest_text(figures: DigestFigures) -> str:
    """The digest as Slack mrkdwn that also reads well in a terminal."""
    head = (
        f"*Weekly AI governance digest, {figures.organisation}*: "
        f"{fmt_day(figures.week_start)} to {fmt_day(figures.week_end)}"
    )
    ledger = ledger_line(figures.ledger)
    if figures.quiet:
        return (
            f"{head}\nNothing to report this week: no new registrations, no approvals "
            "waiting, no reviews due or overdue, no open incidents, no policy questions and "
            f"nothing to fix in the policy documents.\n\n{ledger}"
        )
    sections = [
        _section("New registrations", figures.new_registrations, lambda i: i.detail),
        _section(
            "Approvals pending",
            figures.approvals_pending,
            lambda i: f"{i.detail}, waiting {_days(i.days)}",
        ),
        _section(
            f"Reviews due in the next {DUE_SOON_DAYS} days", figures.reviews_due, lambda i: i.detail
        ),
        _section(
            "Reviews overdue",
            figures.reviews_overdue,
            lambda i: f"{i.detail}, {_days(i.days)} overdue",
        ),
        _section(
            "Open incidents", figures.open_incidents, lambda i: f"{i.detail}, open {_days(i.days)}"
        ),
        _counts("Most asked policy questions", figures.top_questions),
        _counts(
            "Tools people asked about that are not in the catalogue (possible shadow AI)",
            figures.unknown_tools,
        ),
        *_gateway_sections(figures.gateway),
        _lines(
            "Policy text that contradicts the tool catalogue (fix the document or the catalogue)",
            [conflict_line(c) for c in figures.policy_conflicts],
        ),
        _lines(
            "Policy passages withheld from answers: written as instructions to a system (fix "
            "the document, or trust it with `aims policies trust`)",
            [withheld_line(p) for p in figures.withheld_passages],
        ),
        ledger,
    ]
    return "\n\n".join([head, *sections])


def ledger_line(ledger: LedgerHead | None) -> str:
    """The head of the evidence ledger, for the record outside the database."""
    if ledger is None:
        return "*Evidence ledger:* empty"
    head = f"*Evidence ledger:* head #{ledger.seq} `{ledger_verify.short(ledger.head_hash)}`"
    if ledger.digest is None:
        return f"{head}; not signed (`aims keys init` makes a signing key)"
    return (
        f"{head}; latest signed digest no. {ledger.digest}, signature `{ledger.signature}` "
        f"(key `{ledger.key}`). Kept here so a copy lives outside the database."
    )


def _gateway_sections(stats: GatewayStats | None) -> list[str]:
    """Per use: requests, redactions by kind, refusals by reason, keys; then, apart, requests
    with unknown, revoked or missing keys."""
    if stats is None:
        return []
    return [
        _lines("AI requests through the gateway, per use", [use_line(u) for u in stats.uses]),
        "*Requests with unknown, revoked or missing gateway keys (possible shadow AI):* "
        + shadow_line(stats.shadow),
    ]


def _lines(title: str, lines: list[str]) -> str:
    if not lines:
        return f"*{title}:* none"
    shown = [f"\u2022 {line}" for line in lines[:15]]
    if len(lines) > 15:
        shown.append(f"\u2022 \u2026and {len(lines) - 15} more")
    return f"*{title} ({len(lines)}):*\n" + "\n".join(shown)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _section(title: str, items: list[Item], describe: Callable[[Item], str]) -> str:
    if not items:
        return f"*{title}:* none"
    lines = [f"\u2022 {i.ref} {i.title} ({describe(i)})" for i in items[:15]]
    if len(items) > 15:
        lines.append(f"\u2022 \u2026and {len(items) - 15} more")
    return f"*{title} ({len(items)}):*\n" + "\n".join(lines)


def _counts(title: str, counts: list[Count]) -> str:
    if not counts:
        return f"*{title}:* none"
    return f"*{title}:*\n" + "\n".join(f"\u2022 {c.label} ({c.count}\u00d7)" for c in counts)


# --- publishing, once a week ----------------------------------------------------------------


def claim_once(session: Session, *, key: str, worker: str, now: datetime) -> bool:
    """Insert the claim row unless it exists. A concurrent insert of the same key waits for the
    first transaction and then does nothing; a rolled-back claim frees the key again."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ScheduledClaim).values(key=key, claimed_by=worker, claimed_at=now)
    # RETURNING, because an ORM-level insert reports no reliable rowcount.
    claimed = session.execute(
        statement.on_conflict_do_nothing(index_elements=["key"]).returning(ScheduledClaim.key)
    ).first()
    return claimed is not None


def digest_key(config: OrgConfig, now: datetime) -> str:
    year, week, _ = local_today(config, now).isocalendar()
    return f"digest:{year}-W{week:02d}"


def publish_digest(
    session: Session,
    *,
    config: OrgConfig,
    now: datetime,
    worker: str,
    chart: Callable[[DigestFigures], bytes] | None = None,
) -> str:
    """Queue this week's digest (text, then the chart) unless a replica already did."""
    if config.digest is None:
        raise ValidationProblem("no digest is configured: add `digest: {channel: C…}` to aims.yaml")
    key = digest_key(config, now)
    if not claim_once(session, key=key, worker=worker, now=now):
        return f"{key} already sent"
    figures = collect_figures(session, config=config, now=now)
    channel = config.digest.channel
    outbox.enqueue(
        session,
        key=key,
        channel=channel,
        text=digest_text(figures),
        kind=OutboxKind.DIGEST_WEEKLY,
        subject=key,
    )
    if chart is not None and not figures.quiet:
        image = base64.b64encode(chart(figures)).decode("ascii")
        outbox.enqueue(
            session,
            key=f"{key}:chart",
            channel=channel,
            op="upload",
            thread_of=key,
            kind=OutboxKind.DIGEST_CHART,
            subject=key,
            text="This week in numbers",
            attachment=outbox.Attachment(
                filename=f"{key.replace(':', '-')}.png",
                content_base64=image,
                title="This week in numbers",
            ),
        )
    evidence.append(
        session,
        actor=worker,
        kind=EvidenceKind.DIGEST_QUEUED,
        subject=key,
        now=now,
        payload={
            "channel": channel,
            "quiet": figures.quiet,
            "counts": dict(figures.chart_series()),
        },
    )
    return f"{key} queued" + (" (quiet week)" if figures.quiet else "")
