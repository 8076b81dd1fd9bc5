"""The management review (ISO/IEC 42001 9.3, issue 17): the quarterly job prepares the inputs from
the register, the ledger and the findings and queues the thread; leads record decisions, actions
(corrective actions, nudged like any other) and the minutes; bad input changes nothing."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from governance.approvals.service import open_request_for, slots_of
from governance.errors import PermissionDenied, ValidationProblem
from governance.feedback import record_feedback
from governance.findings.models import FindingKind, FindingSource, NewFinding
from governance.findings.service import raise_finding
from governance.incidents import IncidentReport, Severity, report_incident
from governance.management_review import queries, service
from governance.management_review.export import export_html, export_markdown
from governance.management_review.models import Act, Decide, Other, ReviewInputs
from governance.management_review.periods import (
    last_period,
    parse_period,
    period_title,
    review_ref,
)
from governance.management_review.thread import parse_thread_message
from governance.models import RecordFields, RiskTier
from governance.register import create_record
from scheduler import service as scheduler_service
from scheduler.runner import run_job
from store import evidence
from store.evidence import iter_ledger, verify
from store.evidence_kinds import EvidenceKind
from store.improvement_models import CorrectiveAction, Finding, ManagementReview
from store.models import AIUse, EvidenceEvent, OutboundMessage
from tests.governance.approvals.helpers import act, submitted
from tests.scheduler.support import live_record

PRIYA, TOM = "U0ACME0001", "U0ACME0002"  # governance leads
OLIVER = "U0ACME0012"  # not a lead
CHANNEL = "C0ACMEGOV1"  # the sample's governance channel

Q3_JOB = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # Monday 5 Oct 2026, 09:00 in London (BST)
Q4_JOB = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # Monday 4 Jan 2027, 09:00 in London (GMT)
Q4_START = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # midnight, 1 Oct 2026, in London
Q4_END = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def prepared(db, ref: str) -> ManagementReview:
    with db.session() as session:
        review = queries.get_review(session, ref)
        session.expunge(review)
        return review


def ledger_count(session, kind: EvidenceKind | None = None) -> int:
    query = select(func.count()).select_from(EvidenceEvent)
    if kind is not None:
        query = query.where(
            EvidenceEvent.kind == kind,
            EvidenceEvent.occurred_at >= Q4_START,
            EvidenceEvent.occurred_at < Q4_END,
        )
    return int(session.scalar(query) or 0)


def quarter_of_history(db, config) -> dict[str, str]:
    """A Q3 review with an action due in Q4 (nudged, then overdue), and in Q4: records of
    several tiers, an approval, an incident, a finding, an unanswered question marked unhelpful,
    feedback, changed policies and catalogue, a refused gateway request, and a record whose
    review is overdue."""
    live_record(db, due=date(2027, 6, 1), now=at(8, 10), title="Older use", tier=RiskTier.LIMITED)
    assert run_job(db, config, "management-review", now=Q3_JOB).ok
    with db.session() as session:
        action = service.record_action(
            session,
            config=config,
            ref="MR-2026-Q3",
            owner=TOM,
            description="Publish the AI use FAQ",
            due_on=date(2026, 11, 30),
            actor=PRIYA,
            now=at(10, 6),
        )
        refs = {"previous_action": action.ref}
    for tier, title in [(RiskTier.HIGH, "Credit scoring"), (RiskTier.LIMITED, "Chat assistant")]:
        with db.session() as session:
            fields = RecordFields(title=title, risk_tier=tier, owner=OLIVER)
            refs[title] = create_record(session, fields=fields, actor=OLIVER, now=at(10, 7)).ref
    with db.session() as session:
        create_record(session, fields=RecordFields(title="Not tiered"), actor=OLIVER, now=at(10, 7))
    refs["overdue"] = live_record(db, due=date(2026, 12, 15), now=at(10, 8), title="CV screening")
    with db.session() as session:
        record = submitted(session, config, RiskTier.MINIMAL, at(10, 10))
        refs["approved"] = record.ref
    with db.session() as session:
        for slot in slots_of(session, open_request_for(session, refs["approved"])):
            act(session, config, refs["approved"], slot.key, slot.approvers[0], now=at(10, 14))
    with db.session() as session:
        report_incident(
            session,
            config=config,
            actor=OLIVER,
            now=at(11, 2),
            report=IncidentReport(
                unregistered_tool="Otter.ai",
                what_happened="A meeting was recorded without consent",
                occurred_at=at(11, 2),
                severity=Severity.MEDIUM,
                people_harmed=False,
            ),
        )
        raise_finding(
            session,
            config=config,
            actor=PRIYA,
            now=at(11, 10),
            finding=NewFinding(
                kind=FindingKind.NONCONFORMITY,
                source=FindingSource.LEAD,
                title="Vendor contracts lack AI clauses",
                owner=TOM,
            ),
        )
        answer = _unanswered(session, "Can I use Midjourney for adverts?", at(11, 20))
        evidence.append(
            session,
            actor=OLIVER,
            kind=EvidenceKind.ANSWER_FEEDBACK,
            subject=str(answer.seq),
            now=at(11, 20, 11),
            payload={
                "vote": "down",
                "answer_ref": str(answer.seq),
                "channel": None,
                "message_ts": None,
            },
        )
        record_feedback(
            session,
            config=config,
            record_ref=refs["Chat assistant"],
            text="It told me my claim was rejected before anyone read it",
            reporter="U0ACME0011",
            consent=False,
            salt=b"test-salt",
            now=at(11, 21),
        )
        outside_the_catalogue_and_the_policies(session, at(11, 22))
    # The Q3 action is nudged before its due date and after it by the scheduler's sweep.
    assert run_job(db, config, "finding-actions", now=at(11, 27, 10)).ok
    assert run_job(db, config, "finding-actions", now=at(12, 2, 10)).ok
    return refs


def outside_the_catalogue_and_the_policies(session, now: datetime) -> None:
    """What the ingest, the catalogue sync and the gateway record (their own tests cover how)."""
    evidence.append(
        session,
        actor="aims-ingest",
        kind=EvidenceKind.POLICIES_INGESTED,
        subject="policies",
        now=now,
        payload={
            "pipeline": "v1",
            "added": [{"source": "policies/ai-faq.md", "sha256": "a" * 64}],
            "changed": [{"source": "policies/acceptable-use.md", "sha256": "b" * 64}],
            "removed": [],
            "unchanged": 4,
            "skipped": [],
            "flagged": [],
            "trust_lapsed": [],
            "chunks_embedded": 12,
            "total_chunks": 80,
        },
    )
    evidence.append(
        session,
        actor="aims-config",
        kind=EvidenceKind.CATALOGUE_SYNCED,
        subject="catalogue",
        now=now,
        payload={"changed": ["Otter.ai"]},
    )
    evidence.append(
        session,
        actor="gateway",
        kind=EvidenceKind.GATEWAY_DECISION,
        subject="gateway",
        now=now,
        payload={
            "key_id": None,
            "key_prefix": "",
            "record_ref": None,
            "version": None,
            "model": "gpt-4o",
            "outcome": "refuse",
            "reason": "no_key",
            "message": "no key",
            "found": {},
            "redacted": {},
            "prompt_sha256_received": "0" * 64,
            "prompt_sha256_forwarded": None,
            "upstream": None,
            "upstream_status": None,
            "latency_ms": None,
            "prompt_tokens": None,
            "completion_tokens": None,
            "via": "http",
        },
    )


def _unanswered(session, question: str, now: datetime) -> EvidenceEvent:
    return evidence.append(
        session,
        actor=OLIVER,
        kind=EvidenceKind.ANSWER_GIVEN,
        subject="answer",
        now=now,
        payload={
            "question": question,
            "question_sha256": "0" * 64,
            "answer": "The policies do not answer that.",
            "covered": False,
            "mode": "extractive",
            "retrieval": {"method": "hybrid", "confidence": 0.1},
            "citations": [],
            "tools": [],
            "unknown_tools": [],
        },
    )


# --- the quarterly job ------------------------------------------------------------------------


def test_the_quarterly_job_posts_inputs_that_match_the_register_ledger_and_findings(
    db, sample_config
):
    refs = quarter_of_history(db, sample_config)
    outcome = run_job(db, sample_config, "management-review", now=Q4_JOB)
    assert outcome.ok and outcome.summary.startswith("MR-2026-Q4 prepared for Q4 2026")

    review = prepared(db, "MR-2026-Q4")
    inputs = ReviewInputs.model_validate(review.inputs)
    with db.session() as session:
        new_in_q4 = session.execute(
            select(AIUse.ref, AIUse.risk_tier).where(
                AIUse.created_at >= Q4_START, AIUse.created_at < Q4_END
            )
        ).all()
        first, last = session.execute(
            select(func.min(EvidenceEvent.seq), func.max(EvidenceEvent.seq)).where(
                EvidenceEvent.occurred_at >= Q4_START, EvidenceEvent.occurred_at < Q4_END
            )
        ).one()
        open_findings = session.scalar(
            select(func.count()).select_from(Finding).where(Finding.status != "closed")
        )
        counted = {kind: ledger_count(session, kind) for kind in EvidenceKind}

    # The register: five records registered in Q4, by tier.
    assert sorted(inputs.changes.new_records) == sorted(ref for ref, _ in new_in_q4)
    assert inputs.changes.new_records_by_tier == {
        "high": 2,
        "limited": 1,
        "minimal": 1,
        "not tiered yet": 1,
    }
    # The ledger: its range and counts over the quarter.
    assert (inputs.first_seq, inputs.last_seq) == (first, last)
    assert (review.first_seq, review.last_seq) == (first, last)
    done = inputs.performance
    assert done.approvals.decided == counted[EvidenceKind.APPROVAL_COMPLETED] == 1
    assert (done.approvals.median_days, done.approvals.mean_days) == (4.0, 4.0)
    assert done.incidents.reported == counted[EvidenceKind.INCIDENT_REPORTED] == 1
    assert done.incidents.open_now == 1
    assert done.findings.raised == counted[EvidenceKind.FINDING_RAISED] == 2
    assert done.findings.open_now == open_findings == 2
    assert done.answers.given == counted[EvidenceKind.ANSWER_GIVEN] == 1
    assert (done.answers.not_covered, done.answers.unhelpful) == (1, 1)
    assert done.reviews.overdue_now == [refs["overdue"]]
    # The findings: the Q3 review's action, overdue now, after two nudges.
    [previous] = inputs.previous_actions.actions
    assert (previous.ref, previous.review, previous.status) == (
        refs["previous_action"],
        "MR-2026-Q3",
        "overdue",
    )
    assert counted[EvidenceKind.FINDING_ACTION_NUDGED] == 2
    assert [(p.source, p.change) for p in inputs.changes.policies] == [
        ("policies/acceptable-use.md", "changed"),
        ("policies/ai-faq.md", "added"),
    ]
    assert inputs.changes.catalogue == ["Otter.ai"]
    assert done.gateway is not None
    assert (done.gateway.decisions, done.gateway.refused, done.gateway.without_valid_key) == (
        counted[EvidenceKind.GATEWAY_DECISION],
        1,
        1,
    )
    assert done.feedback.received == counted[EvidenceKind.FEEDBACK_RECEIVED] == 1
    assert done.feedback.by_record == {refs["Chat assistant"]: 1}
    # What it suggests.
    assert any("Can i use midjourney for adverts" in line for line in inputs.opportunities)
    assert any(refs["overdue"] in line for line in inputs.opportunities)

    with db.session() as session:
        [prepared_event] = session.scalars(
            select(EvidenceEvent).where(
                EvidenceEvent.kind == EvidenceKind.MANAGEMENT_REVIEW_PREPARED,
                EvidenceEvent.subject == "MR-2026-Q4",
            )
        ).all()
        thread = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.subject == "MR-2026-Q4")
            .order_by(OutboundMessage.id)
        ).all()
        assert prepared_event.actor == "aims-scheduler"
        first_message, *files = thread
        assert (first_message.channel, first_message.kind) == (CHANNEL, "management_review.inputs")
        assert "Management review MR-2026-Q4: inputs for Q4 2026" in first_message.text
        assert f"Ledger events #{first} to #{last}" in first_message.text
        assert [(f.op, f.thread_of, f.attachment["filename"]) for f in files] == [
            ("upload", "management_review:MR-2026-Q4", "MR-2026-Q4.png"),
            ("upload", "management_review:MR-2026-Q4", "MR-2026-Q4.md"),
        ]
        assert base64.b64decode(files[0].attachment["content_base64"])[:4] == b"\x89PNG"
        markdown = base64.b64decode(files[1].attachment["content_base64"]).decode()
        assert "## Inputs" in markdown and "Can i use midjourney for adverts" in markdown
        assert verify(iter_ledger(session)).ok


def test_the_job_does_nothing_once_the_periods_review_exists(db, sample_config):
    first = run_job(db, sample_config, "management-review", now=Q3_JOB)
    again = run_job(db, sample_config, "management-review", now=Q3_JOB + timedelta(days=1))
    assert first.summary.startswith("MR-2026-Q3 prepared")
    assert again.ok and again.summary == "MR-2026-Q3 was prepared already"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ManagementReview)) == 1
        assert ledger_count(session) == 1


def test_two_replicas_running_the_job_at_once_prepare_one_review(pg_db, sample_config):
    summaries: list[str] = []
    start = threading.Barrier(2)

    def replica(name: str) -> None:
        start.wait()
        summaries.append(
            run_job(pg_db, sample_config, "management-review", now=Q3_JOB, worker=name).summary
        )

    threads = [threading.Thread(target=replica, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(s.startswith("MR-2026-Q3 prepared") for s in summaries) == 1
    with pg_db.session() as session:
        assert session.scalar(select(func.count()).select_from(ManagementReview)) == 1
        inputs_rows = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.kind == "management_review.inputs")
        )
        assert inputs_rows == 1


def test_the_job_runs_on_the_first_working_day_after_the_quarter(sample_config):
    runs = scheduler_service.next_runs(sample_config, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert runs["management-review"].isoformat() == "2027-01-01T09:00:00+00:00"
    after_new_year = scheduler_service.next_runs(
        sample_config, datetime(2027, 1, 1, 10, tzinfo=UTC)
    )
    assert after_new_year["management-review"].isoformat() == "2027-01-04T09:00:00+00:00"


# --- who may, and what is refused -----------------------------------------------------------


def test_only_a_governance_lead_prepares_a_review(db, sample_config):
    with pytest.raises(PermissionDenied, match="only a governance lead can prepare"):
        with db.session() as session:
            service.prepare_review(
                session,
                config=sample_config,
                period_start=date(2026, 7, 1),
                period_end=date(2026, 10, 1),
                actor=OLIVER,
                now=Q3_JOB,
            )
    with pytest.raises(ValidationProblem, match="Q4 2026 .* is not over yet"):
        with db.session() as session:
            service.prepare_review(
                session,
                config=sample_config,
                period_start=date(2026, 10, 1),
                period_end=date(2027, 1, 1),
                actor=PRIYA,
                now=at(12, 1),
            )
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ManagementReview)) == 0
        assert ledger_count(session) == 0


@pytest.mark.parametrize(
    ("owner", "description", "due_on", "message"),
    [
        (None, "Retrain the support team", date(2026, 12, 20), "an action needs an owner"),
        (TOM, "Retrain the support team", None, "an action needs a due date"),
        (None, "", None, "what is to be done and an owner .* and a due date"),
        ("U0NOBODY99", "Retrain the support team", date(2026, 12, 20), "not a known person"),
        (TOM, "Retrain the support team", date(2026, 10, 1), "in the past"),
    ],
)
def test_a_bad_action_is_refused_naming_what_is_missing_and_nothing_is_saved(
    db, sample_config, owner, description, due_on, message
):
    assert run_job(db, sample_config, "management-review", now=Q3_JOB).ok
    with db.session() as session:
        before = ledger_count(session)
    with pytest.raises(ValidationProblem, match=message):
        with db.session() as session:
            service.record_action(
                session,
                config=sample_config,
                ref="MR-2026-Q3",
                owner=owner,
                description=description,
                due_on=due_on,
                actor=PRIYA,
                now=at(10, 6),
            )
    with db.session() as session:
        assert ledger_count(session) == before
        assert session.scalar(select(func.count()).select_from(Finding)) == 0
        assert session.scalar(select(func.count()).select_from(CorrectiveAction)) == 0
        assert queries.get_review(session, "MR-2026-Q3").finding_id is None


def test_a_non_lead_records_nothing(db, sample_config):
    assert run_job(db, sample_config, "management-review", now=Q3_JOB).ok
    for record in (service.record_decision, service.record_action, service.hold):
        kwargs = {
            service.record_decision: {"text": "Keep going"},
            service.record_action: {"owner": TOM, "description": "Do it", "due_on": None},
            service.hold: {"attendees": [PRIYA], "held_on": date(2026, 10, 5)},
        }[record]
        with pytest.raises(PermissionDenied, match="only a governance lead"):
            with db.session() as session:
                record(
                    session,
                    config=sample_config,
                    ref="MR-2026-Q3",
                    actor=OLIVER,
                    now=at(10, 6),
                    **kwargs,
                )


# --- decisions, actions and the minutes -------------------------------------------------------


def test_decisions_actions_and_minutes_are_recorded_and_exported_escaped(db, sample_config):
    assert run_job(db, sample_config, "management-review", now=Q3_JOB).ok
    typed = "Adopt <script>alert(1)</script> the *new* [cadence](http://evil.example) & go"
    with db.session() as session:
        service.record_decision(
            session, config=sample_config, ref="mr-2026-q3", text=typed, actor=PRIYA, now=at(10, 6)
        )
        action = service.record_action(
            session,
            config=sample_config,
            ref="MR-2026-Q3",
            owner="tom.okafor@acme.example",
            description="Update the <b>DPIA</b> template",
            due_on=date(2026, 12, 20),
            actor=PRIYA,
            now=at(10, 6),
        )
        second = service.record_action(
            session,
            config=sample_config,
            ref="MR-2026-Q3",
            owner=OLIVER,
            description="Add AI clauses to vendor contracts",
            due_on=date(2027, 1, 31),
            actor=TOM,
            now=at(10, 7),
        )
        service.hold(
            session,
            config=sample_config,
            ref="MR-2026-Q3",
            attendees=[PRIYA, "tom.okafor@acme.example", PRIYA],
            held_on=date(2026, 10, 6),
            actor=PRIYA,
            now=at(10, 7),
        )
        review = queries.get_review(session, "MR-2026-Q3")
        finding = session.get_one(Finding, review.finding_id)
        # The review's own finding holds both actions, each followed up like any other.
        assert (finding.kind, finding.source, finding.source_ref, finding.owner) == (
            "opportunity",
            "management_review",
            "MR-2026-Q3",
            PRIYA,
        )
        assert finding.status == "actions_planned"
        assert (action.owner, second.owner) == (TOM, OLIVER)
        document = queries.review_document(session, sample_config, review)
        minutes = session.scalars(
            select(EvidenceEvent).where(
                EvidenceEvent.kind == EvidenceKind.MANAGEMENT_REVIEW_MINUTES
            )
        ).one()
        notes = session.scalars(
            select(OutboundMessage.text)
            .where(OutboundMessage.kind == "management_review.note")
            .order_by(OutboundMessage.id)
        ).all()
        assert verify(iter_ledger(session)).ok

    payload = json.loads(minutes.payload)
    assert payload["attendees"] == [PRIYA, TOM]
    assert payload["decisions"] == [typed]
    assert payload["actions"] == [action.ref, second.ref]
    assert (payload["first_seq"], payload["last_seq"]) == (review.first_seq, review.last_seq)
    assert [note.splitlines()[0] for note in notes] == [
        "Decision recorded for MR-2026-Q3",
        f"Action {action.ref} recorded for MR-2026-Q3, due 20 Dec 2026",
        f"Action {second.ref} recorded for MR-2026-Q3, due 31 Jan 2027",
        "Minutes of MR-2026-Q3 recorded: held on 6 Oct 2026",
    ]

    markdown = export_markdown(document)
    assert "Held on 6 Oct 2026; attended by Priya Raman, Tom Okafor" in markdown
    assert "&lt;script&gt;" in markdown and "<script>" not in markdown
    assert r"\*new\* \[cadence\](http://evil.example) &amp; go" in markdown
    assert f"- {action.ref} Update the &lt;b&gt;DPIA&lt;/b&gt; template: Tom Okafor" in markdown
    page = export_html(document)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>DPIA</b>" not in page and "Oliver Grant, due 31 Jan 2027, open" in page


# --- pure parts -------------------------------------------------------------------------------

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("decide: keep the quarterly cadence", Decide(text="keep the quarterly cadence")),
        ("Decision - retire the old bot", Decide(text="retire the old bot")),
        (
            "action: <@U0ACME0002> update the DPIA template by 2026-12-20",
            Act(owner=TOM, description="update the DPIA template", due_on=date(2026, 12, 20)),
        ),
        (
            "action: <@U0ACME0002|tom> to brief the board in 14 days",
            Act(owner=TOM, description="brief the board", due_on=date(2026, 12, 8)),
        ),
        (
            "ACTION: check 3 vendors <@U0ACME0012> 14d.",
            Act(owner=OLIVER, description="check 3 vendors", due_on=date(2026, 12, 8)),
        ),
        (
            "action: ask <@U0ACME0001> about it due in 2 weeks",
            Act(owner=PRIYA, description="ask about it", due_on=date(2026, 12, 8)),
        ),
        ("action: fix the FAQ", Act(owner=None, description="fix the FAQ", due_on=None)),
        ("thanks all, good meeting", Other()),
        ("what did we decide: nothing", Other()),
    ],
)
def test_what_a_lead_types_in_the_thread_is_parsed(typed, parsed):
    assert parse_thread_message(typed, TODAY) == parsed


def test_an_unreadable_due_date_is_named():
    with pytest.raises(ValidationProblem, match="'2026-13-45' is not a date"):
        parse_thread_message("action: <@U0ACME0002> fix it by 2026-13-45", TODAY)


def test_periods_and_their_refs():
    assert last_period(date(2027, 1, 4), 3) == (date(2026, 10, 1), date(2027, 1, 1))
    assert last_period(date(2026, 12, 1), 3) == (date(2026, 7, 1), date(2026, 10, 1))
    assert last_period(date(2026, 12, 1), 1) == (date(2026, 11, 1), date(2026, 12, 1))
    assert last_period(date(2027, 2, 3), 12) == (date(2026, 1, 1), date(2027, 1, 1))
    assert review_ref(parse_period("2026-Q4")) == "MR-2026-Q4"
    assert review_ref(parse_period("2026-11")) == "MR-2026-11"
    assert review_ref(parse_period("2026")) == "MR-2026-12"
    assert period_title(parse_period("2026-q4")) == "Q4 2026 (1 Oct 2026 to 31 Dec 2026)"
    assert period_title(parse_period("2026-11")) == "November 2026"
    with pytest.raises(ValidationProblem, match="a quarter \\(2026-Q4\\)"):
        parse_period("last quarter")
