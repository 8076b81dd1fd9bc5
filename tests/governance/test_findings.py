"""Findings and corrective actions (issue 17) through the services: the lifecycle end to end,
one evidence event per step; what is refused (and that it changes nothing); findings raised
when an incident closes and when a review finds something; and the scheduler's nudges before
and after an action's due date, then to the leads, once each, across two processes on
Postgres too."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, TransitionError, ValidationProblem
from governance.findings import service
from governance.findings.models import (
    FindingKind,
    FindingSource,
    FindingStatus,
    NewAction,
    NewFinding,
)
from governance.incidents import (
    IncidentReport,
    Severity,
    close_incident,
    get_incident,
    report_incident,
)
from governance.register import get_record
from governance.reviews import ReviewAnswers, ReviewOutcome, complete_review, local_today
from scheduler.runner import run_job
from store.db import Database
from store.evidence import iter_ledger, verify
from store.improvement_models import CorrectiveAction, Finding
from store.models import EvidenceEvent, OutboundMessage
from tests.conftest import SAMPLE
from tests.scheduler.support import live_record
from tests.support.replicas import run_together

LEAD, OTHER_LEAD = "U0ACME0001", "U0ACME0002"
OWNER, DOER, STRANGER = "U0ACME0003", "U0ACME0005", "U0ACME0009"
REPORTER = "U0ACME0012"
NOT_LISTED = "U0NOBODY01"  # a Slack-shaped id nobody lists or owns anything as


# --- helpers ---------------------------------------------------------------------------------


def new_finding(**changes: object) -> NewFinding:
    fields: dict[str, object] = {
        "kind": FindingKind.NONCONFORMITY,
        "source": FindingSource.LEAD,
        "title": "Claims triage ran without its human review for a week",
        "controls": ["A.6.2.6"],
        "severity": Severity.HIGH,
        "owner": OWNER,
    }
    return NewFinding.model_validate({**fields, **changes})


def raise_one(db: Database, config: OrgConfig, now: datetime, **changes: object) -> str:
    with db.session() as session:
        return service.raise_finding(
            session, config=config, finding=new_finding(**changes), actor=LEAD, now=now
        ).ref


def plan(
    db: Database,
    config: OrgConfig,
    now: datetime,
    ref: str,
    *,
    owner: str = DOER,
    due: date | None = None,
    actor: str = OWNER,
) -> str:
    due_on = due or local_today(config, now) + timedelta(days=14)
    with db.session() as session:
        return service.plan_action(
            session,
            config=config,
            ref=ref,
            action=NewAction(description="Re-enable the review queue", owner=owner, due_on=due_on),
            actor=actor,
            now=now,
        ).ref


def status_of(db: Database, ref: str) -> str:
    with db.session() as session:
        return service.get_finding(session, ref).status


def kinds(db: Database, subject: str | None = None) -> list[str]:
    with db.session() as session:
        query = select(EvidenceEvent.kind).order_by(EvidenceEvent.seq)
        if subject:
            query = query.where(EvidenceEvent.subject == subject)
        return list(session.scalars(query))


def counts(db: Database) -> tuple[int, int, int, int]:
    """Findings, actions, outbox messages, evidence events."""
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Finding, CorrectiveAction, OutboundMessage, EvidenceEvent)
        )


def queued(db: Database, kind: str) -> list[OutboundMessage]:
    with db.session() as session:
        rows = list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.kind == kind)
                .order_by(OutboundMessage.id)
            )
        )
        session.expunge_all()
        return rows


def ledger_ok(db: Database) -> bool:
    with db.session() as session:
        return verify(iter_ledger(session)).ok


# --- the lifecycle ---------------------------------------------------------------------------


def test_a_finding_goes_from_raised_to_closed_one_evidence_event_per_step(db, sample_config, now):
    record = live_record(db, due=None, now=now, owner=OWNER)
    ref = raise_one(db, sample_config, now, records=[record.lower()])
    assert status_of(db, ref) == FindingStatus.OPEN
    before = len(kinds(db))
    with db.session() as session:
        service.set_root_cause(
            session,
            config=sample_config,
            ref=ref,
            root_cause="The queue's feature flag was switched off in a release",
            actor=OWNER,
            now=now,
        )
    first = plan(db, sample_config, now, ref)
    second = plan(db, sample_config, now, ref, owner=OWNER, actor=LEAD)
    assert status_of(db, ref) == FindingStatus.ACTIONS_PLANNED
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=first, note="Flag on", actor=DOER, now=now
        )
    assert status_of(db, ref) == FindingStatus.ACTIONS_PLANNED  # one still open
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=second, note="", actor=OWNER, now=now
        )
    assert status_of(db, ref) == FindingStatus.ACTIONS_DONE
    with db.session() as session:
        service.verify(
            session,
            config=sample_config,
            ref=ref,
            verification="A month of queue reports: every case reviewed",
            actor=OWNER,
            now=now,
        )
        service.close(session, config=sample_config, ref=ref, actor=LEAD, now=now)
    assert status_of(db, ref) == FindingStatus.CLOSED
    assert kinds(db, ref) == [
        "finding.raised",
        "finding.updated",
        "finding.action_added",
        "finding.action_added",
        "finding.action_done",
        "finding.action_done",
        "finding.verified",
        "finding.closed",
    ]
    assert len(kinds(db)) == before + 7  # nothing else was recorded on the way
    with db.session() as session:
        finding = service.get_finding(session, ref)
        assert finding.records == [record]  # as the register spells it
        assert (finding.verified_by, finding.closed_by) == (OWNER, LEAD)
        raised = json.loads(service.history(session, finding)[0].payload)
        assert raised["records"] == [record] and raised["owner"] == OWNER
    # Who was told: the owner that it is theirs, each action's owner, then the owner again.
    assert [m.channel for m in queued(db, "finding.raised")] == [OWNER]
    assert [m.channel for m in queued(db, "finding.action")] == [DOER, OWNER]
    statuses = [m.text for m in queued(db, "finding.status") if m.op == "post"]
    assert any("has every action done" in text for text in statuses)
    assert any("is closed" in text for text in statuses)
    assert ledger_ok(db)


def test_a_done_actions_notice_gives_way_to_who_did_it(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    action = plan(db, sample_config, now, ref)
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="Flag on", actor=DOER, now=now
        )
    [update] = [m for m in queued(db, "finding.status") if m.op == "update"]
    assert update.target_of == f"finding.action:{action}" and update.channel == DOER
    assert "is done" in update.text and "Flag on" in update.text
    assert "Mark it done" not in json.dumps(update.notice)


def test_a_reopened_finding_needs_new_actions_and_a_new_verification(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    action = plan(db, sample_config, now, ref)
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="", actor=DOER, now=now
        )
        service.verify(
            session, config=sample_config, ref=ref, verification="Checked", actor=LEAD, now=now
        )
        service.close(session, config=sample_config, ref=ref, actor=LEAD, now=now)
    with pytest.raises(ValidationProblem, match="say why"), db.session() as session:
        service.reopen(session, config=sample_config, ref=ref, reason=" ", actor=LEAD, now=now)
    assert status_of(db, ref) == FindingStatus.CLOSED
    with db.session() as session:
        service.reopen(
            session,
            config=sample_config,
            ref=ref,
            reason="The flag was switched off again",
            actor=OWNER,
            now=now,
        )
    with db.session() as session:
        finding = service.get_finding(session, ref)
        assert (finding.status, finding.reopened, finding.verification) == ("open", 1, "")
    with (
        pytest.raises(TransitionError, match="is open: its actions must all be done"),
        db.session() as session,
    ):
        service.verify(
            session, config=sample_config, ref=ref, verification="Again", actor=LEAD, now=now
        )
    plan(db, sample_config, now, ref)
    assert status_of(db, ref) == FindingStatus.ACTIONS_PLANNED
    assert kinds(db, ref)[-2:] == ["finding.reopened", "finding.action_added"]
    reopened = [m.text for m in queued(db, "finding.status") if "reopened" in m.text]
    assert reopened and "switched off again" in reopened[0]
    assert ledger_ok(db)


def test_a_finding_cannot_close_without_verification(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    with pytest.raises(TransitionError) as refused, db.session() as session:
        service.close(session, config=sample_config, ref=ref, actor=LEAD, now=now)
    assert "verify that the actions worked" in str(refused.value)
    action = plan(db, sample_config, now, ref)
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="", actor=DOER, now=now
        )
    before = counts(db)
    with pytest.raises(TransitionError) as refused, db.session() as session:
        service.close(session, config=sample_config, ref=ref, actor=LEAD, now=now)
    assert str(refused.value) == (
        f"{ref} is actions done: verify that the actions worked (verification of "
        "effectiveness) before closing it"
    )
    with pytest.raises(ValidationProblem, match="say how you verified"), db.session() as session:
        service.verify(session, config=sample_config, ref=ref, verification="", actor=LEAD, now=now)
    assert status_of(db, ref) == FindingStatus.ACTIONS_DONE
    assert counts(db) == before


# --- bad input: refused, naming what is wrong, nothing saved ----------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"owner": NOT_LISTED}, ValidationProblem, "the owner 'U0NOBODY01' is not a known person"),
        ({"controls": ["A.99"]}, ValidationProblem, "A.99 is not an ISO/IEC 42001 Annex A control"),
        ({"records": ["AIU-0999"]}, NotFoundError, "no register record 'AIU-0999'"),
    ],
)
def test_a_bad_finding_is_refused_and_nothing_is_saved(
    db, sample_config, now, changes, error, message
):
    before = counts(db)
    with pytest.raises(error, match=message), db.session() as session:
        service.raise_finding(
            session, config=sample_config, finding=new_finding(**changes), actor=LEAD, now=now
        )
    assert counts(db) == before


def test_only_a_lead_raises_a_finding_of_their_own(db, sample_config, now):
    before = counts(db)
    with pytest.raises(PermissionDenied, match="governance lead"), db.session() as session:
        service.raise_finding(
            session, config=sample_config, finding=new_finding(), actor=OWNER, now=now
        )
    assert counts(db) == before


def test_a_bad_action_is_refused_and_nothing_is_saved(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    before = counts(db)
    today = local_today(sample_config, now)
    refusals = [
        (NOT_LISTED, today + timedelta(days=3), OWNER, "the action's owner 'U0NOBODY01' is not"),
        (DOER, today - timedelta(days=1), OWNER, "is in the past; give a date ahead"),
        (DOER, today + timedelta(days=3), STRANGER, f"only {ref}'s owner or a governance lead"),
    ]
    for owner, due, actor, message in refusals:
        with pytest.raises((ValidationProblem, PermissionDenied)) as err, db.session() as session:
            service.plan_action(
                session,
                config=sample_config,
                ref=ref,
                action=NewAction(description="Re-enable it", owner=owner, due_on=due),
                actor=actor,
                now=now,
            )
        assert message in str(err.value)
    assert counts(db) == before
    assert status_of(db, ref) == FindingStatus.OPEN


def test_only_the_actions_owner_the_findings_owner_or_a_lead_marks_it_done(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    action = plan(db, sample_config, now, ref)
    before = counts(db)
    with pytest.raises(PermissionDenied, match="mark it done"), db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="", actor=STRANGER, now=now
        )
    assert counts(db) == before
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="", actor=DOER, now=now
        )
    with pytest.raises(ValidationProblem, match="already done"), db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=action, note="", actor=DOER, now=now
        )
    assert kinds(db, ref).count("finding.action_done") == 1


# --- raised from an incident and from a review -----------------------------------------------


def report(
    db: Database, config: OrgConfig, now: datetime, record: str | None, reporter: str = REPORTER
) -> str:
    with db.session() as session:
        return report_incident(
            session,
            config=config,
            actor=reporter,
            now=now,
            report=IncidentReport(
                ai_use_ref=record,
                unregistered_tool="" if record else "Otter.ai",
                what_happened="A claim was declined without the human review",
                occurred_at=now - timedelta(hours=2),
                severity=Severity.HIGH,
                people_harmed=True,
                harm_details="One customer's claim",
            ),
        ).ref


def test_closing_an_incident_can_raise_a_finding_with_the_incident_linked(db, sample_config, now):
    record = live_record(db, due=None, now=now, owner=OWNER)
    incident = report(db, sample_config, now, record)
    with db.session() as session:
        close_incident(
            session,
            config=sample_config,
            incident=get_incident(session, incident),
            actor=LEAD,
            root_cause="The review flag was off",
            corrective_action="Flag on, and checked in every release",
            now=now,
            raise_finding=True,
        )
    with db.session() as session:
        finding = service.raised_from(session, FindingSource.INCIDENT, incident)
        assert finding is not None
        assert (finding.kind, finding.source, finding.source_ref) == (
            "nonconformity",
            "incident",
            incident,
        )
        assert (finding.records, finding.controls) == ([record], ["A.8.4"])
        assert (finding.severity, finding.owner, finding.raised_by) == ("high", OWNER, LEAD)
        assert finding.root_cause == "The review flag was off"
        assert "Flag on, and checked in every release" in finding.description
        assert incident in finding.title
    closed = queued(db, "incident.closed")
    assert closed and all(f"Finding raised: {finding.ref}" in m.text for m in closed)
    assert [m.channel for m in queued(db, "finding.raised")] == [OWNER]
    assert kinds(db)[-2:] == ["incident.closed", "finding.raised"]
    assert ledger_ok(db)


def test_an_incident_whose_finding_is_refused_stays_open(db, sample_config, now):
    """The closure and its finding are one transaction: no owner for the finding (an
    unregistered tool, closed by a reporter nobody lists), so neither happens."""
    incident = report(db, sample_config, now, None, reporter=NOT_LISTED)
    before = counts(db)
    with pytest.raises(ValidationProblem, match="not a known person"), db.session() as session:
        close_incident(
            session,
            config=sample_config,
            incident=get_incident(session, incident),
            actor=NOT_LISTED,
            root_cause="x",
            corrective_action="y",
            now=now,
            raise_finding=True,
        )
    assert counts(db) == before
    with db.session() as session:
        assert get_incident(session, incident).status == "open"


def test_a_review_that_found_something_raises_an_observation(db, sample_config, now):
    record = live_record(db, due=now.date(), now=now, owner=OWNER)
    answers = ReviewAnswers(still_in_use=True, changed=False, incidents=False, performing=True)
    with db.session() as session:
        result = complete_review(
            session,
            record=get_record(session, record),
            config=sample_config,
            actor=OWNER,
            answers=answers,
            outcome=ReviewOutcome.CONTINUE,
            now=now,
            found="Nobody checks the vendor's model updates\nThey ship monthly, unannounced.",
        )
    assert result.finding == "FND-0001" and "Observation FND-0001 is raised" in result.message
    with db.session() as session:
        finding = service.get_finding(session, "FND-0001")
        assert (finding.kind, finding.source, finding.source_ref) == (
            "observation",
            "review",
            record,
        )
        assert finding.title == "Nobody checks the vendor's model updates"
        assert "ship monthly" in finding.description
        assert (finding.records, finding.owner) == ([record], OWNER)
        completed = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "review.completed")
        ).one()
        assert set(json.loads(completed.payload)) == {"due_on", "outcome", "answers"}
    assert ledger_ok(db)


def test_a_review_with_nothing_found_raises_nothing(db, sample_config, now):
    record = live_record(db, due=now.date(), now=now, owner=OWNER)
    answers = ReviewAnswers(still_in_use=True, changed=False, incidents=False, performing=True)
    with db.session() as session:
        result = complete_review(
            session,
            record=get_record(session, record),
            config=sample_config,
            actor=OWNER,
            answers=answers,
            outcome=ReviewOutcome.CONTINUE,
            now=now,
            found="  ",
        )
    assert result.finding is None and counts(db)[0] == 0


# --- the nudges ------------------------------------------------------------------------------


def sweep(db: Database, config: OrgConfig, when: datetime) -> str:
    outcome = run_job(db, config, "finding-actions", now=when)
    assert outcome.ok, outcome.describe()
    return outcome.summary


def test_an_action_is_nudged_before_and_after_its_due_date_once_each_then_escalated(
    db, sample_config, now
):
    """Defaults from the sample aims.yaml: 3 days before, then escalated a week overdue."""
    ref = raise_one(db, sample_config, now)
    today = local_today(sample_config, now)
    action = plan(db, sample_config, now, ref, due=today + timedelta(days=5))
    done = plan(db, sample_config, now, ref, due=today + timedelta(days=5))
    with db.session() as session:
        service.complete_action(
            session, config=sample_config, ref=done, note="", actor=DOER, now=now
        )
    day = timedelta(days=1)
    summaries = {offset: sweep(db, sample_config, now + offset * day) for offset in range(0, 15)}
    assert summaries[0].startswith("0 corrective actions nudged before")
    assert summaries[2].startswith("1 corrective actions nudged before their due date, 0 after")
    assert summaries[6].startswith("0 corrective actions nudged before their due date, 1 after")
    assert summaries[12].endswith("1 escalated to the leads")
    quiet = {offset for offset in summaries if offset not in (2, 6, 12)}
    assert all(summaries[o] == summaries[0] for o in quiet), summaries
    nudges = queued(db, "finding.nudge")
    assert [(m.channel, m.dedupe_key) for m in nudges] == [
        (DOER, f"finding.nudge:{action}:before"),
        (DOER, f"finding.nudge:{action}:after"),
    ]
    assert "due in 3 days" in nudges[0].text and "1 days ago" in nudges[1].text
    escalations = queued(db, "finding.escalation")
    assert sorted(m.channel for m in escalations) == [LEAD, OTHER_LEAD]
    assert "7 days overdue" in escalations[0].text
    assert Counter(kinds(db, ref))["finding.action_nudged"] == 2
    assert Counter(kinds(db, ref))["finding.action_escalated"] == 1
    assert ledger_ok(db)


def test_after_downtime_an_overdue_action_gets_one_nudge_and_its_escalation(db, sample_config, now):
    ref = raise_one(db, sample_config, now)
    today = local_today(sample_config, now)
    action = plan(db, sample_config, now, ref, due=today + timedelta(days=1))
    sweep(db, sample_config, now + timedelta(days=20))
    sweep(db, sample_config, now + timedelta(days=21))
    assert [m.dedupe_key for m in queued(db, "finding.nudge")] == [f"finding.nudge:{action}:after"]
    assert len(queued(db, "finding.escalation")) == 2  # the two leads, once


# --- two scheduler processes on Postgres -----------------------------------------------------

SCHEDULER = """
import sys
from pathlib import Path
from datetime import datetime
from governance.config import load_config
from scheduler.runner import run_job
from store.db import Database
url, config_path, when, name = sys.argv[1:5]
db = Database(url)
config = load_config(Path(config_path))
with db.session() as session:
    session.connection()  # connect now, not after "go"
print("ready", flush=True)
sys.stdin.readline()
outcome = run_job(db, config, "finding-actions", now=datetime.fromisoformat(when), worker=name)
db.dispose()
print("ok" if outcome.ok else outcome.describe(), flush=True)
"""


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgres_send_each_nudge_once(pg_db, sample_config, now):
    actions = 12
    today = local_today(sample_config, now)
    for number in range(actions):
        ref = raise_one(pg_db, sample_config, now, title=f"Finding number {number}")
        plan(pg_db, sample_config, now, ref, due=today + timedelta(days=5 + number % 2))
    config_path = str(SAMPLE / "aims.yaml")
    for offset in (3, 7, 13):  # before, after, then the escalation (both due dates)
        when = (now + timedelta(days=offset)).isoformat()
        scripts = [[SCHEDULER, pg_db.url, config_path, when, f"replica-{i}"] for i in (1, 2)]
        assert run_together(scripts, timeout=120) == ["ok", "ok"]
    with pg_db.session() as session:
        events = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind.like("finding.action_%"))
        ).all()
        sent = Counter(
            (e.kind, json.loads(e.payload)["action"], json.loads(e.payload).get("when"))
            for e in events
        )
    assert sum(1 for kind, _, _ in sent if kind == "finding.action_nudged") == actions * 2
    assert sum(1 for kind, _, _ in sent if kind == "finding.action_escalated") == actions
    assert {key: n for key, n in sent.items() if n > 1} == {}
    assert len(queued(pg_db, "finding.nudge")) == actions * 2
    assert len(queued(pg_db, "finding.escalation")) == actions * 2  # two leads each
    assert ledger_ok(pg_db)
