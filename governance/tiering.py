"""Risk tiering: deterministic, pure rules with a one-line reason for every rule that fired.

The tier is the highest of: EU AI Act Article 5 (prohibited), Annex III or significant
automated decisions without human review (high), people interacting with the system or seeing
its output (limited), otherwise minimal; the organisation's modifiers then raise a floor.
A governance lead may override the computed tier with a written justification
(governance/tier_override.py).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from governance.config import OrgConfig
from governance.models import (
    DataCategory,
    Deployment,
    Oversight,
    RecordFields,
    RiskTier,
)
from governance.tiering_rules import AREAS_BY_ID, DECISION_NONE, PRACTICES_BY_ID, SIGNIFICANT


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
