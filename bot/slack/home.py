"""App Home: the person's own records (status, next review), approvals waiting for them, and
buttons to ask, register or report."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.slack.ack_forms import home_blocks as acknowledgement_blocks
from bot.slack.approvals_home import waiting_approvals
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    fit_view,
    header,
    plain,
    sections,
)
from bot.slack.gateway_keys import key_button
from bot.slack.ids import ActionId, BlockId, CallbackId
from governance import register as register_service
from governance.acknowledgements.figures import person_acks
from governance.config import OrgConfig
from governance.gateway.models import USABLE_STATUSES
from governance.models import RecordStatus
from governance.text import esc
from store.models import AIUse

MAX_RECORDS_SHOWN = 40


def record_line(record: AIUse) -> str:
    review = record.next_review.isoformat() if record.next_review else "not scheduled"
    tier = f" · tier {esc(record.risk_tier)}" if record.risk_tier else ""
    return (
        f"*{esc(record.ref)}* {esc(record.title)}\n"
        f"Status: *{esc(record.status.replace('_', ' '))}*{tier} · next review {review}"
    )


def record_blocks(record: AIUse, user: str) -> list[Block]:
    """The record's line; the owner of a use that may call AI models gets a key button."""
    blocks = sections(record_line(record))
    if record.owner == user and can_have_key(record):
        blocks[-1] = {
            **blocks[-1],
            "block_id": f"gateway:{record.ref}",
            "accessory": key_button(record.ref),
        }
    return blocks


def can_have_key(record: AIUse) -> bool:
    return RecordStatus(record.status) in USABLE_STATUSES and not record.review_lapsed


def records_blocks(records: list[AIUse], user: str = "") -> list[Block]:
    if not records:
        return [
            context("You have no AI uses on the register yet. Use *Register an AI use* to add one.")
        ]
    blocks = [
        block for record in records[:MAX_RECORDS_SHOWN] for block in record_blocks(record, user)
    ]
    if len(records) > MAX_RECORDS_SHOWN:
        blocks.append(
            context(
                f"…and {len(records) - MAX_RECORDS_SHOWN} more: "
                "`aims register list` shows them all."
            )
        )
    return blocks


def approvals_blocks(session: Session, user: str, config: OrgConfig) -> list[Block]:
    return waiting_approvals(session, user, config) or [
        context("Nothing is waiting for your approval.")
    ]


def home_buttons() -> list[Block]:
    return actions(
        BlockId.HOME_ACTIONS,
        [
            button("Ask a policy question", ActionId.HOME_ASK, "ask", "primary"),
            button("Register an AI use", ActionId.HOME_REGISTER, "register"),
            button("Report an incident", ActionId.HOME_INCIDENT, "incident", "danger"),
        ],
    )


def build_home_view(session: Session, user: str, config: OrgConfig) -> dict[str, Any]:
    records = list(register_service.list_records(session, owner=user))
    blocks = [
        header("AIMS: your AI management system"),
        *home_buttons(),
        divider(),
        header("Your AI uses"),
        *records_blocks(records, user),
        divider(),
        header("Waiting for your approval"),
        *approvals_blocks(session, user, config),
        *acknowledgement_blocks(person_acks(session, user)),
    ]
    return {
        "type": "home",
        "blocks": fit_view(blocks, "More on the register: `aims register list`."),
    }


def ask_modal(private_metadata: str) -> dict[str, Any]:
    question = {
        "type": "input",
        "block_id": BlockId.ASK_QUESTION.value,
        "label": plain("Your question"),
        "element": {
            "type": "plain_text_input",
            "action_id": ActionId.ASK_INPUT.value,
            "multiline": True,
            "max_length": 2000,
        },
    }
    return {
        "type": "modal",
        "callback_id": CallbackId.ASK_MODAL.value,
        "title": plain("Ask AIMS", 24),
        "submit": plain("Ask", 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata,
        "blocks": [question],
    }
