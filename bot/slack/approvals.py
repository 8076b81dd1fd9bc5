"""Approval buttons, the reason modal, and the requester's edit-and-resubmit modal. Each handler
is parse → one governance.approvals.flows call (which checks who is acting, writes evidence and
queues the notices) → what to show; bot.slack.listeners does the rest."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.approval_forms import (
    action_of,
    changes_of,
    edit_modal,
    edit_reason_of,
    reason_modal,
    reason_of,
)
from bot.slack.ids import ApprovalIds
from bot.slack.listeners import Done, Form, Invalid, Note, Work, on_click, on_submit
from bot.slack.notices import mentioned
from bot.slack.payloads import BlockActions, ViewSubmission
from bot.slack.services import Services
from governance.approvals import checks, flows
from governance.approvals.models import ApprovalAction, DecisionInput, DecisionResult, Verdict
from governance.register import get_record

BUTTONS = re.compile(
    r"^(approval_approve|approval_approve_with_conditions|approval_request_changes|approval_reject)$"
)


def _decide(
    work: Work[ViewSubmission] | Work[BlockActions], action: ApprovalAction, reason: str
) -> DecisionResult:
    assert action.verdict is not None
    decision = DecisionInput(
        request_id=action.request_id,
        slot=action.slot,
        verdict=action.verdict,
        actor=work.user,
        reason=reason,
        version=action.version,
        via="slack",
    )
    return flows.decide(work.session, decision=decision, config=work.config)


def _refused(result: DecisionResult) -> Note:
    return Note(f":no_entry: {mentioned(result.message, result.mentions)}")


def verdict_clicked(work: Work[BlockActions]) -> Note | Form | None:
    """Approve decides at once; any other verdict asks for a reason first (unless the clicker
    may not decide, which they are told, and which is recorded)."""
    action = action_of(work.payload.action.value)
    if action.verdict is Verdict.APPROVE:
        result = _decide(work, action, reason="")
        return None if result.accepted else _refused(result)
    refusal = flows.check_may_act(
        work.session,
        request_id=action.request_id,
        slot_key=action.slot,
        version=action.version,
        actor=work.user,
        config=work.config,
        verdict=action.verdict,
    )
    if refusal is not None:
        return _refused(refusal)
    record = get_record(work.session, action.ref)
    return Form(reason_modal(action, record.title), action.ref)


def reason_submitted(work: Work[ViewSubmission]) -> Done | Invalid:
    view = work.payload.view
    result = _decide(work, action_of(view.private_metadata), reason_of(view.state))
    # A refusal shows under the text box: the modal stays open with the explanation.
    return Done() if result.accepted else Invalid({ApprovalIds.REASON_BLOCK: result.message})


def edit_clicked(work: Work[BlockActions]) -> Form:
    action = action_of(work.payload.action.value)
    record = get_record(work.session, action.ref)
    checks.check_resubmit(record, work.user, work.config, action.version)
    return Form(edit_modal(action, record), action.ref)


def edit_submitted(work: Work[ViewSubmission]) -> Done:
    view = work.payload.view
    action = action_of(view.private_metadata)
    record = get_record(work.session, action.ref)
    flows.resubmit_after_changes(
        work.session,
        record=record,
        changes=changes_of(view.state, record),
        actor=work.user,
        config=work.config,
        reason=edit_reason_of(view.state),
        version=action.version,
    )
    return Done()


def register_approval_handlers(app: App, services: Services) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    # A verdict is claimed, so a redelivered or double click does nothing; the edit button only
    # opens a form, which must open again after a cancel.
    app.action(BUTTONS)(ack=ack_click, lazy=[on_click(services)(verdict_clicked)])
    app.action(ApprovalIds.EDIT.value)(
        ack=ack_click, lazy=[on_click(services, claim=False)(edit_clicked)]
    )
    on_reason = on_submit(services, errors_on=ApprovalIds.REASON_BLOCK)(reason_submitted)
    app.view(ApprovalIds.REASON_MODAL.value)(on_reason)
    on_edit = on_submit(services, errors_on=ApprovalIds.EDIT_REASON_BLOCK)(edit_submitted)
    app.view(ApprovalIds.EDIT_MODAL.value)(on_edit)
