"""The fast track (issue 14, part 4): an internal, minimal-risk use of an approved catalogue tool,
within the data it allows, needs one governance lead ("lead"), is approved at once on the
catalogue's conditions ("conditions"), or is routed like any other record ("off")."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from governance.approvals.fast_track import fast_track_tool, fast_track_why, not_eligible
from governance.approvals.routing import route
from governance.approvals.service import open_request_for, requests_of, slots_of
from governance.config import ApprovalSettings
from governance.models import DataCategory, Deployment, RecordFields, RiskTier
from store import evidence
from store.approval_models import ApprovalDecision
from tests.governance.approvals.helpers import (
    MARCUS,
    OLIVER,
    PRIYA,
    REQUESTER,
    TOM,
    act,
    outbox,
    submitted,
)

EVERYDAY = {
    "title": "DeepL for internal memos",
    "tool": "DeepL",  # an alias of DeepL Pro
    "vendor": "DeepL SE",
    "third_party": True,
    "deployment": Deployment.INTERNAL,
    "data_categories": [DataCategory.INTERNAL, DataCategory.CONFIDENTIAL],
    "decisions_about_people": "none",
    "autonomy": "assistant",
}


def _fields(**changes):
    return RecordFields(
        **{
            **EVERYDAY,
            "risk_tier": RiskTier.MINIMAL,
            "owner": OLIVER,
            "requester": REQUESTER,
            **changes,
        }
    )


def _mode(config, mode):
    return config.model_copy(update={"approvals": ApprovalSettings(fast_track=mode)})


def test_an_everyday_use_of_an_approved_tool_is_eligible(sample_config):
    tool = fast_track_tool(sample_config, _fields())
    assert tool is not None and tool.name == "DeepL Pro"
    why = fast_track_why(sample_config, tool)
    assert why.startswith("DeepL Pro is an approved catalogue tool")
    assert why.endswith("one governance lead approves it")


@pytest.mark.parametrize(
    ("change", "because"),
    [
        ({"tool": "ChatGPT", "data_categories": [DataCategory.PERSONAL]}, "not allowed personal"),
        ({"tool": "Midjourney"}, "Midjourney is restricted in the catalogue"),
        ({"tool": "Some startup's summariser"}, "is not in the tool catalogue"),
        ({"deployment": Deployment.EMPLOYEE_FACING}, "not an internal use"),
        ({"deployment": None}, "not an internal use"),
        ({"risk_tier": RiskTier.LIMITED}, "risk tier is not minimal"),
        ({"decisions_about_people": "recommends"}, "decisions about people"),
        ({"autonomy": "agent"}, "it is an agent"),
        ({"permissions": ["send email"]}, "it is an agent"),
        ({"open_items": ["data_categories"]}, "data_categories not known yet"),
    ],
)
def test_anything_beyond_an_everyday_use_is_not_eligible(sample_config, change, because):
    fields = _fields(**change)
    assert fast_track_tool(sample_config, fields) is None
    assert any(because in reason for reason in not_eligible(sample_config, fields))


def test_lead_mode_asks_one_governance_lead_instead_of_the_routing_rules(sample_config):
    [slot] = route(_mode(sample_config, "lead"), _fields())
    assert (slot.key, slot.approvers) == ("governance_leads", [PRIYA, TOM])
    assert slot.rules[0].startswith("fast track: DeepL Pro is an approved catalogue tool")
    # Separation of duties still holds: a lead who asks leaves it to the other lead.
    [slot] = route(_mode(sample_config, "lead"), _fields(requester=PRIYA))
    assert slot.approvers == [TOM]


def test_off_routes_it_like_any_other_record(sample_config):
    config = _mode(sample_config, "off")
    assert fast_track_tool(config, _fields()) is None
    keys = {slot.key for slot in route(config, _fields())}
    assert keys == {"business_owner", "security"}  # security: a third-party service


def test_a_record_not_eligible_is_routed_normally(sample_config):
    fields = _fields(tool="ChatGPT", data_categories=[DataCategory.PERSONAL])
    keys = {slot.key for slot in route(_mode(sample_config, "lead"), fields)}
    assert keys == {"business_owner", "privacy", "security"}


def test_lead_mode_one_leads_approval_approves_it(db, sample_config, now):
    with db.session() as session:
        record = submitted(session, sample_config, RiskTier.MINIMAL, now, **EVERYDAY)
        request = open_request_for(session, record.ref)
        assert [s.key for s in slots_of(session, request)] == ["governance_leads"]
        dms = {m.channel for m in outbox(session, "approval.dm")}
        assert dms == {PRIYA, TOM}  # not the owner, not security
        assert act(session, sample_config, record.ref, "governance_leads", MARCUS).refusal == (
            "not_allowed"
        )
        assert act(session, sample_config, record.ref, "governance_leads", TOM).accepted
        assert record.status == "approved"


def test_conditions_mode_approves_at_once_with_the_catalogues_conditions(db, sample_config, now):
    config = _mode(sample_config, "conditions")
    deepl = next(tool for tool in config.catalogue if tool.name == "DeepL Pro")
    with db.session() as session:
        record = submitted(session, config, RiskTier.MINIMAL, now, **EVERYDAY)
        assert record.status == "approved_with_conditions"
        assert record.conditions == deepl.conditions
        assert record.next_review is not None  # the review clock started
        [request] = requests_of(session, record)
        assert request.status == "approved_with_conditions"
        [decision] = session.scalars(select(ApprovalDecision)).all()
        assert (decision.decided_by, decision.via) == ("aims-fast-track", "fast-track")
        assert decision.reason.startswith("fast track: DeepL Pro is an approved catalogue tool")
        events = {line.kind: line for line in evidence.iter_ledger(session)}
        decided = events["approval.decided"]
        assert decided.actor == "aims-fast-track"
        assert "fast track" in json.loads(decided.payload)["reason"]
        assert json.loads(events["approval.completed"].payload)["conditions"] == deepl.conditions
        assert outbox(session, "approval.dm") == []  # nobody is asked
        told = outbox(session, "approval.outcome")
        assert {m.channel for m in told} >= {REQUESTER, OLIVER}
        assert all("Approved with conditions" in m.text for m in told)


def test_conditions_mode_leaves_other_records_to_the_routing_rules(db, sample_config, now):
    config = _mode(sample_config, "conditions")
    with db.session() as session:
        record = submitted(
            session, config, RiskTier.MINIMAL, now, **{**EVERYDAY, "tool": "Midjourney"}
        )
        assert record.status == "in_review"
        keys = {s.key for s in slots_of(session, open_request_for(session, record.ref))}
        assert keys == {"business_owner", "security"}
