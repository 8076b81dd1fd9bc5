"""How often a record is reviewed: the cadence of its tier, and the first review date an
approval sets. Leaf rules both the approvals flows and the periodic reviews use."""

from __future__ import annotations

from datetime import date, timedelta

from governance.config import OrgConfig
from governance.models import RiskTier
from store.models import AIUse

DEFAULT_CADENCE_DAYS = 90


def cadence_days(config: OrgConfig, tier: str | None) -> int:
    """Days between reviews for a tier; an untiered record gets the shortest cadence, the
    cautious choice."""
    cadences = config.reviews.cadence_days
    if tier is not None and RiskTier(tier) in cadences:
        return cadences[RiskTier(tier)]
    return min(cadences.values(), default=DEFAULT_CADENCE_DAYS)


def set_next_review(record: AIUse, config: OrgConfig, approved_on: date) -> date:
    """Set the record's next review from its tier's cadence (called on approval); clears a
    lapse flag, since the approval is a fresh look. Writes no evidence: the caller's
    approval event carries the date."""
    due = approved_on + timedelta(days=cadence_days(config, record.risk_tier))
    record.next_review = due
    record.review_lapsed = False
    return due
