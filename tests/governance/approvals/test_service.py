"""Approval services end to end on the database: requests, decisions, outcomes, evidence."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from governance.approvals.escalation import escalate_overdue
from governance.approvals.flows import decide, resubmit_after_changes
from governance.approvals.models import DecisionInput, RequestStatus, Verdict
from governance.approvals.service import open_request_for
from governance.errors import PermissionDenied, TransitionError
from governance.models import RiskTier
from governance.register import get_record
from store import evidence
from store.approval_models import ApprovalDecision
from tests.governance.approvals.helpers import (
    CATHERINE,
    DANIEL,
    MARCUS,
    OLIVER,
    PRIYA,
    RAJESH,
    REQUESTER,
    SARAH,
    TOM,
    act,
    approve_all,
    outbox,
    submitted,
)
from tests.support.notices import in_slack


def _kinds(session):
    return [line.kind for line in evidence.iter_ledger(session)]


def test_submission_opens_a_request_posts_it_and_dms_approvers_and_delegates(
    db, sample_config, now
):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        assert record.status == "in_review"
        post = outbox(session, "approval.request")
        dms = {m.channel for m in outbox(session, "approval.dm")}
    assert post[0].channel == sample_config.governance_channel
    assert "Risk tier: *limited*" in in_slack(post[0]).blocks[0]["text"]["text"]
    # Owner, both leads (each other's delegate), the DPO and her delegate.
    assert dms == {OLIVER, PRIYA, TOM, SARAH, DANIEL}


@pytest.mark.parametrize("tier", list(RiskTier)[1:])  # high, limited, minimal
def test_every_required_approval_makes_the_record_approved(db, sample_config, now, tier):
    with db.session() as session:
        record = submitted(session, sample_config, tier, now)
        approve_all(session, sample_config, record.ref)
    with db.session() as session:
        assert get_record(session, "AIU-0001").status == "approved"
        kinds = _kinds(session)
    assert kinds[-2:] == ["record.transitioned", "approval.completed"]
    assert "approval.requested" in kinds


def test_high_tier_waits_for_both_senior_owners(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.HIGH, now)
        for slot in ("business_owner", "governance_leads", "legal", "security", "model_risk"):
            request = open_request_for(session, record.ref)
            who = {
                "business_owner": OLIVER,
                "governance_leads": PRIYA,
                "legal": "U0ACME0007",
                "security": MARCUS,
                "model_risk": "U0ACME0011",
            }[slot]
            assert act(session, sample_config, record.ref, slot, who).accepted
        assert (
            act(session, sample_config, record.ref, f"senior_owner:{CATHERINE}", CATHERINE).outcome
            is None
        )
        # Catherine cannot approve for Rajesh: "all" means every named person.
        refused = act(session, sample_config, record.ref, f"senior_owner:{RAJESH}", CATHERINE)
        assert refused.refusal == "not_allowed"
        done = act(session, sample_config, record.ref, f"senior_owner:{RAJESH}", RAJESH)
        assert done.outcome is RequestStatus.APPROVED
        assert request.status == "approved"


def test_an_unauthorised_decision_is_refused_and_recorded(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        result = act(session, sample_config, record.ref, "privacy", MARCUS)
    assert not result.accepted and "Only Sarah Whitfield" in result.message
    assert "Daniel Costa" in result.message
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ApprovalDecision)) == 0
        refused = [
            line for line in evidence.iter_ledger(session) if line.kind == "approval.refused"
        ]
    assert refused[0].actor == MARCUS and '"why":"not_allowed"' in refused[0].payload


def test_a_delegate_decides_on_behalf_of_the_approver(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        assert act(session, sample_config, record.ref, "privacy", DANIEL).accepted
        row = session.scalar(select(ApprovalDecision))
        assert (row.decided_by, row.on_behalf_of) == (DANIEL, SARAH)
        thread = outbox(session, "approval.decision")[0]
    assert "Approved by Daniel Costa for Sarah Whitfield" in thread.text


def test_conditions_end_on_the_record_and_in_its_history(db, sample_config, now):
    from bot.render_record import record_detail

    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now)
        result = act(
            session,
            sample_config,
            record.ref,
            "business_owner",
            OLIVER,
            Verdict.APPROVE_WITH_CONDITIONS,
            reason="- DPIA first\n- Monthly sampling",
            now=now + timedelta(hours=2),
        )
        assert result.outcome is RequestStatus.APPROVED_WITH_CONDITIONS
    with db.session() as session:
        record = get_record(session, "AIU-0001")
        assert record.status == "approved_with_conditions"
        assert record.conditions == ["DPIA first", "Monthly sampling"]
        text = record_detail(session, record, sample_config).as_text()
    assert "Approvals:" in text
    assert "business_owner: Approved with conditions by Oliver Grant, 24 Nov 2026 11:30 UTC" in text
    assert "condition: DPIA first" in text


def test_a_decision_without_a_reason_is_refused_except_plain_approval(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now)
        result = act(session, sample_config, record.ref, "business_owner", OLIVER, Verdict.REJECT)
    assert result.refusal == "invalid" and "reason" in result.message


def test_changes_requested_loop_makes_a_new_version_and_old_buttons_stale(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        old = open_request_for(session, record.ref)
        act(
            session,
            sample_config,
            record.ref,
            "privacy",
            SARAH,
            Verdict.REQUEST_CHANGES,
            reason="Name the lawful basis",
        )
        act(session, sample_config, record.ref, "governance_leads", PRIYA)
        act(session, sample_config, record.ref, "business_owner", OLIVER)
        assert record.status == "changes_requested"
        told = outbox(session, "approval.outcome")[-1]
        assert told.channel == REQUESTER and "Name the lawful basis" in told.text
        resubmit_after_changes(
            session,
            record=record,
            changes={"purpose": "Legitimate interest"},
            actor=REQUESTER,
            config=sample_config,
            reason="lawful basis named",
        )
        assert (record.version, record.status) == (2, "in_review")
        stale = decide(
            session,
            config=sample_config,
            decision=DecisionInput(
                request_id=old.id,
                slot="governance_leads",
                verdict=Verdict.APPROVE,
                actor=PRIYA,
                version=1,
            ),
        )
        assert stale.refusal == "stale" and "now at v2" in stale.message
        new = open_request_for(session, record.ref)
        assert (new.version, new.id != old.id) == (2, True)
        approve_all(session, sample_config, record.ref)
        assert record.status == "approved"


def test_only_the_requester_owner_or_a_lead_may_resubmit(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now)
        act(
            session,
            sample_config,
            record.ref,
            "business_owner",
            OLIVER,
            Verdict.REQUEST_CHANGES,
            reason="Which team?",
        )
        with pytest.raises(PermissionDenied, match="only the requester"):
            resubmit_after_changes(
                session,
                record=record,
                changes={"business_unit": "Ops"},
                actor=MARCUS,
                config=sample_config,
                reason="x",
            )
        resubmit_after_changes(
            session,
            record=record,
            changes={"business_unit": "Ops"},
            actor=PRIYA,
            config=sample_config,
            reason="team named",
        )
        assert (record.version, record.status) == (2, "in_review")


def test_resubmitting_a_record_not_waiting_for_changes_is_refused(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now)
        with pytest.raises(TransitionError, match="not waiting for changes"):
            resubmit_after_changes(
                session,
                record=record,
                changes={"purpose": "x"},
                actor=REQUESTER,
                config=sample_config,
                reason="x",
            )


def test_a_second_decision_on_the_same_slot_is_refused_and_the_first_stands(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        assert act(session, sample_config, record.ref, "governance_leads", PRIYA).accepted
    with db.session() as session:
        again = act(
            session, sample_config, "AIU-0001", "governance_leads", TOM, Verdict.REJECT, reason="no"
        )
        assert (
            again.refusal == "already_decided" and "Priya Raman already approved" in again.message
        )
        assert session.scalar(select(func.count()).select_from(ApprovalDecision)) == 1


def test_overdue_requests_nudge_then_escalate_to_governance_leads_once(db, sample_config, now):
    with db.session() as session:
        submitted(session, sample_config, RiskTier.LIMITED, now)
        act(session, sample_config, "AIU-0001", "business_owner", OLIVER)
    days = timedelta(days=sample_config.approval_escalation_days)
    with db.session() as session:
        assert escalate_overdue(session, sample_config, now + days / 2) == 0
        assert escalate_overdue(session, sample_config, now + days) == 1
        assert escalate_overdue(session, sample_config, now + days) == 0  # already nudged
        nudged = {m.channel for m in outbox(session, "approval.nudge")}
        assert nudged == {PRIYA, TOM, SARAH}  # the business owner had decided
        assert escalate_overdue(session, sample_config, now + 2 * days) == 1
        escalated = outbox(session, "approval.escalation")
        assert {m.channel for m in escalated} == {sample_config.governance_channel, PRIYA, TOM}
        assert "governance_leads" in escalated[0].text and "privacy" in escalated[0].text
        assert escalate_overdue(session, sample_config, now + 3 * days) == 0
        assert _kinds(session)[-2:] == ["approval.nudged", "approval.escalated"]


@pytest.mark.parametrize(("tier", "days"), [(RiskTier.HIGH, 90), (RiskTier.MINIMAL, 365)])
def test_approval_starts_the_review_clock_at_the_tiers_cadence(db, sample_config, now, tier, days):
    with db.session() as session:
        record = submitted(session, sample_config, tier, now)
        approve_all(session, sample_config, record.ref)
    with db.session() as session:
        record = get_record(session, "AIU-0001")
        completed = [
            line for line in evidence.iter_ledger(session) if line.kind == "approval.completed"
        ][-1]
    approved_on = (
        datetime.fromisoformat(completed.occurred_at)
        .astimezone(ZoneInfo(sample_config.organisation.timezone))
        .date()
    )
    assert record.next_review == approved_on + timedelta(days=days)
    assert f'"next_review":"{record.next_review.isoformat()}"' in completed.payload
