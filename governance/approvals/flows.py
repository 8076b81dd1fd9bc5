"""Where approvals meet the register: resubmitting a record after changes were requested."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import PermissionDenied, TransitionError, ValidationProblem
from governance.models import RecordFields, RecordStatus
from governance.register import read_fields, update_record
from governance.submission import submit_record
from governance.tiering import apply_tier
from store.models import AIUse

# What the intake asks, and so what a resubmission may change. The tier and its reasons follow
# from these facts (re-tiered on every resubmission); who owns and requested the use, the
# override, conditions and review dates are set by governance, never by the person answering.
RESUBMITTABLE_FIELDS: tuple[str, ...] = (
    "title",
    "purpose",
    "business_unit",
    "vendor",
    "tool",
    "model_version",
    "third_party",
    "deployment",
    "affected_people",
    "data_categories",
    "decisions_about_people",
    "decision_stakes",
    "human_oversight",
    "autonomy",
    "permissions",
    "agent_write_access",
    "provenance",
    "data_location",
    "contract_dpa",
    "logging_arrangements",
    "escalation_route",
    "eu_ai_act_role",
    "annex_iii_areas",
    "article_5_practices",
)


def may_resubmit(record: AIUse, actor: str, config: OrgConfig) -> bool:
    """The requester, the business owner or a governance lead may answer requested changes."""
    return actor in {record.requester, record.owner, *config.members("governance_leads")} - {""}


def check_resubmit(record: AIUse, actor: str, config: OrgConfig, version: int | None) -> None:
    """Raise the reason `actor` cannot resubmit this record (at `version`) now, if any."""
    if not may_resubmit(record, actor, config):
        raise PermissionDenied(
            f"only the requester ({config.display_name(record.requester)}), the business owner "
            f"or a governance lead can change {record.ref} after review"
        )
    if record.status != RecordStatus.CHANGES_REQUESTED.value or (
        version is not None and version != record.version
    ):
        raise TransitionError(
            f"{record.ref} is now v{record.version}, {record.status.replace('_', ' ')}: it is "
            "not waiting for changes, so there is nothing to resubmit"
        )


def resubmit_after_changes(
    session: Session,
    *,
    record: AIUse,
    changes: dict[str, Any],
    actor: str,
    config: OrgConfig,
    reason: str,
    now: datetime | None = None,
    version: int | None = None,
) -> AIUse:
    """Apply the requested changes as a new version and open a new approval request for it;
    buttons on the previous version's request are then refused as stale."""
    check_resubmit(record, actor, config, version)
    check_resubmittable(changes)
    before = record.version
    update_record(
        session,
        record=record,
        changes={**changes, **_retiered(record, changes, config)},
        actor=actor,
        reason=reason,
        now=now,
    )
    if record.version == before:
        raise ValidationProblem(
            f"nothing changed on {record.ref}: give at least one field with a new value"
        )
    return submit_record(
        session,
        record=record,
        actor=actor,
        config=config,
        reason=f"resubmitted after changes: {reason}",
        now=now,
    )


def check_resubmittable(changes: dict[str, Any]) -> None:
    """Refuse changes to anything but the facts the intake asks for."""
    refused = [name for name in changes if name not in RESUBMITTABLE_FIELDS]
    if refused:
        raise ValidationProblem(
            f"a resubmission cannot change {', '.join(sorted(refused))}: the risk tier follows "
            "from the answers, and owner, requester, status, conditions and review dates are "
            "set by governance (ask a governance lead). Fields you can change: "
            + ", ".join(RESUBMITTABLE_FIELDS)
        )


def _retiered(record: AIUse, changes: dict[str, Any], config: OrgConfig) -> dict[str, Any]:
    """The tier follows the changed facts (so routing does too), unless a lead's override
    stands."""
    if record.tier_override:
        return {}
    try:
        fields = RecordFields.model_validate(
            {**read_fields(record).model_dump(mode="json"), **changes}
        )
    except ValidationError:
        return {}  # update_record reports what is wrong with the change
    tiered = apply_tier(fields, config)
    return {"risk_tier": tiered.risk_tier, "tier_reasons": tiered.tier_reasons}
