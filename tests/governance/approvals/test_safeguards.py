"""Safeguards around approval: a resubmission changes only the intake's answers (never its own
tier or owner), a tier override goes back through approval, and nobody approves their own
request except as its business owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.approvals.flows import resubmit_after_changes
from governance.approvals.models import RESUBMITTABLE_FIELDS, RequestStatus, Verdict
from governance.approvals.service import open_request_for, requests_of, slots_of
from governance.errors import ValidationProblem
from governance.models import Deployment, RiskTier
from governance.tier_override import override_tier
from store import evidence
from store.models import EvidenceEvent
from tests.governance.approvals.helpers import (
    DANIEL,
    OLIVER,
    PRIYA,
    REQUESTER,
    SARAH,
    TOM,
    act,
    approve_all,
    submitted,
)


def _changes_requested(session, config, tier, now, **extra):
    record = submitted(session, config, tier, now, **extra)
    request = open_request_for(session, record.ref)
    first = slots_of(session, request)[0]
    act(
        session,
        config,
        record.ref,
        first.key,
        first.approvers[0],
        Verdict.REQUEST_CHANGES,
        reason="Say more",
    )
    for slot in slots_of(session, request)[1:]:
        act(session, config, record.ref, slot.key, slot.approvers[0])
    assert record.status == "changes_requested"
    return record


# --- 1. resubmission changes only the intake's answers -----------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"risk_tier": "minimal"},
        {"tier_reasons": ["nothing to see"]},
        {"tier_override": "I say so"},
        {"owner": REQUESTER},
        {"requester": OLIVER},
        {"conditions": []},
        {"next_review": "2030-01-01"},
        {"review_lapsed": False},
        {"status": "approved"},
        {"version": 9},
    ],
)
def test_a_resubmission_cannot_set_governance_fields(db, sample_config, now, change):
    with db.session() as session:
        record = _changes_requested(session, sample_config, RiskTier.HIGH, now)
        before = (record.version, record.risk_tier, record.owner, record.requester)
        with pytest.raises(ValidationProblem) as refused:
            resubmit_after_changes(
                session,
                record=record,
                changes={"purpose": "Clearer purpose", **change},
                actor=REQUESTER,
                config=sample_config,
                reason="lower my tier",
            )
        message = str(refused.value)
        assert f"cannot change {next(iter(change))}" in message
        assert "Fields you can change: " in message and "data_categories" in message
        assert (record.version, record.risk_tier, record.owner, record.requester) == before
        assert record.status == "changes_requested"


def test_a_resubmission_is_always_re_tiered_from_the_answers(db, sample_config, now):
    with db.session() as session:
        record = _changes_requested(session, sample_config, RiskTier.MINIMAL, now)
        resubmit_after_changes(
            session,
            record=record,
            changes={"deployment": Deployment.PUBLIC.value, "agent_write_access": True},
            actor=REQUESTER,
            config=sample_config,
            reason="it will act for customers",
        )
        assert (record.version, record.risk_tier) == (2, "high")
        request = open_request_for(session, record.ref)
        assert (request.version, request.tier) == (2, "high")
        assert any(slot.role == "senior_owner" for slot in slots_of(session, request))


def test_a_leads_override_stands_through_a_resubmission(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.HIGH, now)
        override_tier(
            session,
            record=record,
            tier=RiskTier.LIMITED,
            actor=PRIYA,
            justification="A person checks every limit change",
            config=sample_config,
        )
        request = open_request_for(session, record.ref)
        act(
            session,
            sample_config,
            record.ref,
            "business_owner",
            OLIVER,
            Verdict.REQUEST_CHANGES,
            reason="Name the team",
        )
        for slot in slots_of(session, request):
            if slot.key != "business_owner":
                act(session, sample_config, record.ref, slot.key, slot.approvers[0])
        assert record.status == "changes_requested"
        resubmit_after_changes(
            session,
            record=record,
            changes={"business_unit": "Credit"},
            actor=REQUESTER,
            config=sample_config,
            reason="team named",
        )
        assert (record.risk_tier, record.status) == ("limited", "in_review")


def test_every_field_the_slack_edit_form_offers_may_be_resubmitted():
    from bot.slack.approval_forms import EDITABLE_FIELDS

    assert set(EDITABLE_FIELDS) <= set(RESUBMITTABLE_FIELDS)
    assert not {
        "risk_tier",
        "tier_reasons",
        "tier_override",
        "owner",
        "requester",
        "conditions",
        "next_review",
        "review_lapsed",
    } & set(RESUBMITTABLE_FIELDS)


# --- 2. a tier override goes back through approval ---------------------------------------------


def test_an_override_during_review_supersedes_the_request_and_asks_again(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        old = open_request_for(session, record.ref)
        override_tier(
            session,
            record=record,
            tier=RiskTier.HIGH,
            actor=PRIYA,
            justification="It ranks applicants",
            config=sample_config,
        )
        assert (record.version, record.status) == (2, "in_review")
        session.refresh(old)
        assert old.status == RequestStatus.SUPERSEDED.value
        new = open_request_for(session, record.ref)
        assert (new.id != old.id, new.version, new.tier) == (True, 2, "high")
        assert any(slot.role == "senior_owner" for slot in slots_of(session, new))
        approve_all(session, sample_config, record.ref)
        assert record.status == "approved"
        kinds = [line.kind for line in evidence.iter_ledger(session)]
        assert kinds.index("record.tier_overridden") < kinds.index("approval.superseded")


@pytest.mark.parametrize("live", [False, True])
def test_an_override_of_an_approved_record_sends_it_back_for_approval(db, sample_config, now, live):
    from governance.models import RecordStatus
    from governance.register import transition

    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.HIGH, now)
        approve_all(session, sample_config, record.ref)
        if live:
            transition(session, record=record, to=RecordStatus.LIVE, actor=OLIVER)
        override_tier(
            session,
            record=record,
            tier=RiskTier.MINIMAL,
            actor=PRIYA,
            justification="Only suggests limits; a person sets them",
            config=sample_config,
        )
        assert record.status == "in_review"
        request = open_request_for(session, record.ref)
        assert (request.version, request.tier) == (record.version, "minimal")
        assert len(requests_of(session, record)) == 2
        approve_all(session, sample_config, record.ref)
        assert record.status == "approved"


def test_an_override_of_a_draft_just_changes_the_tier(db, sample_config, now):
    from governance.models import RecordFields
    from governance.register import create_record

    with db.session() as session:
        record = create_record(
            session, fields=RecordFields(title="Draft", risk_tier="high"), actor=REQUESTER, now=now
        )
        override_tier(
            session,
            record=record,
            tier=RiskTier.LIMITED,
            actor=PRIYA,
            justification="Advisory only",
            config=sample_config,
        )
        assert (record.status, record.risk_tier) == ("draft", "limited")
        assert requests_of(session, record) == []


# --- 3. separation of duties -------------------------------------------------------------------


def _refusals(session):
    return [
        e.payload
        for e in session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "approval.refused")
        ).all()
    ]


def test_a_requester_who_is_an_approver_cannot_approve_their_own_request(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now, requester=SARAH)
        result = act(session, sample_config, record.ref, "privacy", SARAH)
        assert (result.accepted, result.refusal) == (False, "own_request")
        assert "separation of duties" in result.message and "Daniel Costa" in result.message
        refusals = _refusals(session)
        assert len(refusals) == 1 and "own_request" in str(refusals[0])
        # Her delegate decides instead, and the request completes.
        assert act(session, sample_config, record.ref, "privacy", DANIEL).accepted
        assert act(session, sample_config, record.ref, "governance_leads", PRIYA).accepted
        assert act(session, sample_config, record.ref, "business_owner", OLIVER).accepted
        assert record.status == "approved"


def test_a_requester_cannot_approve_as_a_delegate_either(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now, requester=DANIEL)
        result = act(session, sample_config, record.ref, "privacy", DANIEL)
        assert result.refusal == "own_request" and "Sarah Whitfield" in result.message
        assert act(session, sample_config, record.ref, "privacy", SARAH).accepted
        # A governance lead who requested leaves the leads' approval to the other lead.
        other = submitted(session, sample_config, RiskTier.LIMITED, now, requester=TOM)
        assert act(session, sample_config, other.ref, "governance_leads", TOM).refusal == (
            "own_request"
        )
        assert act(session, sample_config, other.ref, "governance_leads", PRIYA).accepted


def test_a_requester_may_still_approve_as_the_business_owner_but_not_alone(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now, requester=OLIVER)
        result = act(session, sample_config, record.ref, "business_owner", OLIVER)
        assert result.accepted, result.message
        # Separation of duties: a governance lead approves their own-owned use too.
        assert record.status == "in_review"
        assert act(session, sample_config, record.ref, "governance_leads", TOM).accepted
        assert record.status == "approved"
