"""The scheduler's sweep over open corrective actions: their owner is nudged a few days before
the due date and once after it, then the governance leads are told. Each action's row says
which went out, and rows another replica holds are skipped, so each nudge goes once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.findings.messages import escalation_notice, nudge_notice
from governance.reviews import SYSTEM, claim_rows, local_today
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.improvement_models import CorrectiveAction, Finding


@dataclass
class NudgeResult:
    before: int = 0
    after: int = 0
    escalated: int = 0

    def summary(self) -> str:
        return (
            f"{self.before} corrective actions nudged before their due date, {self.after} after "
            f"it, {self.escalated} escalated to the leads"
        )


def sweep_action_nudges(session: Session, *, config: OrgConfig, now: datetime) -> NudgeResult:
    settings = config.findings
    today = local_today(config, now)
    soon = today + timedelta(days=settings.nudge_days_before)
    due = (
        select(CorrectiveAction)
        .where(
            CorrectiveAction.status == "open",
            or_(
                (CorrectiveAction.due_on <= soon) & CorrectiveAction.nudged_before_on.is_(None),
                (CorrectiveAction.due_on < today) & CorrectiveAction.nudged_after_on.is_(None),
                (CorrectiveAction.due_on <= today - timedelta(days=settings.escalate_after_days))
                & CorrectiveAction.escalated_on.is_(None),
            ),
        )
        .order_by(CorrectiveAction.id)
    )
    result = NudgeResult()
    for action in claim_rows(session, due, of=CorrectiveAction):
        finding = session.get_one(Finding, action.finding_id)
        late = (today - action.due_on).days
        if late > 0 and action.nudged_after_on is None:
            # Past due: the nudge before it, if it never went (downtime), is no use any more.
            action.nudged_before_on = action.nudged_before_on or today
            _nudge(session, finding, action, today, now, "after")
            action.nudged_after_on = today
            result.after += 1
        elif action.nudged_before_on is None and action.due_on >= today:
            _nudge(session, finding, action, today, now, "before")
            action.nudged_before_on = today
            result.before += 1
        if late >= settings.escalate_after_days and action.escalated_on is None:
            _escalate(session, config, finding, action, today, now)
            action.escalated_on = today
            result.escalated += 1
    return result


def _nudge(
    session: Session,
    finding: Finding,
    action: CorrectiveAction,
    today: date,
    now: datetime,
    when: str,
) -> None:
    notice = nudge_notice(finding, action, today)
    outbox.notify(session, notice, key=f"finding.nudge:{action.ref}:{when}", to=action.owner)
    evidence.append(
        session,
        actor=SYSTEM,
        kind=EvidenceKind.FINDING_ACTION_NUDGED,
        subject=finding.ref,
        now=now,
        payload={
            "finding": finding.ref,
            "action": action.ref,
            "owner": action.owner,
            "due_on": action.due_on.isoformat(),
            "when": when,
        },
    )


def _escalate(
    session: Session,
    config: OrgConfig,
    finding: Finding,
    action: CorrectiveAction,
    today: date,
    now: datetime,
) -> None:
    notice = escalation_notice(config, finding, action, today)
    leads = config.members("governance_leads")
    for lead in leads:
        outbox.notify(session, notice, key=f"finding.escalation:{action.ref}:{lead}", to=lead)
    evidence.append(
        session,
        actor=SYSTEM,
        kind=EvidenceKind.FINDING_ACTION_ESCALATED,
        subject=finding.ref,
        now=now,
        payload={
            "finding": finding.ref,
            "action": action.ref,
            "owner": action.owner,
            "due_on": action.due_on.isoformat(),
            "told": leads,
        },
    )
