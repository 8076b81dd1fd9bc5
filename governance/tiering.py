"""Risk tiering: deterministic, pure rules with a one-line reason for every rule that fired.

The tier is the highest of: EU AI Act Article 5 (prohibited), Annex III or significant
automated decisions without human review (high), people interacting with the system or seeing
its output (limited), otherwise minimal; the organisation's modifiers then raise a floor.
A governance lead may override the computed tier with a written justification.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import PermissionDenied, ValidationProblem
from governance.models import (
    DataCategory,
    Deployment,
    Oversight,
    RecordFields,
    RecordStatus,
    RiskTier,
)
from governance.register import update_record
from governance.tiering_rules import AREAS_BY_ID, DECISION_NONE, PRACTICES_BY_ID, SIGNIFICANT
from store import evidence
from store.models import AIUse


class FiredRule(BaseModel):
    rule: str
    tier: RiskTier
    reason: str


class TierResult(BaseModel):
    tier: RiskTier
    fired: list[FiredRule] = Field(default_factory=list)
    controls: list[str] = Field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [rule.reason for rule in self.fired]


_INTERACTIVE = {Deployment.EMPLOYEE_FACING, Deployment.CUSTOMER_FACING, Deployment.PUBLIC}
_OUTSIDE = {Deployment.CUSTOMER_FACING, Deployment.PUBLIC}
_PERSONAL = {DataCategory.PERSONAL, DataCategory.SPECIAL_CATEGORY}


def _article_5(fields: RecordFields) -> list[FiredRule]:
    fired = []
    for practice_id in fields.article_5_practices:
        practice = PRACTICES_BY_ID.get(practice_id)
        label = f"{practice.label} ({practice.reference})" if practice else practice_id
        fired.append(
            FiredRule(
                rule=f"art5.{practice_id}",
                tier=RiskTier.PROHIBITED,
                reason=f"Prohibited practice under the EU AI Act: {label}",
            )
        )
    return fired


def _annex_iii(fields: RecordFields) -> list[FiredRule]:
    fired = []
    for area_id in fields.annex_iii_areas:
        area = AREAS_BY_ID.get(area_id)
        label = f"{area.label} ({area.reference})" if area else area_id
        fired.append(
            FiredRule(
                rule=f"annex3.{area_id}",
                tier=RiskTier.HIGH,
                reason=f"High-risk area under EU AI Act Annex III: {label}",
            )
        )
    return fired


def _automated_decisions(fields: RecordFields) -> list[FiredRule]:
    decides = fields.decisions_about_people.strip().lower() not in ("", DECISION_NONE, "no")
    unreviewed = fields.human_oversight in (Oversight.NONE, Oversight.ON_THE_LOOP)
    if decides and fields.decision_stakes == SIGNIFICANT and unreviewed:
        review = "no" if fields.human_oversight is Oversight.NONE else "only after-the-fact"
        return [
            FiredRule(
                rule="decisions.significant_unreviewed",
                tier=RiskTier.HIGH,
                reason=f"Makes significant decisions about people with {review} "
                "human review of each decision",
            )
        ]
    return []


def _transparency(fields: RecordFields) -> list[FiredRule]:
    if fields.deployment in _INTERACTIVE:
        who = {
            Deployment.EMPLOYEE_FACING: "employees",
            Deployment.CUSTOMER_FACING: "customers",
            Deployment.PUBLIC: "the public",
        }[fields.deployment]
        return [
            FiredRule(
                rule="transparency.interaction",
                tier=RiskTier.LIMITED,
                reason=f"People ({who}) interact with it or see what it generates: "
                "transparency duties apply (EU AI Act Art. 50)",
            )
        ]
    return []


def _modifiers(fields: RecordFields, config: OrgConfig) -> list[FiredRule]:
    mods = config.modifiers
    checks = [
        (
            "modifier.personal_data",
            mods.personal_data_min_tier,
            bool(_PERSONAL & set(fields.data_categories)),
            "it uses personal data",
        ),
        (
            "modifier.customer_facing",
            mods.customer_facing_min_tier,
            fields.deployment in _OUTSIDE,
            "it is customer-facing or public",
        ),
        (
            "modifier.agent_write_access",
            mods.agent_write_access_min_tier,
            fields.agent_write_access,
            "it is an agent that can write or act in systems",
        ),
    ]
    return [
        FiredRule(
            rule=rule,
            tier=floor,
            reason=f"{config.organisation.name} rule: at least {floor.value} because {why}",
        )
        for rule, floor, applies, why in checks
        if floor is not None and applies
    ]


def classify(fields: RecordFields, config: OrgConfig) -> TierResult:
    """The tier, every rule that fired (highest first) and the controls the tier requires."""
    fired = (
        _article_5(fields)
        + _annex_iii(fields)
        + _automated_decisions(fields)
        + _transparency(fields)
        + _modifiers(fields, config)
    )
    tier = max((rule.tier for rule in fired), key=lambda t: t.rank, default=RiskTier.MINIMAL)
    if not fired:
        fired = [
            FiredRule(
                rule="default.minimal",
                tier=RiskTier.MINIMAL,
                reason="No prohibited practice, high-risk area, interaction with "
                "people or organisational modifier applies",
            )
        ]
    fired.sort(key=lambda rule: -rule.tier.rank)
    return TierResult(tier=tier, fired=fired, controls=list(config.tier_controls.get(tier, [])))


def apply_tier(fields: RecordFields, config: OrgConfig) -> RecordFields:
    """The fields with risk_tier and tier_reasons filled in from `classify`."""
    result = classify(fields, config)
    return fields.model_copy(update={"risk_tier": result.tier, "tier_reasons": result.reasons})


def override_tier(
    session: Session,
    *,
    record: AIUse,
    tier: RiskTier,
    justification: str,
    actor: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> AIUse:
    """A governance lead sets the tier by hand; the justification is kept on the record and in
    the evidence ledger beside the computed tier it replaced.

    The tier decides who approves, so the changed record goes (back) through approval: an open
    request for the old version is superseded by one for the new version, and an approved, live
    or suspended record is submitted again. Records not yet submitted, waiting for changes,
    rejected or retired just carry the new tier into their next submission (if any)."""
    if actor not in config.members("governance_leads"):
        raise PermissionDenied("only a governance lead can override a risk tier")
    text = justification.strip()
    if not text:
        raise ValidationProblem(
            "write a justification for the override: why is the computed tier wrong for this use?"
        )
    previous, before = record.risk_tier, record.version
    update_record(
        session,
        record=record,
        actor=actor,
        now=now,
        reason=f"risk tier overridden to {tier.value}",
        changes={"risk_tier": tier.value, "tier_override": text},
    )
    evidence.append(
        session,
        actor=actor,
        kind="record.tier_overridden",
        subject=record.ref,
        payload={"from": previous, "to": tier.value, "justification": text},
        now=now,
    )
    if record.version != before:
        _back_through_approval(
            session, record=record, previous=previous, actor=actor, config=config, now=now
        )
    return record


_REAPPROVE = (
    RecordStatus.APPROVED,
    RecordStatus.APPROVED_WITH_CONDITIONS,
    RecordStatus.LIVE,
    RecordStatus.SUSPENDED,
)


def _back_through_approval(
    session: Session,
    *,
    record: AIUse,
    previous: str | None,
    actor: str,
    config: OrgConfig,
    now: datetime | None,
) -> None:
    # Imported here: the approvals services import the register, and flows import this module.
    from governance.approvals.service import has_open_request, open_request
    from governance.submission import submit_record

    why = (
        f"a governance lead overrode the risk tier ({previous or 'none'} → "
        f"{record.risk_tier}), making v{record.version}"
    )
    status = RecordStatus(record.status)
    if has_open_request(session, record) or status in (
        RecordStatus.SUBMITTED,
        RecordStatus.IN_REVIEW,
    ):
        open_request(session, record=record, actor=actor, config=config, now=now, why=why)
    elif status in _REAPPROVE:
        submit_record(
            session,
            record=record,
            actor=actor,
            config=config,
            now=now,
            reason=f"re-approval needed: {why}",
        )
