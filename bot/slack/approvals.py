"""Approval buttons, the reason modal, and the requester's edit-and-resubmit modal.

Thin handlers: ack, parse the pydantic payload, call governance.approvals (which checks who is
acting and writes evidence), tell the person, then send what the service queued (thread post,
DM updates, the requester's note) through the outbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext

from bot.context import AppContext
from bot.slack.approvals_home import waiting_approvals
from bot.slack.common import send_queued, submitted, tell, trigger_of
from bot.slack.errors import after_ack
from bot.slack.home import APPROVALS_FOR_HOME
from bot.slack.messenger import Messenger
from bot.slack.payloads import BlockActions, ViewState, ViewSubmission
from bot.slack.services import Services
from governance.approvals.checks import check_may_act
from governance.approvals.decisions import decide
from governance.approvals.flows import check_resubmit, resubmit_after_changes
from governance.approvals.messages import (
    EDITABLE_FIELDS,
    FIELD_BLOCK_PREFIX,
    ApprovalIds,
    edit_modal,
    reason_modal,
)
from governance.approvals.models import ApprovalAction, DecisionInput, DecisionResult, Verdict
from governance.approvals.service import get_request
from governance.errors import AimsError
from governance.register import get_record
from store.models import AIUse

log = logging.getLogger(__name__)
BUTTONS = re.compile(
    r"^(approval_approve|approval_approve_with_conditions|approval_request_changes|approval_reject)$"
)
BROKEN = "This approval button could not be read. Use `aims approvals list` to find the request."
Submission = Callable[[AppContext, App, Ack, ViewSubmission], None]


def _action(raw: str | None) -> ApprovalAction | None:
    try:
        return ApprovalAction.model_validate_json(raw or "")
    except ValidationError:
        return None


# --- decisions ---------------------------------------------------------------------------


def _decide(ctx: AppContext, action: ApprovalAction, user: str, reason: str) -> DecisionResult:
    assert action.verdict is not None
    decision = DecisionInput(
        request_id=action.request_id,
        slot=action.slot,
        verdict=action.verdict,
        actor=user,
        reason=reason,
        version=action.version,
        via="slack",
    )
    with ctx.db.session() as session:
        return decide(session, decision=decision, config=ctx.config)


def _refusal_or_title(ctx: AppContext, action: ApprovalAction, user: str) -> tuple[str | None, str]:
    """(why `user` may not act, or None; the record's title for the modal)."""
    with ctx.db.session() as session:
        refusal = check_may_act(
            session,
            request_id=action.request_id,
            slot_key=action.slot,
            version=action.version,
            actor=user,
            config=ctx.config,
        )
        if refusal is not None:
            return refusal.message, ""
        record = session.get(AIUse, get_request(session, action.request_id).ai_use_id)
        return None, record.title if record is not None else ""


def on_button(ctx: AppContext, app: App, messenger: Messenger, click: BlockActions) -> None:
    action, user = _action(click.action.value), click.user_id
    if action is None or action.verdict is None:
        tell(messenger, click, BROKEN)
        return
    if action.verdict is Verdict.APPROVE:
        result = _decide(ctx, action, user, reason="")
        if not result.accepted:
            tell(messenger, click, f":no_entry: {result.message}")
        send_queued(ctx, app, "an approval")
        return
    refusal, title = _refusal_or_title(ctx, action, user)
    if refusal is not None:
        tell(messenger, click, f":no_entry: {refusal}")
        return
    messenger.open_view(trigger_of(click), reason_modal(action, title), action.ref)


def on_reason_submitted(ctx: AppContext, app: App, ack: Ack, submission: ViewSubmission) -> None:
    view = submission.view
    action = _action(view.private_metadata)
    if action is None or action.verdict is None:
        ack(response_action="errors", errors={ApprovalIds.REASON_BLOCK.value: BROKEN})
        return
    reason = view.state.answer(ApprovalIds.REASON_BLOCK.value, ApprovalIds.REASON_INPUT.value)
    result = _decide(ctx, action, submission.user_id, reason)
    if not result.accepted:
        # Shown under the text box: the modal stays open with the explanation.
        ack(response_action="errors", errors={ApprovalIds.REASON_BLOCK.value: result.message})
        return
    ack()
    send_queued(ctx, app, "an approval")


# --- changes requested: edit and resubmit ----------------------------------------------------


def on_edit_click(ctx: AppContext, messenger: Messenger, click: BlockActions) -> None:
    action, user = _action(click.action.value), click.user_id
    if action is None:
        tell(messenger, click, BROKEN)
        return
    try:
        with ctx.db.session() as session:
            record = get_record(session, action.ref)
            check_resubmit(record, user, ctx.config, action.version)
            view = edit_modal(action, record)
    except AimsError as exc:
        tell(messenger, click, f":no_entry: {exc}")
        return
    messenger.open_view(trigger_of(click), view, action.ref)


def _changes(state: ViewState, record: AIUse) -> dict[str, Any]:
    edited = {
        name: state.answer(f"{FIELD_BLOCK_PREFIX}{name}", ApprovalIds.FIELD_INPUT.value)
        for name in EDITABLE_FIELDS
    }
    return {
        name: value
        for name, value in edited.items()
        if value.strip() != str(getattr(record, name) or "").strip()
    }


def on_edit_submitted(ctx: AppContext, app: App, ack: Ack, submission: ViewSubmission) -> None:
    view, user = submission.view, submission.user_id
    action = _action(view.private_metadata)
    values = view.state
    reason = values.answer(ApprovalIds.EDIT_REASON_BLOCK.value, ApprovalIds.FIELD_INPUT.value)
    try:
        if action is None:
            raise AimsError(BROKEN)
        with ctx.db.session() as session:
            record = get_record(session, action.ref)
            resubmit_after_changes(
                session,
                record=record,
                changes=_changes(values, record),
                actor=user,
                config=ctx.config,
                reason=reason,
                version=action.version,
            )
    except AimsError as exc:
        ack(response_action="errors", errors={ApprovalIds.EDIT_REASON_BLOCK.value: str(exc)})
        return
    ack()
    send_queued(ctx, app, "an approval")


# --- wiring ----------------------------------------------------------------------------------


def register_approval_handlers(app: App, services: Services) -> None:
    if waiting_approvals not in APPROVALS_FOR_HOME:
        APPROVALS_FOR_HOME.append(waiting_approvals)
    ctx, messenger = services.ctx, services.messenger

    def ack_click(ack: Ack) -> None:
        ack()

    # after_ack claims the delivery first, so a redelivered or double click does nothing.
    @after_ack(services, BlockActions)
    def decision_button(click: BlockActions) -> None:
        on_button(ctx, app, messenger, click)

    @after_ack(services, BlockActions, claim=False)  # opens a form; its submission is the effect
    def edit_button(click: BlockActions) -> None:
        on_edit_click(ctx, messenger, click)

    def on_submit(handler: Submission) -> Callable[[Ack, BoltContext], None]:
        # Answered before the ack, so a refusal shows in the modal itself. A repeated
        # submission needs no delivery claim: the services refuse a second decision or edit.
        def run(ack: Ack, context: BoltContext) -> None:
            handler(ctx, app, ack, submitted(context))

        return run

    app.action(BUTTONS)(ack=ack_click, lazy=[decision_button])
    app.action(ApprovalIds.EDIT.value)(ack=ack_click, lazy=[edit_button])
    app.view(ApprovalIds.REASON_MODAL.value)(on_submit(on_reason_submitted))
    app.view(ApprovalIds.EDIT_MODAL.value)(on_submit(on_edit_submitted))
