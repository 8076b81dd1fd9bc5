"""Domain vocabulary and the register record's content as a pydantic model (the edge schema)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class RiskTier(StrEnum):
    PROHIBITED = "prohibited"
    HIGH = "high"
    LIMITED = "limited"
    MINIMAL = "minimal"

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]


_TIER_RANK = {RiskTier.MINIMAL: 0, RiskTier.LIMITED: 1, RiskTier.HIGH: 2, RiskTier.PROHIBITED: 3}


class DataCategory(StrEnum):
    PERSONAL = "personal"
    SPECIAL_CATEGORY = "special-category"
    CONFIDENTIAL = "confidential"
    CUSTOMER = "customer"
    INTERNAL = "internal"
    PUBLIC = "public"


class Deployment(StrEnum):
    INTERNAL = "internal"
    EMPLOYEE_FACING = "employee-facing"
    CUSTOMER_FACING = "customer-facing"
    PUBLIC = "public"


class Oversight(StrEnum):
    IN_THE_LOOP = "in-the-loop"
    ON_THE_LOOP = "on-the-loop"
    NONE = "none"


class EuAiActRole(StrEnum):
    PROVIDER = "provider"
    DEPLOYER = "deployer"


class RecordStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    LIVE = "live"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class RecordFields(BaseModel):
    """Everything a register record says about an AI use (DESIGN.md, "State and evidence").

    Used for creation, updates (partial via `model_dump(exclude_unset=True)`), import and export.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    title: str = Field(min_length=1, max_length=200)
    purpose: str = ""
    business_unit: str = ""
    owner: str = ""
    requester: str = ""
    vendor: str = ""
    tool: str = ""
    model_version: str = ""
    third_party: bool = False
    deployment: Deployment | None = None
    affected_people: list[str] = Field(default_factory=list)
    data_categories: list[DataCategory] = Field(default_factory=list)
    decisions_about_people: str = ""
    decision_stakes: str = ""
    human_oversight: Oversight | None = None
    autonomy: str = ""
    permissions: list[str] = Field(default_factory=list)
    agent_write_access: bool = False
    provenance: str = ""
    data_location: str = ""
    contract_dpa: str = ""
    logging_arrangements: str = ""
    escalation_route: str = ""
    eu_ai_act_role: EuAiActRole | None = None
    annex_iii_areas: list[str] = Field(default_factory=list)
    article_5_practices: list[str] = Field(default_factory=list)
    risk_tier: RiskTier | None = None
    tier_reasons: list[str] = Field(default_factory=list)
    tier_override: str = ""
    conditions: list[str] = Field(default_factory=list)
    # Fields the requester said they don't know yet: unknown, not a value, for reviewers to settle.
    open_items: list[str] = Field(default_factory=list)
    next_review: date | None = None
    review_lapsed: bool = False


RECORD_FIELD_NAMES: tuple[str, ...] = tuple(RecordFields.model_fields)
