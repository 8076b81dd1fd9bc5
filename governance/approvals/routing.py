"""Routing: which approvals a record needs, and who may act on each. Pure functions of the org
config and the record's fields, so they can be tested and explained without a database.

A fast-track use (fast_track.py) needs one approval instead of the routing rules; any other
record needs what its matching rules ask, plus someone independent of the requester when the
requester could otherwise decide it all alone (duties.py)."""

from __future__ import annotations

from collections.abc import Iterable

from governance.approvals.duties import acting_for, separated
from governance.approvals.fast_track import fast_track_slots, fast_track_tool
from governance.approvals.models import RequestStatus, Require, RequiredSlot, Verdict
from governance.config import BUSINESS_OWNER, OrgConfig, RoutingRule, RuleCondition
from governance.models import RecordFields

FALLBACK_ROLE = "governance_leads"
# acting_for lives with the separation-of-duties rules; it is imported from here too.
__all__ = [
    "FALLBACK_ROLE",
    "acting_for",
    "condition_matches",
    "matching_rules",
    "outcome_of",
    "route",
    "routed",
]


def condition_matches(when: RuleCondition, fields: RecordFields) -> bool:
    """All listed conditions must hold; an unset condition does not constrain."""
    if when.tiers and fields.risk_tier not in when.tiers:
        return False
    if when.data_any and not set(when.data_any) & set(fields.data_categories):
        return False
    if when.deployment_any and fields.deployment not in when.deployment_any:
        return False
    if when.agent_write_access is not None and fields.agent_write_access != when.agent_write_access:
        return False
    return when.third_party is None or fields.third_party == when.third_party


def matching_rules(config: OrgConfig, fields: RecordFields) -> list[RoutingRule]:
    return [rule for rule in config.routing if condition_matches(rule.when, fields)]


def _members(config: OrgConfig, role: str, fields: RecordFields) -> list[str]:
    if role == BUSINESS_OWNER:
        return [fields.owner] if fields.owner else []
    return config.members(role)


def route(config: OrgConfig, fields: RecordFields) -> list[RequiredSlot]:
    """The approvals a record needs: the fast track's one, or the routing rules' (made
    independent of the requester unless aims.yaml allows self-approval)."""
    tool = fast_track_tool(config, fields)
    if tool is not None:
        return fast_track_slots(config, fields, tool)
    return separated(config, fields.requester, routed(config, fields))


def routed(config: OrgConfig, fields: RecordFields) -> list[RequiredSlot]:
    """What the routing rules ask. Rules naming the same role and mode share a slot, so the
    CISO asked by two rules decides once; a role nobody fills falls back to the governance
    leads rather than leaving a request nobody can complete."""
    slots: dict[str, RequiredSlot] = {}
    for rule in matching_rules(config, fields):
        for role in rule.roles:
            for slot in _slots_for(config, rule, role, fields):
                slots[slot.key] = _merge(slots.get(slot.key), slot)
    if not slots:
        fallback = _fallback(config, "no routing rule matched this record")
        slots[fallback.key] = fallback
    return list(slots.values())


def _slots_for(
    config: OrgConfig, rule: RoutingRule, role: str, fields: RecordFields
) -> list[RequiredSlot]:
    members = _members(config, role, fields)
    if not members:
        why = (
            "the record names no business owner"
            if role == BUSINESS_OWNER
            else (f"nobody is named for {role}")
        )
        return [_fallback(config, f"{rule.name} ({why})")]
    if rule.require == "all":
        return [
            RequiredSlot(
                key=f"{role}:{person}",
                role=role,
                require=Require.ALL,
                approvers=[person],
                rules=[rule.name],
            )
            for person in members
        ]
    return [
        RequiredSlot(key=role, role=role, require=Require.ANY, approvers=members, rules=[rule.name])
    ]


def _fallback(config: OrgConfig, why: str) -> RequiredSlot:
    return RequiredSlot(
        key=FALLBACK_ROLE,
        role=FALLBACK_ROLE,
        require=Require.ANY,
        approvers=config.members(FALLBACK_ROLE),
        rules=[why],
    )


def _merge(existing: RequiredSlot | None, new: RequiredSlot) -> RequiredSlot:
    if existing is None:
        return new
    approvers = list(dict.fromkeys([*existing.approvers, *new.approvers]))
    rules = list(dict.fromkeys([*existing.rules, *new.rules]))
    return existing.model_copy(update={"approvers": approvers, "rules": rules})


def outcome_of(verdicts: Iterable[Verdict]) -> RequestStatus:
    """The request's outcome once every slot is decided: the most restrictive verdict wins."""
    given = set(verdicts)
    if Verdict.REJECT in given:
        return RequestStatus.REJECTED
    if Verdict.REQUEST_CHANGES in given:
        return RequestStatus.CHANGES_REQUESTED
    if Verdict.APPROVE_WITH_CONDITIONS in given:
        return RequestStatus.APPROVED_WITH_CONDITIONS
    return RequestStatus.APPROVED
