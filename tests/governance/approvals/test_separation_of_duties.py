"""Separation of duties (issue 14, part 3): unless aims.yaml allows self-approval, a requester's
own decision never approves their record alone, even as its business owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.approvals.flows import decide, open_request
from governance.approvals.models import DecisionInput, Verdict
from governance.approvals.routing import route, routed
from governance.approvals.service import create_request, open_request_for, slots_of
from governance.config import ApprovalSettings
from governance.errors import ConfigError
from governance.models import RecordFields, RecordStatus, RiskTier
from governance.register import create_record, get_record, transition
from store.approval_models import ApprovalDecision
from store.models import EvidenceEvent
from tests.governance.approvals.helpers import (
    CATHERINE,
    OLIVER,
    PRIYA,
    RAJESH,
    TOM,
    act,
    submitted,
)


def _mine(config, requester=OLIVER, **extra):
    """A minimal-tier use whose requester named themself ("me") as its business owner."""
    fields = RecordFields(
        title="Summaries of my meeting notes",
        risk_tier=RiskTier.MINIMAL,
        owner=requester,
        requester=requester,
        **extra,
    )
    return {slot.key: slot for slot in route(config, fields)}


def _with(config, **changes):
    return config.model_copy(update=changes)


def test_an_owner_me_minimal_record_needs_a_governance_lead_too(sample_config):
    slots = _mine(sample_config)
    assert list(slots) == ["business_owner", "governance_leads"]
    assert slots["business_owner"].approvers == [OLIVER]
    assert slots["governance_leads"].approvers == [PRIYA, TOM]
    assert "separation of duties" in slots["governance_leads"].rules[0]


def test_a_lead_who_owns_their_own_record_needs_the_other_lead(sample_config):
    slots = _mine(sample_config, requester=PRIYA)
    assert slots["governance_leads"].approvers == [TOM]


def test_the_only_lead_is_checked_by_a_senior_owner(sample_config):
    config = _with(sample_config, roles={**sample_config.roles, "governance_leads": [PRIYA]})
    slots = _mine(config, requester=PRIYA)
    assert slots["senior_owner"].approvers == [CATHERINE, RAJESH]
    assert "the requester is the only governance lead" in slots["senior_owner"].rules[0]


def test_the_only_lead_with_no_senior_owner_is_checked_by_their_delegate(sample_config):
    roles = {"governance_leads": [PRIYA]}
    config = _with(sample_config, roles=roles)
    assert _mine(config, requester=PRIYA)["governance_leads"].approvers == [TOM]


def test_with_nobody_else_at_all_submitting_says_what_to_change_and_files_nothing(
    db, sample_config, now
):
    alone = [p.model_copy(update={"delegates": []}) for p in sample_config.people]
    config = _with(sample_config, roles={"governance_leads": [PRIYA]}, people=alone)
    with pytest.raises(ConfigError) as refused, db.session() as session:
        submitted(session, config, RiskTier.MINIMAL, now, owner=PRIYA, requester=PRIYA)
    message = str(refused.value)
    assert "nobody but Priya Raman could approve" in message
    assert "roles.governance_leads" in message and "approvals.allow_self_approval" in message
    with db.session() as session:
        assert session.scalars(select(ApprovalDecision)).all() == []
        assert session.scalars(select(EvidenceEvent)).all() == []


def test_allow_self_approval_keeps_the_old_behaviour(db, sample_config, now):
    config = _with(sample_config, approvals=ApprovalSettings(allow_self_approval=True))
    assert list(_mine(config)) == ["business_owner"]
    with db.session() as session:
        record = submitted(session, config, RiskTier.MINIMAL, now, requester=OLIVER)
        assert act(session, config, record.ref, "business_owner", OLIVER).accepted
        assert record.status == "approved"


def test_the_requester_cannot_take_the_leads_approval_for_themself(db, sample_config, now):
    with db.session() as session:
        record = submitted(
            session, sample_config, RiskTier.MINIMAL, now, owner=PRIYA, requester=PRIYA
        )
        assert [s.approvers for s in slots_of(session, open_request_for(session, record.ref))] == [
            [PRIYA],
            [TOM],
        ]
        assert act(session, sample_config, record.ref, "business_owner", PRIYA).accepted
        # Priya is Tom's delegate, but not on what she asked for herself.
        refused = act(session, sample_config, record.ref, "governance_leads", PRIYA)
        assert refused.refusal == "own_request" and "Tom Okafor" in refused.message
        assert record.status == "in_review"
        assert act(session, sample_config, record.ref, "governance_leads", TOM).accepted
        assert record.status == "approved"


def _legacy_request(session, config, now):
    """A request opened the way routing worked before separation of duties: the requester,
    as business owner, is its only approver."""
    fields = RecordFields(
        title="Old request", risk_tier=RiskTier.MINIMAL, owner=OLIVER, requester=OLIVER
    )
    record = create_record(session, fields=fields, actor=OLIVER, now=now)
    transition(session, record=record, to=RecordStatus.SUBMITTED, actor=OLIVER, now=now)
    request = create_request(
        session, record=record, slots=routed(config, fields), actor=OLIVER, now=now
    )
    transition(session, record=record, to=RecordStatus.IN_REVIEW, actor=OLIVER, now=now)
    session.flush()
    return record, request


def _decision(request, verdict, reason=""):
    return DecisionInput(
        request_id=request.id,
        slot="business_owner",
        verdict=verdict,
        actor=OLIVER,
        reason=reason,
        version=request.version,
        via="cli",
    )


def test_a_requesters_approval_is_never_the_only_one_even_on_an_old_request(db, sample_config, now):
    with db.session() as session:
        record, request = _legacy_request(session, sample_config, now)
        result = decide(session, decision=_decision(request, Verdict.APPROVE), config=sample_config)
        assert (result.accepted, result.refusal) == (False, "own_request")
        assert "separation of duties" in result.message
        assert "Priya Raman or Tom Okafor" in result.message
        assert record.status == "in_review"
        assert session.scalars(select(ApprovalDecision)).all() == []
        refused = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "approval.refused")
        ).all()
        assert len(refused) == 1


def test_a_requester_may_still_decline_their_own_old_request(db, sample_config, now):
    with db.session() as session:
        record, request = _legacy_request(session, sample_config, now)
        declined = _decision(request, Verdict.REQUEST_CHANGES, reason="Wrong team named")
        assert decide(session, decision=declined, config=sample_config).accepted
        assert get_record(session, record.ref).status == "changes_requested"


def test_a_requester_who_is_not_the_owner_is_not_asked_twice(sample_config):
    """The owner is someone else, so routing needs nobody more."""
    fields = RecordFields(
        title="Memos", risk_tier=RiskTier.MINIMAL, owner=OLIVER, requester="U0ACMEREQ1"
    )
    assert [slot.key for slot in route(sample_config, fields)] == ["business_owner"]


def test_reopening_routes_again_with_the_independent_approval(db, sample_config, now):
    """A lead can re-open an old request: the new one asks a lead too."""
    with db.session() as session:
        record, _ = _legacy_request(session, sample_config, now)
        open_request(session, record=record, actor=PRIYA, config=sample_config, now=now)
        keys = [s.key for s in slots_of(session, open_request_for(session, record.ref))]
        assert keys == ["business_owner", "governance_leads"]
