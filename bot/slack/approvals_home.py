"""App Home: the approvals waiting for the person looking at it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.slack.blocks import Block, context, sections
from governance.approvals.service import list_requests, slots_for_actor
from governance.config import OrgConfig
from store.models import AIUse

_SHOWN = 10  # keeps the whole Home view well inside Slack's 100-block limit


def waiting_approvals(session: Session, user: str, config: OrgConfig) -> list[Block]:
    lines = []
    for request in list_requests(session, status="open"):
        slots = slots_for_actor(session, request, user, config)
        if not slots:
            continue
        record = session.get(AIUse, request.ai_use_id)
        title = record.title if record else ""
        roles = ", ".join(slot.role.replace("_", " ") for slot in slots)
        lines.append(f"*{request.record_ref}* v{request.version} {title} · as {roles}")
    if not lines:
        return []
    blocks = sections("\n".join(lines[:_SHOWN]))
    blocks.append(context("Decide with the buttons in my DM to you, or `aims approvals decide`."))
    return blocks
