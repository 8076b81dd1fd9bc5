"""Risk tiering: each EU AI Act category, the organisation's floors, controls, and override."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from governance.config import OrgConfig
from governance.errors import PermissionDenied, ValidationProblem
from governance.models import DataCategory, Deployment, Oversight, RecordFields, RiskTier
from governance.register import create_record
from governance.tier_override import override_tier
from governance.tiering import classify
from governance.tiering_rules import ANNEX_III_AREAS, ARTICLE_5_PRACTICES
from store.db import Database
from store.models import EvidenceEvent


def fields(**values: object) -> RecordFields:
    return RecordFields.model_validate({"title": "Test use", **values})


@pytest.mark.parametrize("practice", [p.id for p in ARTICLE_5_PRACTICES])
def test_each_article_5_practice_is_prohibited_with_its_article(
    practice: str, sample_config: OrgConfig
) -> None:
    result = classify(fields(article_5_practices=[practice]), sample_config)
    assert result.tier is RiskTier.PROHIBITED
    reference = next(p.reference for p in ARTICLE_5_PRACTICES if p.id == practice)
    assert reference in result.reasons[0]
    assert result.controls == sample_config.tier_controls[RiskTier.PROHIBITED]


@pytest.mark.parametrize("area", [a.id for a in ANNEX_III_AREAS])
def test_each_annex_iii_area_is_high_risk(area: str, sample_config: OrgConfig) -> None:
    result = classify(fields(annex_iii_areas=[area]), sample_config)
    assert result.tier is RiskTier.HIGH
    label = next(a.label for a in ANNEX_III_AREAS if a.id == area)
    assert any(label in reason and "Annex III" in reason for reason in result.reasons)


def test_significant_decisions_without_review_are_high(sample_config: OrgConfig) -> None:
    result = classify(
        fields(
            decisions_about_people="decides",
            decision_stakes="significant",
            human_oversight=Oversight.NONE,
        ),
        sample_config,
    )
    assert result.tier is RiskTier.HIGH
    assert "significant decisions about people with no human review" in result.reasons[0]


def test_significant_decisions_with_a_person_deciding_are_not_high(
    sample_config: OrgConfig,
) -> None:
    result = classify(
        fields(
            decisions_about_people="recommends",
            decision_stakes="significant",
            human_oversight=Oversight.IN_THE_LOOP,
        ),
        sample_config,
    )
    assert result.tier is RiskTier.MINIMAL


def test_people_interacting_with_it_is_limited(sample_config: OrgConfig) -> None:
    result = classify(fields(deployment=Deployment.EMPLOYEE_FACING), sample_config)
    assert result.tier is RiskTier.LIMITED
    assert "Art. 50" in result.reasons[0]


def test_nothing_applies_is_minimal_and_says_why(sample_config: OrgConfig) -> None:
    result = classify(
        fields(deployment=Deployment.INTERNAL, data_categories=[DataCategory.INTERNAL]),
        sample_config,
    )
    assert result.tier is RiskTier.MINIMAL
    assert result.reasons == [
        "No prohibited practice, high-risk area, interaction with people "
        "or organisational modifier applies"
    ]
    assert result.controls == sample_config.tier_controls[RiskTier.MINIMAL]


@pytest.mark.parametrize(
    ("values", "tier", "why"),
    [
        ({"data_categories": [DataCategory.PERSONAL]}, RiskTier.LIMITED, "personal data"),
        ({"data_categories": [DataCategory.SPECIAL_CATEGORY]}, RiskTier.LIMITED, "personal data"),
        ({"deployment": Deployment.CUSTOMER_FACING}, RiskTier.LIMITED, "customer-facing"),
        ({"agent_write_access": True}, RiskTier.HIGH, "agent that can write"),
    ],
)
def test_organisational_modifiers_raise_the_floor(
    values: dict[str, object], tier: RiskTier, why: str, sample_config: OrgConfig
) -> None:
    result = classify(fields(**{"deployment": Deployment.INTERNAL, **values}), sample_config)
    assert result.tier is tier
    assert any(
        why in reason and "Acme Financial Services Ltd rule" in reason for reason in result.reasons
    )


def test_modifiers_never_lower_a_tier(sample_config: OrgConfig) -> None:
    result = classify(
        fields(article_5_practices=["social_scoring"], data_categories=[DataCategory.PERSONAL]),
        sample_config,
    )
    assert result.tier is RiskTier.PROHIBITED
    assert result.fired[0].tier is RiskTier.PROHIBITED  # highest first


def test_a_modifier_switched_off_in_config_does_not_fire(sample_config: OrgConfig) -> None:
    config = sample_config.model_copy(
        update={
            "modifiers": sample_config.modifiers.model_copy(update={"personal_data_min_tier": None})
        }
    )
    result = classify(fields(data_categories=[DataCategory.PERSONAL]), config)
    assert result.tier is RiskTier.MINIMAL


# --- override -----------------------------------------------------------------------------

LEAD, NOT_LEAD = "U0ACME0001", "U0ACME0009"


def test_a_governance_lead_overrides_with_a_justification(
    db: Database, sample_config: OrgConfig, now: datetime
) -> None:
    with db.session() as session:
        record = create_record(
            session, fields=fields(risk_tier=RiskTier.HIGH), actor="U0X", now=now
        )
        override_tier(
            session,
            record=record,
            tier=RiskTier.LIMITED,
            actor=LEAD,
            justification="Scores are advisory and reviewed by two people",
            config=sample_config,
            now=now,
        )
        assert record.risk_tier == "limited"
        assert record.tier_override == "Scores are advisory and reviewed by two people"
        event = session.scalar(
            select(EvidenceEvent).where(EvidenceEvent.kind == "record.tier_overridden")
        )
        assert event is not None and '"from":"high"' in event.payload
        assert "advisory" in event.payload


def test_override_refuses_non_leads_and_empty_justifications(
    db: Database, sample_config: OrgConfig, now: datetime
) -> None:
    with db.session() as session:
        record = create_record(
            session, fields=fields(risk_tier=RiskTier.HIGH), actor="U0X", now=now
        )
        with pytest.raises(PermissionDenied, match="governance lead"):
            override_tier(
                session,
                record=record,
                tier=RiskTier.MINIMAL,
                actor=NOT_LEAD,
                justification="I think it is fine",
                config=sample_config,
            )
        with pytest.raises(ValidationProblem, match="justification"):
            override_tier(
                session,
                record=record,
                tier=RiskTier.MINIMAL,
                actor=LEAD,
                justification="   ",
                config=sample_config,
            )
        assert record.risk_tier == "high"
