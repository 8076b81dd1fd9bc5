"""Everything the audit pack reports, gathered in one read of the database (see pack_models)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import soa
from governance.audit import pack_figures as figures
from governance.audit.pack_models import CitedEvent, PackFigures, PackInfo
from governance.audit.pack_usage import answer_figures, gateway_figures
from governance.config import OrgConfig
from governance.reviews import local_today
from governance.soa import Period
from store.models import EvidenceEvent

# Told the name of each part as it starts, for a progress display.
Step = Callable[[str], None]


def default_scope(config: OrgConfig) -> str:
    gateway = ", the AI gateway in front of the AI providers" if config.gateway else ""
    return (
        f"The AI management system of {config.organisation.name} as AIMS Bot runs it: the AI "
        "register and its risk tiers, approvals by named owners, periodic reviews, incidents, "
        f"answers to policy questions{gateway}, and the evidence ledger that records them."
    )


def collect(
    session: Session,
    config: OrgConfig,
    *,
    period: Period | None,
    now: datetime,
    actor: str,
    step: Step | None = None,
) -> PackFigures:
    """The pack's figures over `period` (start inclusive, end exclusive; None: everything)."""
    tell = step or (lambda _name: None)
    tell("Statement of Applicability")
    rows = soa.statement_of_applicability(session, config, period)
    tell("Register")
    register = figures.register_entries(session, config)
    titles = {entry.ref: entry.title for entry in register}
    tell("Approvals, reviews and incidents")
    start, end = period or (None, None)
    pack = PackFigures(
        info=PackInfo(
            organisation=config.organisation.name,
            scope=config.audit.scope or default_scope(config),
            timezone=config.organisation.timezone,
            period_start=start,
            period_end=end,
            generated_at=now,
            generated_by=config.display_name(actor),
        ),
        soa=rows,
        soa_summary=soa.summary(rows),
        records=register,
        tiers=figures.tier_counts(register),
        approvals_done=figures.approvals_done(session, config, period, titles),
        approvals_open=figures.approvals_open(session, config, titles),
        reviews_done=figures.reviews_done(session, config, period, titles),
        reviews_overdue=figures.reviews_overdue(session, local_today(config, now)),
        incidents=figures.incidents(session, config, period, titles),
        answers=answer_figures(session, period),
        gateway=gateway_figures(session, period),
    )
    tell("Cited events")
    return pack.model_copy(update={"cited": cited_events(session, cited_seqs(pack))})


def cited_seqs(pack: PackFigures) -> set[int]:
    """Every sequence number the pack names."""
    seqs: set[int] = set()
    for row in pack.soa:
        seqs.update(row.samples)
    for group in (pack.records, pack.approvals_done, pack.approvals_open):
        for item in group:
            seqs.update(item.seqs)
    for overdue in pack.reviews_overdue:
        seqs.update(overdue.seqs)
    for incident in pack.incidents:
        seqs.update(incident.seqs)
    seqs.update(review.seq for review in pack.reviews_done)
    for tier in pack.tiers:
        seqs.update(tier.cited.seqs)
    if pack.answers is not None:
        answers = pack.answers
        for cited in (answers.answers, answers.covered, answers.uncovered):
            seqs.update(cited.seqs)
        for cited in (answers.helpful, answers.unhelpful):
            seqs.update(cited.seqs)
        for tool in answers.unknown_tools:
            seqs.update(tool.cited.seqs)
    if pack.gateway is not None:
        seqs.update(pack.gateway.decisions.seqs + pack.gateway.shadow.seqs)
        for use_seqs in pack.gateway.per_use.values():
            seqs.update(use_seqs)
    return seqs


def cited_events(session: Session, seqs: Iterable[int]) -> list[CitedEvent]:
    wanted = sorted(seqs)
    found: list[CitedEvent] = []
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        rows = session.execute(
            select(
                EvidenceEvent.seq,
                EvidenceEvent.occurred_at,
                EvidenceEvent.kind,
                EvidenceEvent.actor,
                EvidenceEvent.subject,
                EvidenceEvent.hash,
            )
            .where(EvidenceEvent.seq.in_(chunk))
            .order_by(EvidenceEvent.seq)
        ).all()
        found += [
            CitedEvent(seq=seq, at=at, kind=kind, actor=actor, subject=subject, hash=hash_)
            for seq, at, kind, actor, subject, hash_ in rows
        ]
    return found
