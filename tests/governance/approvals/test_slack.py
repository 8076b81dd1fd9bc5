"""Approvals in Slack, through the real Bolt app over HTTP and the Slack stand-in: what each
person sees, what is stored, and the evidence written for each step."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from bot.slack.ids import ApprovalIds
from bot.slack.outbox_sender import drain_outbox
from governance.models import RiskTier
from governance.register import get_record
from store import evidence
from store.approval_models import ApprovalDecision
from store.models import OutboundMessage
from tests.governance.approvals.helpers import (
    DANIEL,
    MARCUS,
    OLIVER,
    PRIYA,
    REQUESTER,
    SARAH,
    TOM,
    submitted,
)

GOV = "C0ACMEGOV1"


def _dm(user: str) -> str:
    return "D" + user[1:]


def _submit(rig, tier, now, **extra):
    with rig.ctx.db.session() as session:
        record = submitted(session, rig.ctx.config, tier, now, **extra)
        ref = record.ref
    drain_outbox(rig.ctx, rig.client)
    return ref


def _buttons_for(rig, user, version=1):
    """The approval DMs a person received for `version` (one per approval they can give)."""
    posts = [
        c
        for c in rig.standin.calls_to("chat.postMessage")
        if c.channel == _dm(user)
        and any(b.get("block_id") == ApprovalIds.ACTIONS_BLOCK for b in c.blocks)
        and f" v{version}:" in c.text_of_blocks()
    ]
    assert posts, f"{user} got no approval DM for v{version}"
    return posts


def _click(rig, call, label, user, *, effect=True):
    """Click, then wait for the handler's work after its ack: a first call to Slack (the
    decision has committed by then) and everything the decision queued."""
    before = len(rig.standin.calls)
    assert rig.click(call, label=label, user=user).status == 200
    if effect:
        _wait(lambda: len(rig.standin.calls) > before, "no call to Slack after the click")
    _all_sent(rig)


def _wait(condition, failure, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.02)


def _all_sent(rig, timeout=10.0):
    """Wait until the handler (after its ack) has sent everything the click queued."""
    rig.standin.settle(quiet=0.2)
    rig.wait_until_sent(timeout)


def _texts(rig, method, channel=None):
    return [
        c.args.get("text") or ""
        for c in rig.standin.calls_to(method)
        if channel is None or c.channel == channel
    ]


def _thread_ts_of_request(rig, ref):
    with rig.ctx.db.session() as session:
        parent = session.scalar(
            select(OutboundMessage).where(
                OutboundMessage.kind == "approval.request", OutboundMessage.subject == ref
            )
        )
        return parent.slack_ts


def _kinds(rig):
    with rig.ctx.db.session() as session:
        lines = list(evidence.iter_ledger(session))
        assert evidence.verify(lines).ok
        return [line.kind for line in lines]


def _decisions(rig):
    with rig.ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(ApprovalDecision))


def _approve_everything(rig, version=1):
    """Each required approval clicked once by its first named approver."""
    from governance.approvals.service import open_request_for, slots_of

    with rig.ctx.db.session() as session:
        request = open_request_for(session, "AIU-0001")
        slots = slots_of(session, request)
    for slot in slots:
        user = slot.approvers[0]
        call = next(
            c for c in _buttons_for(rig, user, version) if f'"slot":"{slot.key}"' in str(c.blocks)
        )
        _click(rig, call, "Approve", user)


@pytest.mark.parametrize("tier", [RiskTier.MINIMAL, RiskTier.LIMITED, RiskTier.HIGH])
def test_happy_path_for_each_tier(slack_rig, now, tier):
    ref = _submit(slack_rig, tier, now)
    channel_post = next(
        c for c in slack_rig.standin.calls_to("chat.postMessage") if c.args["channel"] == GOV
    )
    assert f"Risk tier: *{tier}*" in channel_post.text_of_blocks()
    _approve_everything(slack_rig)

    thread_ts = _thread_ts_of_request(slack_rig, ref)
    in_thread = [
        c
        for c in slack_rig.standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts
    ]
    assert any("Approved by" in c.args["text"] for c in in_thread)
    assert any("Approved*" in c.args["text"] for c in in_thread)  # the outcome, last
    # Every approver's buttons were replaced by the decision.
    updates = slack_rig.standin.calls_to("chat.update")
    assert updates and all("Approved by" in c.args["text"] for c in updates)
    assert all(not any(b.get("type") == "actions" for b in c.blocks) for c in updates)
    assert any(
        "Approved*" in text for text in _texts(slack_rig, "chat.postMessage", _dm(REQUESTER))
    )
    with slack_rig.ctx.db.session() as session:
        assert get_record(session, ref).status == "approved"
    kinds = _kinds(slack_rig)
    assert {"approval.requested", "approval.decided", "approval.completed", "slack.inbound"} <= set(
        kinds
    )
    assert slack_rig.standin.violations == []


def test_an_unauthorised_clicker_is_refused_privately_and_recorded(slack_rig, now):
    _submit(slack_rig, RiskTier.LIMITED, now)
    sarahs = _buttons_for(slack_rig, SARAH)[0]
    _click(slack_rig, sarahs, "Approve", MARCUS)
    _click(slack_rig, sarahs, "Reject", MARCUS)
    refusals = _texts(slack_rig, "response_url")
    assert len(refusals) == 2 and all("Only Sarah Whitfield" in t for t in refusals)
    assert slack_rig.standin.calls_to("views.open") == []  # no modal for Marcus
    assert _decisions(slack_rig) == 0
    assert _kinds(slack_rig).count("approval.refused") == 2


def test_a_delegate_approves_for_the_named_approver(slack_rig, now):
    _submit(slack_rig, RiskTier.LIMITED, now)
    daniels = _buttons_for(slack_rig, DANIEL)[0]
    assert "as delegate for Sarah Whitfield" in daniels.text_of_blocks()
    _click(slack_rig, daniels, "Approve", DANIEL)
    assert any(
        "Approved by Daniel Costa for Sarah Whitfield" in t
        for t in _texts(slack_rig, "chat.postMessage", GOV)
    )
    # Sarah's own DM loses its buttons too: the approval is given.
    assert any(c.args["channel"] == _dm(SARAH) for c in slack_rig.standin.calls_to("chat.update"))


def test_approval_with_conditions_asks_for_them_and_puts_them_on_the_record(
    slack_rig,
    now,
):
    ref = _submit(slack_rig, RiskTier.MINIMAL, now)
    _click(slack_rig, _buttons_for(slack_rig, OLIVER)[0], "Approve with conditions", OLIVER)
    modal = slack_rig.standin.wait_for("views.open")[0].view
    values = {
        ApprovalIds.REASON_BLOCK: {
            ApprovalIds.REASON_INPUT: {
                "type": "plain_text_input",
                "value": "Internal memos only\nNo customer names",
            }
        }
    }
    assert slack_rig.submit_view(modal, values, user=OLIVER).status == 200
    _all_sent(slack_rig)
    with slack_rig.ctx.db.session() as session:
        record = get_record(session, ref)
        assert record.status == "approved_with_conditions"
        assert record.conditions == ["Internal memos only", "No customer names"]
    told = _texts(slack_rig, "chat.postMessage", _dm(REQUESTER))
    assert any("Approved with conditions" in t and "No customer names" in t for t in told)
    assert slack_rig.standin.violations == []


def test_a_reason_is_required_and_the_modal_says_so(slack_rig, now):
    _submit(slack_rig, RiskTier.MINIMAL, now)
    _click(slack_rig, _buttons_for(slack_rig, OLIVER)[0], "Reject", OLIVER)
    modal = slack_rig.standin.wait_for("views.open")[0].view
    empty = {
        ApprovalIds.REASON_BLOCK: {
            ApprovalIds.REASON_INPUT: {"type": "plain_text_input", "value": "  "}
        }
    }
    answer = slack_rig.submit_view(modal, empty, user=OLIVER).json()
    assert answer["response_action"] == "errors"
    assert "reason" in answer["errors"][ApprovalIds.REASON_BLOCK]
    assert _decisions(slack_rig) == 0


def test_changes_requested_loop_to_a_second_version_and_stale_buttons(slack_rig, now):
    ref = _submit(slack_rig, RiskTier.LIMITED, now)
    old_priya = _buttons_for(slack_rig, PRIYA)[0]
    _click(slack_rig, _buttons_for(slack_rig, SARAH)[0], "Request changes", SARAH)
    modal = slack_rig.standin.wait_for("views.open")[0].view
    values = {
        ApprovalIds.REASON_BLOCK: {
            ApprovalIds.REASON_INPUT: {"type": "plain_text_input", "value": "Name the lawful basis"}
        }
    }
    slack_rig.submit_view(modal, values, user=SARAH)
    _all_sent(slack_rig)
    _click(slack_rig, old_priya, "Approve", PRIYA)
    _click(slack_rig, _buttons_for(slack_rig, OLIVER)[0], "Approve", OLIVER)
    told = "\n".join(_texts(slack_rig, "chat.postMessage", _dm(REQUESTER)))
    assert "Changes requested" in told and "Name the lawful basis" in told
    assert "aims approvals resubmit" in told

    # The requester edits in Slack: the changes-requested DM has the button.
    note = next(
        c
        for c in slack_rig.standin.calls_to("chat.postMessage")
        if c.channel == _dm(REQUESTER) and "Changes requested*" in c.args["text"]
    )
    _click(slack_rig, note, "Edit and resubmit", REQUESTER)
    edit = slack_rig.standin.wait_for("views.open", 2)[-1].view
    purpose = {"type": "plain_text_input", "value": "Lawful basis: legitimate interest"}
    values = {
        "approval_field_purpose": {"value": purpose},
        "approval_field_title": {
            "value": {"type": "plain_text_input", "value": "Support chat assistant"}
        },
        ApprovalIds.EDIT_REASON_BLOCK: {
            "value": {"type": "plain_text_input", "value": "named the lawful basis"}
        },
    }
    assert slack_rig.submit_view(edit, values, user=REQUESTER, view_id="VEDIT").status == 200
    _all_sent(slack_rig)
    new_priya = _buttons_for(slack_rig, PRIYA, version=2)[0]

    _click(slack_rig, old_priya, "Reject", PRIYA)  # a button of v1
    stale = _texts(slack_rig, "response_url")[-1]
    assert "v1 of AIU-0001, which has been replaced" in stale and "now at v2" in stale

    assert new_priya is not old_priya
    _approve_everything(slack_rig, version=2)
    with slack_rig.ctx.db.session() as session:
        assert get_record(session, ref).status == "approved"
    kinds = _kinds(slack_rig)
    assert kinds.count("approval.requested") == 2 and "record.updated" in kinds
    assert kinds.count("approval.completed") == 2  # changes requested, then approved
    shown = _show(slack_rig, ref)
    assert "v1 (request #1" in shown and "changes requested" in shown
    assert "v2 (request #2" in shown and "reason: Name the lawful basis" in shown
    assert slack_rig.standin.violations == []


def _show(rig, ref):
    from bot.render_record import record_detail

    with rig.ctx.db.session() as session:
        return record_detail(session, get_record(session, ref), rig.ctx.config).as_text()


def test_a_double_click_makes_one_decision(slack_rig, now):
    _submit(slack_rig, RiskTier.LIMITED, now)
    priya = _buttons_for(slack_rig, PRIYA)[0]
    _click(slack_rig, priya, "Approve", PRIYA)
    _click(slack_rig, priya, "Approve", PRIYA, effect=False)  # the same click (or a retry)
    _click(slack_rig, priya, "Reject", PRIYA)  # a second thought after deciding
    toms = _buttons_for(slack_rig, TOM)[0]
    _click(slack_rig, toms, "Approve", TOM)  # the other lead, on their own message
    assert _decisions(slack_rig) == 1
    refusals = _texts(slack_rig, "response_url")
    assert any("You already approved" in t for t in refusals)
    assert any("Priya Raman already approved" in t for t in refusals)
    decided_posts = [t for t in _texts(slack_rig, "chat.postMessage", GOV) if "Approved by" in t]
    assert len(decided_posts) == 1


def test_an_overdue_request_nudges_in_dms_then_escalates_in_the_thread(slack_rig, now):
    from datetime import timedelta

    from governance.approvals.escalation import escalate_overdue

    ref = _submit(slack_rig, RiskTier.MINIMAL, now)
    days = timedelta(days=slack_rig.ctx.config.approval_escalation_days)
    for later in (now + days, now + 2 * days):
        with slack_rig.ctx.db.session() as session:
            assert escalate_overdue(session, slack_rig.ctx.config, later) == 1
        drain_outbox(slack_rig.ctx, slack_rig.client)
    assert any("Reminder" in t for t in _texts(slack_rig, "chat.postMessage", _dm(OLIVER)))
    thread_ts = _thread_ts_of_request(slack_rig, ref)
    escalated = [
        c
        for c in slack_rig.standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts and "Escalated" in c.args["text"]
    ]
    assert len(escalated) == 1 and "Oliver Grant" in escalated[0].args["text"]
    assert any("Escalated" in t for t in _texts(slack_rig, "chat.postMessage", _dm(PRIYA)))
    kinds = _kinds(slack_rig)
    assert "approval.nudged" in kinds and "approval.escalated" in kinds


def test_app_home_lists_the_approvals_waiting_for_me_until_i_decide(slack_rig, now):
    ref = _submit(slack_rig, RiskTier.LIMITED, now)

    def home_text(user, count):
        slack_rig.send_event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": str(count),
            },
            event_id=f"EvHome{count}",
        )
        return slack_rig.standin.wait_for("views.publish", count=count)[-1].text_of_blocks()

    assert f"*{ref}* v1 Support chat assistant · as privacy" in home_text(SARAH, 1)
    assert ref not in home_text(MARCUS, 2)  # security is not asked for a limited-tier use
    assert slack_rig.standin.violations == []


def test_a_requester_cannot_approve_their_own_request_in_slack(slack_rig, now):
    _submit(slack_rig, RiskTier.LIMITED, now, requester=SARAH)
    sarahs = _buttons_for(slack_rig, SARAH)[0]
    _click(slack_rig, sarahs, "Approve", SARAH)
    refusals = _texts(slack_rig, "response_url")
    assert len(refusals) == 1 and "separation of duties" in refusals[0]
    assert slack_rig.standin.calls_to("views.open") == []
    assert _decisions(slack_rig) == 0
    assert _kinds(slack_rig).count("approval.refused") == 1


def test_the_thread_shows_each_step_in_order_with_the_outbox_loop_running(slack_rig, now):
    """The outbox loop and the sender after a click claim batches at the same time. The last
    click queues its decision, the DM updates and the requester's note (one batch) before the
    outcome (the next batch, another sender): the thread must still read decisions first, then
    the outcome, even when the decision's post is slow."""
    from bot.slack.run import OutboxLoop
    from governance.approvals.notify import parent_key
    from governance.approvals.service import open_request_for, slots_of
    from tests.support.notices import in_slack

    config = slack_rig.ctx.config  # Sarah gets a second delegate: three DMs lose their buttons
    people = [
        p.model_copy(update={"delegates": [DANIEL, MARCUS]}) if p.slack_id == SARAH else p
        for p in config.people
    ]
    slack_rig.ctx.__dict__["config"] = config.model_copy(update={"people": people})
    ref = _submit(slack_rig, RiskTier.LIMITED, now)
    with slack_rig.ctx.db.session() as session:
        request = open_request_for(session, ref)
        parent, slots = parent_key(request), slots_of(session, request)
    for slot in sorted(slots, key=lambda s: SARAH in s.approvers):  # Sarah's slot last
        user = slot.approvers[0]
        call = next(
            c for c in _buttons_for(slack_rig, user) if f'"slot":"{slot.key}"' in str(c.blocks)
        )
        if SARAH not in slot.approvers:
            _click(slack_rig, call, "Approve", user)
            continue
        # The decision's post is slow: anything the senders let overtake it, will.
        slack_rig.standin.hold_once("chat.postMessage", "Approved by Sarah Whitfield", 1.0)
        loop = OutboxLoop(slack_rig.ctx, slack_rig.app, interval=0.002)
        loop.start()
        try:
            _click(slack_rig, call, "Approve", user)
        finally:
            loop.stop()
            loop.join()
    thread_ts = _thread_ts_of_request(slack_rig, ref)
    posted = [
        c.args["text"]
        for c in slack_rig.standin.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts
    ]
    with slack_rig.ctx.db.session() as session:
        queued = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.thread_of == parent)
            .order_by(OutboundMessage.id)
        ).all()
        expected = [in_slack(row).text for row in queued]
    assert len(expected) == len(slots) + 1  # one decision per slot, then the outcome
    assert posted == expected
    assert "Approved*" in posted[-1]
