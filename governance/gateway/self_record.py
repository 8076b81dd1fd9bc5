"""AIMS Bot is itself an AI use: its register record, created by `aims init` (and the `aims chat`
demo) in a new organisation, so the bot's own LLM calls (AIMS_LLM) run under approved terms
through the same policy as every other use (governance.gateway.guard finds it by its title).

The record is entered live, like an imported one: the organisation that adopts AIMS Bot has
decided to use it. Its owner is the first governance lead, its tool the catalogue tool whose
models AIMS_LLM calls, and its data internal only, so personal data in a question is replaced
by placeholders before any LLM sees it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.models import (
    DataCategory,
    Deployment,
    EuAiActRole,
    Oversight,
    RecordFields,
    RecordStatus,
)
from governance.register import create_record
from governance.review_cadence import set_next_review
from governance.tiering import apply_tier
from store.models import AIUse, utcnow

AIMS_BOT_TITLE = "AIMS Bot"  # governance.gateway.guard looks the record up by this title
DEFAULT_TOOL = "ChatGPT Enterprise"
REASON = (
    "registered by aims init: AIMS Bot is itself an AI use, so its own LLM calls go through "
    "the gateway policy under this record"
)


def aims_bot_record(session: Session) -> AIUse | None:
    return session.scalar(
        select(AIUse).where(AIUse.title == AIMS_BOT_TITLE).order_by(AIUse.id).limit(1)
    )


def _tool(config: OrgConfig) -> str:
    """The catalogue tool AIMS Bot's LLM is reached through: the sample's ChatGPT Enterprise,
    else the first tool with models."""
    names = [tool.name for tool in config.catalogue if tool.models]
    return DEFAULT_TOOL if DEFAULT_TOOL in names else (names[0] if names else "")


def register_aims_bot(
    session: Session, config: OrgConfig, *, actor: str, now: datetime | None = None
) -> AIUse:
    """AIMS Bot's own record: the existing one, or a new live one (idempotent)."""
    existing = aims_bot_record(session)
    if existing is not None:
        return existing
    leads = config.members("governance_leads")
    fields = RecordFields(
        title=AIMS_BOT_TITLE,
        purpose=(
            "Answers staff questions about the AI policy with citations, registers AI uses, "
            "routes approvals, runs reviews and incidents, and enforces approved uses' terms "
            "at the AI gateway. When AIMS_LLM is set, an LLM drafts answers and reads intake "
            "answers; every call is scanned and recorded like any other use's."
        ),
        business_unit="AI Governance",
        owner=leads[0] if leads else "",
        requester=leads[0] if leads else "",
        vendor="AIMS Bot (self-hosted); LLM provider per AIMS_LLM",
        tool=_tool(config),
        model_version="AIMS_LLM (unset: no LLM, extractive answers)",
        third_party=True,
        deployment=Deployment.EMPLOYEE_FACING,
        affected_people=["employees"],
        data_categories=[DataCategory.INTERNAL],
        human_oversight=Oversight.ON_THE_LOOP,
        autonomy="Answers and drafts only; approvals are given by named people",
        logging_arrangements="Every answer and LLM call is in the evidence ledger",
        escalation_route="Governance leads",
        eu_ai_act_role=EuAiActRole.DEPLOYER,
    )
    fields = apply_tier(fields, config)
    record = create_record(
        session, fields=fields, actor=actor, status=RecordStatus.LIVE, reason=REASON, now=now
    )
    today = (now or utcnow()).astimezone(ZoneInfo(config.organisation.timezone)).date()
    set_next_review(record, config, today)
    return record
