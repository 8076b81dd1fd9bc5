"""Routing from aims.yaml: which approvals a record needs, and who may act on each."""

from __future__ import annotations

from governance.approvals.models import RequestStatus, Verdict
from governance.approvals.routing import acting_for, outcome_of, route
from governance.models import DataCategory, Deployment, RecordFields, RiskTier
from tests.governance.approvals.helpers import (
    CATHERINE,
    DANIEL,
    ELEANOR,
    HANNAH,
    JAMES,
    MARCUS,
    OLIVER,
    PRIYA,
    RAJESH,
    SARAH,
    TOM,
)


def _route(config, **fields):
    return {
        slot.key: slot for slot in route(config, RecordFields(title="x", owner=OLIVER, **fields))
    }


def test_a_minimal_use_needs_only_its_business_owner(sample_config):
    slots = _route(sample_config, risk_tier=RiskTier.MINIMAL)
    assert list(slots) == ["business_owner"]
    assert slots["business_owner"].approvers == [OLIVER]


def test_personal_data_adds_privacy_and_limited_adds_the_governance_leads(sample_config):
    slots = _route(
        sample_config, risk_tier=RiskTier.LIMITED, data_categories=[DataCategory.PERSONAL]
    )
    assert set(slots) == {"business_owner", "governance_leads", "privacy"}
    assert slots["privacy"].approvers == [SARAH]
    assert slots["governance_leads"].approvers == [PRIYA, TOM]


def test_high_risk_customer_facing_agent_needs_legal_security_model_risk_and_both_seniors(
    sample_config,
):
    slots = _route(
        sample_config,
        risk_tier=RiskTier.HIGH,
        deployment=Deployment.CUSTOMER_FACING,
        agent_write_access=True,
        third_party=True,
    )
    assert set(slots) == {
        "business_owner",
        "governance_leads",
        "legal",
        "security",
        "model_risk",
        f"senior_owner:{CATHERINE}",
        f"senior_owner:{RAJESH}",
    }
    assert slots["legal"].approvers == [ELEANOR, JAMES]  # any one of them
    assert slots["model_risk"].approvers == [HANNAH]
    # Two rules ask for Security; the CISO decides once, and both reasons are shown.
    assert slots["security"].approvers == [MARCUS]
    assert len(slots["security"].rules) == 2


def test_a_record_without_owner_or_tier_still_reaches_the_governance_leads(sample_config):
    slots = route(sample_config, RecordFields(title="untiered"))
    assert [slot.key for slot in slots] == ["governance_leads"]
    assert "no routing rule matched" in slots[0].rules[0]


def test_only_a_named_approver_or_their_delegate_may_act(sample_config):
    assert acting_for(sample_config, [SARAH], SARAH) == SARAH
    assert acting_for(sample_config, [SARAH], DANIEL) == SARAH
    assert acting_for(sample_config, [SARAH], MARCUS) is None
    # Delegation does not chain: Daniel names no delegates, and Sarah is not Daniel's.
    assert acting_for(sample_config, [DANIEL], SARAH) is None


def test_the_most_restrictive_verdict_decides_the_outcome():
    assert outcome_of([Verdict.APPROVE]) is RequestStatus.APPROVED
    assert outcome_of([Verdict.APPROVE, Verdict.APPROVE_WITH_CONDITIONS]) is (
        RequestStatus.APPROVED_WITH_CONDITIONS
    )
    assert outcome_of([Verdict.REQUEST_CHANGES, Verdict.APPROVE_WITH_CONDITIONS]) is (
        RequestStatus.CHANGES_REQUESTED
    )
    assert outcome_of([Verdict.REQUEST_CHANGES, Verdict.REJECT]) is RequestStatus.REJECTED
