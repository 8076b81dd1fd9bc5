"""Raise a finding, plan its corrective actions, complete them, verify their effect, close it,
reopen it. Every step is one transaction with its evidence event and its notices; anything
refused changes nothing and says what is missing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.findings.lifecycle import check_transition
from governance.findings.messages import (
    action_notice,
    done_notice,
    raised_notice,
    status_notice,
)
from governance.findings.models import FindingSource, FindingStatus, NewAction, NewFinding
from governance.frameworks import frameworks
from governance.register import get_record
from governance.reviews import local_today
from governance.training.records import known_people, resolve_person
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.improvement_models import CorrectiveAction, Finding
from store.models import EvidenceEvent

RAISE = "raise a finding"  # what only a lead may do, from Slack or the CLI

# Sources whose own flow checks who may raise the finding (the incident's closer, the
# record's reviewer, a lead in a management review); from anywhere else only a lead may.
CHECKED_BY_THEIR_FLOW = (
    FindingSource.INCIDENT,
    FindingSource.REVIEW,
    FindingSource.MANAGEMENT_REVIEW,
    FindingSource.FEEDBACK,
)


def get_finding(session: Session, ref: str) -> Finding:
    found = session.scalar(select(Finding).where(Finding.ref == ref.strip().upper()))
    if found is None:
        raise NotFoundError(f"no finding {ref!r}; `aims finding list` shows them")
    return found


def get_action(session: Session, ref: str) -> CorrectiveAction:
    found = session.scalar(
        select(CorrectiveAction).where(CorrectiveAction.ref == ref.strip().upper())
    )
    if found is None:
        raise NotFoundError(f"no corrective action {ref!r}; `aims finding show FND-…` lists them")
    return found


def list_findings(session: Session, *, status: str | None = None) -> Sequence[Finding]:
    query = select(Finding).order_by(Finding.id)
    if status == "open":
        query = query.where(Finding.status != FindingStatus.CLOSED)
    elif status:
        query = query.where(Finding.status == status)
    return session.scalars(query).all()


def actions_of(session: Session, finding: Finding) -> Sequence[CorrectiveAction]:
    return session.scalars(
        select(CorrectiveAction)
        .where(CorrectiveAction.finding_id == finding.id)
        .order_by(CorrectiveAction.id)
    ).all()


def _person(session: Session, config: OrgConfig, given: str, what: str) -> str:
    who = resolve_person(config, known_people(session, config), given)
    if who is None:
        raise ValidationProblem(
            f"{what} {given!r} is not a known person: name someone under people in aims.yaml "
            "(by Slack id or email)"
        )
    return who


def raised_from(session: Session, source: FindingSource, source_ref: str) -> Finding | None:
    """The latest finding raised from `source_ref` (an incident, a record's review), if any."""
    return session.scalar(
        select(Finding)
        .where(Finding.source == source.value, Finding.source_ref == source_ref)
        .order_by(Finding.id.desc())
        .limit(1)
    )


def history(session: Session, finding: Finding) -> Sequence[EvidenceEvent]:
    """Everything the ledger says about the finding, oldest first."""
    return session.scalars(
        select(EvidenceEvent)
        .where(EvidenceEvent.subject == finding.ref)
        .order_by(EvidenceEvent.seq)
    ).all()


def raise_finding(
    session: Session, *, config: OrgConfig, finding: NewFinding, actor: str, now: datetime
) -> Finding:
    if finding.source not in CHECKED_BY_THEIR_FLOW:
        config.require_lead(actor, RAISE)
    owner = _person(session, config, finding.owner, "the owner")
    records = [get_record(session, ref).ref for ref in finding.records]
    unknown = [c for c in finding.controls if c not in frameworks().control_ids]
    if unknown:
        raise ValidationProblem(
            f"{', '.join(unknown)} is not an ISO/IEC 42001 Annex A control (they look like A.6.2.6)"
        )
    row = Finding(
        ref=f"new-{uuid.uuid4().hex[:12]}",
        kind=finding.kind.value,
        source=finding.source.value,
        source_ref=finding.source_ref,
        title=finding.title.strip(),
        description=finding.description.strip(),
        records=records,
        controls=list(finding.controls),
        severity=finding.severity.value,
        owner=owner,
        root_cause=finding.root_cause.strip(),
        status=FindingStatus.OPEN.value,
        verification="",
        reopened=0,
        raised_by=actor,
        raised_at=now,
    )
    session.add(row)
    session.flush()
    row.ref = f"FND-{row.id:04d}"  # follows the id: two at once never race for a number
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.FINDING_RAISED,
        subject=row.ref,
        now=now,
        payload={
            **finding.model_dump(mode="json"),
            "ref": row.ref,
            "title": row.title,
            "description": row.description,
            "records": records,
            "owner": owner,
            "root_cause": row.root_cause,
        },
    )
    outbox.notify(session, raised_notice(config, row), key=f"finding.raised:{row.ref}", to=owner)
    return row


def set_root_cause(
    session: Session, *, config: OrgConfig, ref: str, root_cause: str, actor: str, now: datetime
) -> Finding:
    finding = get_finding(session, ref)
    _may_manage(config, finding, actor)
    if not root_cause.strip():
        raise ValidationProblem("say what the root cause is")
    before, finding.root_cause = finding.root_cause, root_cause.strip()
    _event(
        session,
        EvidenceKind.FINDING_UPDATED,
        finding,
        actor,
        now,
        {"field": "root_cause", "from": before, "to": finding.root_cause},
    )
    return finding


def _may_manage(config: OrgConfig, finding: Finding, actor: str) -> None:
    if actor != finding.owner and not config.is_lead(actor):
        raise PermissionDenied(f"only {finding.ref}'s owner or a governance lead can do that")


def _event(
    session: Session,
    kind: EvidenceKind,
    finding: Finding,
    actor: str,
    now: datetime,
    payload: dict[str, object],
) -> None:
    evidence.append(
        session,
        actor=actor,
        kind=kind,
        subject=finding.ref,
        now=now,
        payload={"finding": finding.ref, **payload},
    )


def _tell_owner(
    session: Session, config: OrgConfig, finding: Finding, what: str, actor: str, *, key: str
) -> None:
    """The finding's owner is told it moved on (`what`), once per `key`."""
    outbox.notify(session, status_notice(config, finding, what, actor), key=key, to=finding.owner)


def _move(session: Session, finding: Finding, target: FindingStatus) -> None:
    """Conditional on the status read, so two people moving it at once move it once."""
    current = FindingStatus(finding.status)
    check_transition(finding.ref, current, target)
    moved = session.execute(
        update(Finding)
        .where(Finding.id == finding.id, Finding.status == current.value)
        .values(status=target.value)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise ValidationProblem(f"{finding.ref} was changed meanwhile; look again")
    session.refresh(finding)


def plan_action(
    session: Session,
    *,
    config: OrgConfig,
    ref: str,
    action: NewAction,
    actor: str,
    now: datetime,
) -> CorrectiveAction:
    """An action with an owner and a due date (not in the past); the first one moves the
    finding to "actions planned"."""
    finding = get_finding(session, ref)
    session.refresh(finding, with_for_update=True)  # as complete_action: one at a time
    _may_manage(config, finding, actor)
    if finding.status in (FindingStatus.VERIFIED, FindingStatus.CLOSED):
        raise ValidationProblem(f"{finding.ref} is {finding.status}: reopen it to add an action")
    owner = _person(session, config, action.owner, "the action's owner")
    if action.due_on < local_today(config, now):
        raise ValidationProblem(f"the due date {action.due_on} is in the past; give a date ahead")
    row = CorrectiveAction(
        ref=f"new-{uuid.uuid4().hex[:12]}",
        finding_id=finding.id,
        description=action.description.strip(),
        owner=owner,
        due_on=action.due_on,
        status="open",
        done_note="",
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    row.ref = f"ACT-{row.id:04d}"
    if finding.status == FindingStatus.OPEN:
        _move(session, finding, FindingStatus.ACTIONS_PLANNED)
    elif finding.status == FindingStatus.ACTIONS_DONE:
        # A new action after the others were done: the finding waits on it again.
        _move(session, finding, FindingStatus.ACTIONS_PLANNED)
    _event(
        session,
        EvidenceKind.FINDING_ACTION_ADDED,
        finding,
        actor,
        now,
        {
            "action": row.ref,
            "description": row.description,
            "owner": owner,
            "due_on": row.due_on.isoformat(),
        },
    )
    outbox.notify(
        session, action_notice(config, finding, row), key=f"finding.action:{row.ref}", to=owner
    )
    return row


def complete_action(
    session: Session, *, config: OrgConfig, ref: str, note: str, actor: str, now: datetime
) -> CorrectiveAction:
    """The action's owner (or the finding's, or a lead) says it is done; when every action is,
    the finding waits for verification."""
    action = get_action(session, ref)
    # The finding's row is locked first: two owners completing its last two actions at once
    # would each see the other's still open, and leave it waiting on nothing.
    finding = session.get_one(Finding, action.finding_id, with_for_update=True)
    if actor not in (action.owner, finding.owner) and not config.is_lead(actor):
        raise PermissionDenied(
            f"only {action.ref}'s owner, {finding.ref}'s owner or a governance lead can mark it "
            "done"
        )
    done = session.execute(
        update(CorrectiveAction)
        .where(CorrectiveAction.id == action.id, CorrectiveAction.status == "open")
        .values(status="done", done_note=note.strip(), done_by=actor, done_at=now)
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise ValidationProblem(f"{action.ref} is already done")
    session.refresh(action)
    _event(
        session,
        EvidenceKind.FINDING_ACTION_DONE,
        finding,
        actor,
        now,
        {"action": action.ref, "note": action.done_note},
    )
    _buttons_give_way(session, config, finding, action)
    if all(a.status == "done" for a in actions_of(session, finding)):
        _move(session, finding, FindingStatus.ACTIONS_DONE)
        _tell_owner(
            session,
            config,
            finding,
            "has every action done; verify their effect",
            actor,
            key=f"finding.actions_done:{finding.ref}:{action.ref}",
        )
    return action


def _buttons_give_way(
    session: Session, config: OrgConfig, finding: Finding, action: CorrectiveAction
) -> None:
    """The action's notice and its nudges lose their "Mark it done" button: each is replaced
    by what happened (once)."""
    notice = done_notice(config, finding, action)
    for key in (
        f"finding.action:{action.ref}",
        f"finding.nudge:{action.ref}:before",
        f"finding.nudge:{action.ref}:after",
    ):
        if outbox.queued(session, key):
            outbox.replace(session, notice, key=f"{key}:done", to=action.owner, target_of=key)


def verify(
    session: Session, *, config: OrgConfig, ref: str, verification: str, actor: str, now: datetime
) -> Finding:
    """Verification of effectiveness: what shows the actions worked, by the owner or a lead."""
    finding = get_finding(session, ref)
    _may_manage(config, finding, actor)
    if not verification.strip():
        raise ValidationProblem(f"say how you verified that {finding.ref}'s actions worked")
    _move(session, finding, FindingStatus.VERIFIED)
    finding.verification, finding.verified_by, finding.verified_at = (
        verification.strip(),
        actor,
        now,
    )
    _event(
        session,
        EvidenceKind.FINDING_VERIFIED,
        finding,
        actor,
        now,
        {"verification": finding.verification},
    )
    return finding


def close(session: Session, *, config: OrgConfig, ref: str, actor: str, now: datetime) -> Finding:
    """Only a verified finding closes."""
    finding = get_finding(session, ref)
    _may_manage(config, finding, actor)
    _move(session, finding, FindingStatus.CLOSED)
    finding.closed_by, finding.closed_at = actor, now
    _event(
        session,
        EvidenceKind.FINDING_CLOSED,
        finding,
        actor,
        now,
        {"verification": finding.verification},
    )
    _tell_owner(
        session,
        config,
        finding,
        "is closed",
        actor,
        key=f"finding.closed:{finding.ref}:{finding.reopened}",
    )
    return finding


def reopen(
    session: Session, *, config: OrgConfig, ref: str, reason: str, actor: str, now: datetime
) -> Finding:
    finding = get_finding(session, ref)
    _may_manage(config, finding, actor)
    if not reason.strip():
        raise ValidationProblem(f"say why {finding.ref} is reopened")
    _move(session, finding, FindingStatus.OPEN)
    finding.reopened += 1
    finding.verification, finding.verified_by, finding.verified_at = "", None, None
    finding.closed_by, finding.closed_at = None, None
    _event(session, EvidenceKind.FINDING_REOPENED, finding, actor, now, {"reason": reason.strip()})
    _tell_owner(
        session,
        config,
        finding,
        f"is reopened: {reason.strip()}",
        actor,
        key=f"finding.reopened:{finding.ref}:{finding.reopened}",
    )
    return finding
