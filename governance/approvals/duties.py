"""Separation of duties: unless aims.yaml sets `approvals.allow_self_approval: true`, nobody's
own decision approves what they asked for alone. Pure rules over the org config and the
approvals a record needs.

Routing asks someone independent when the requester could otherwise decide every approval
(typically: they named themself as the business owner of a minimal-tier use). Who that is:
  1. the governance leads other than the requester;
  2. when the requester is the only governance lead: the senior owners other than them;
  3. when there is no senior owner either: the people aims.yaml names as the requester's
     delegates (someone the organisation already trusts to act for the lead).
With nobody at all, submitting fails with a ConfigError saying what to add to aims.yaml: a
request nobody but the requester can complete would only wait forever.
"""

from __future__ import annotations

from collections.abc import Iterable

from governance.approvals.models import Require, RequiredSlot
from governance.config import BUSINESS_OWNER, OrgConfig
from governance.errors import ConfigError

LEADS = "governance_leads"
SENIOR = "senior_owner"
RULE = "separation of duties: someone other than the requester approves too"


def acting_for(config: OrgConfig, approvers: Iterable[str], user: str) -> str | None:
    """The named approver `user` may act as: themself, or someone they are a delegate of."""
    named = list(approvers)
    if user in named:
        return user
    return next((person for person in named if user in config.delegates_of(person)), None)


def self_approvable(config: OrgConfig, requester: str, slots: list[RequiredSlot]) -> bool:
    """Could the requester decide every slot alone? They may decide only a business owner's
    slot (every other role refuses its requester), as the owner or the owner's delegate."""
    if not requester or config.approvals.allow_self_approval:
        return False
    return all(
        slot.role == BUSINESS_OWNER and acting_for(config, slot.approvers, requester) is not None
        for slot in slots
    )


def independent_slot(config: OrgConfig, requester: str, rule: str) -> RequiredSlot:
    """One approval by somebody other than the requester (the order is in the module's doc);
    `rule` says why it is asked for."""
    leads = [p for p in config.members(LEADS) if p != requester]
    if leads:
        return _slot(LEADS, leads, rule)
    seniors = [p for p in config.members(SENIOR) if p != requester]
    if seniors:
        return _slot(SENIOR, seniors, f"{rule} (the requester is the only governance lead)")
    delegates = [p for p in config.delegates_of(requester) if p != requester]
    if delegates:
        why = f"{rule} (the requester is the only governance lead and no senior owner is named)"
        return _slot(LEADS, delegates, why)
    raise ConfigError(
        f"separation of duties: nobody but {config.display_name(requester)} could approve this "
        "record, and they asked for it. Name a second governance lead (roles.governance_leads) "
        "or a senior owner (roles.senior_owner) in aims.yaml, or allow self-approval there "
        "(approvals.allow_self_approval: true)."
    )


def _slot(role: str, approvers: list[str], rule: str) -> RequiredSlot:
    return RequiredSlot(key=role, role=role, require=Require.ANY, approvers=approvers, rules=[rule])


def separated(config: OrgConfig, requester: str, slots: list[RequiredSlot]) -> list[RequiredSlot]:
    """`slots`, plus an independent approval when the requester could decide them all."""
    if not self_approvable(config, requester, slots):
        return slots
    return [*slots, independent_slot(config, requester, RULE)]


def approved_only_by(deciders: Iterable[str], requesters: set[str]) -> bool:
    """Would these deciders approve the request with nobody but its requesters among them?"""
    return all(person in requesters for person in deciders)
