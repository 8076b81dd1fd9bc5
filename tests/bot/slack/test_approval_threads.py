"""Approvals in Slack as the requester and approvers read them (issue 14, part 5), through the
real Bolt app over HTTP and the Slack stand-in: the requester hears in the thread where they
registered, from one status message that is updated as approvers decide; people aims.yaml does
not name are mentioned in Slack and shown by id in the terminal; a refusal names each person
who may decide once."""

from __future__ import annotations

import time

from typer.testing import CliRunner

from bot.cli import app
from bot.slack.ids import ApprovalIds
from bot.slack.outbox_sender import drain_outbox
from governance.approvals.flows import resubmit_after_changes, submit_record
from governance.approvals.models import RequesterThread
from governance.approvals.service import open_request_for, slots_of
from governance.config import ApprovalSettings
from governance.models import DataCategory, Deployment, RecordFields, RiskTier
from governance.register import create_record, get_record
from store.models import OutboundMessage
from tests.governance.approvals.helpers import (
    MARCUS,
    OLIVER,
    PRIYA,
    REQUESTER,
    SARAH,
    TIER_FIELDS,
)

GOV = "C0ACMEGOV1"
REGISTERED = RequesterThread(channel="D0ACMEREQ1", thread_ts="1764000000.000100")
STRANGER = "U092855DBA"  # a Slack user aims.yaml does not list


def _dm(user):
    return "D" + user[1:]


def _register(rig, now, tier=RiskTier.LIMITED, origin=REGISTERED, **extra):
    """File a record as the intake does, then send what it queued."""
    fields = {**TIER_FIELDS[tier], "risk_tier": tier, "owner": OLIVER, "requester": REQUESTER}
    with rig.ctx.db.session() as session:
        record = create_record(
            session, fields=RecordFields(**{**fields, **extra}), actor=REQUESTER, now=now
        )
        submit_record(
            session, record=record, actor=REQUESTER, config=rig.ctx.config, now=now, origin=origin
        )
        ref = record.ref
    _all_sent(rig)
    return ref


def _all_sent(rig, timeout=10.0):
    """Drain, then wait until a click's own sender has sent everything too."""
    drain_outbox(rig.ctx, rig.client)
    rig.standin.settle(quiet=0.2)
    rig.wait_until_sent(timeout)


def _button(rig, user, slot):
    return next(
        c
        for c in rig.standin.calls_to("chat.postMessage")
        if c.channel == _dm(user)
        and any(b.get("block_id") == ApprovalIds.ACTIONS_BLOCK for b in c.blocks)
        and f'"slot":"{slot}"' in str(c.blocks)
    )


def _click(rig, call, label, user):
    """Click, wait for the handler's first call to Slack after its ack (the decision has
    committed by then), then for everything it queued."""
    before = len(rig.standin.calls)
    assert rig.click(call, label=label, user=user).status == 200
    deadline = time.monotonic() + 10
    while len(rig.standin.calls) == before:
        assert time.monotonic() < deadline, "no call to Slack after the click"
        time.sleep(0.02)
    _all_sent(rig)


def _approve_everything(rig, ref):
    with rig.ctx.db.session() as session:
        slots = slots_of(session, open_request_for(session, ref))
    for slot in slots:
        _click(rig, _button(rig, slot.approvers[0], slot.key), "Approve", slot.approvers[0])
    return slots


def _to_requester(rig, method, channel=REGISTERED.channel):
    return [c for c in rig.standin.calls_to(method) if c.channel == channel]


def test_the_requester_hears_in_their_registration_thread_from_one_updated_status(slack_rig, now):
    ref = _register(slack_rig, now)
    [status] = _to_requester(slack_rig, "chat.postMessage")
    assert status.args["thread_ts"] == REGISTERED.thread_ts
    text = status.text_of_blocks()
    assert f"{ref} v1 Support chat assistant: in review, 0 of 3 approvals decided" in text
    assert "privacy: waiting for Sarah Whitfield" in text
    assert "governance leads: waiting for Priya Raman or Tom Okafor" in text

    slots = _approve_everything(slack_rig, ref)

    # Everything posted in the requester's DM is a reply in the registration thread.
    posts = _to_requester(slack_rig, "chat.postMessage")
    assert [p.args.get("thread_ts") for p in posts] == [REGISTERED.thread_ts] * 2
    assert posts[0].ts == status.ts
    assert "Approved*" in posts[1].args["text"]  # the outcome, a reply that notifies
    updates = _to_requester(slack_rig, "chat.update")
    assert {u.args["ts"] for u in updates} == {status.ts}  # one message, updated in place
    assert len(updates) == len(slots) + 1  # each decision, then the outcome
    final = updates[-1].text_of_blocks()
    assert f"{ref} v1 Support chat assistant: approved" in final
    assert "privacy: Approved by Sarah Whitfield" in final
    assert "business owner: Approved by Oliver Grant" in final

    before = len(slack_rig.standin.calls)  # exactly once: another pass sends nothing again
    assert drain_outbox(slack_rig.ctx, slack_rig.client) == 0
    assert len(slack_rig.standin.calls) == before
    assert slack_rig.standin.violations == []


def test_a_later_version_is_told_in_the_same_thread(slack_rig, now):
    ref = _register(slack_rig, now, tier=RiskTier.MINIMAL)
    _click(slack_rig, _button(slack_rig, OLIVER, "business_owner"), "Request changes", OLIVER)
    modal = slack_rig.standin.wait_for("views.open")[0].view
    reason = {"type": "plain_text_input", "value": "Name the team"}
    values = {ApprovalIds.REASON_BLOCK: {ApprovalIds.REASON_INPUT: reason}}
    assert slack_rig.submit_view(modal, values, user=OLIVER).status == 200
    _all_sent(slack_rig)
    with slack_rig.ctx.db.session() as session:
        record = get_record(session, ref)
        resubmit_after_changes(
            session,
            record=record,
            changes={"business_unit": "Finance"},
            actor=REQUESTER,
            config=slack_rig.ctx.config,
            reason="team named",
        )
    _all_sent(slack_rig)
    posts = _to_requester(slack_rig, "chat.postMessage")
    assert all(p.args["thread_ts"] == REGISTERED.thread_ts for p in posts)
    texts = [p.args["text"] for p in posts]
    assert "v1" in texts[0] and "Changes requested*" in texts[1] and "Name the team" in texts[1]
    assert f"{ref} v2 DeepL for internal memos: in review" in texts[2]


def test_without_a_registration_thread_the_outcome_replies_under_the_status_dm(slack_rig, now):
    _register(slack_rig, now, tier=RiskTier.MINIMAL, origin=None)
    _click(slack_rig, _button(slack_rig, OLIVER, "business_owner"), "Approve", OLIVER)
    status, outcome = _to_requester(slack_rig, "chat.postMessage", _dm(REQUESTER))
    assert "thread_ts" not in status.args and outcome.args["thread_ts"] == status.ts
    assert "Approved*" in outcome.args["text"]


def test_a_fast_tracked_use_is_approved_at_once_and_the_requester_told_in_the_thread(
    slack_rig, now
):
    config = slack_rig.ctx.config
    slack_rig.ctx.__dict__["config"] = config.model_copy(
        update={"approvals": ApprovalSettings(fast_track="conditions")}
    )
    ref = _register(
        slack_rig,
        now,
        tier=RiskTier.MINIMAL,
        tool="DeepL Pro",
        deployment=Deployment.INTERNAL,
        data_categories=[DataCategory.INTERNAL],
    )
    status, outcome = _to_requester(slack_rig, "chat.postMessage")
    assert "fast track: DeepL Pro is an approved catalogue tool" in status.text_of_blocks()
    assert "Approved with conditions*" in outcome.args["text"]
    assert "No special category data" in outcome.text_of_blocks()  # DeepL Pro's conditions
    final = _to_requester(slack_rig, "chat.update")[-1].text_of_blocks()
    assert "Approved with conditions by the AIMS fast track" in final
    assert not any(  # nobody was asked to click
        b.get("block_id") == ApprovalIds.ACTIONS_BLOCK
        for c in slack_rig.standin.calls_to("chat.postMessage")
        for b in c.blocks
    )
    with slack_rig.ctx.db.session() as session:
        assert get_record(session, ref).status == "approved_with_conditions"


def test_people_aims_yaml_does_not_name_are_mentioned_in_slack_but_not_in_the_cli(slack_rig, now):
    ref = _register(slack_rig, now, tier=RiskTier.MINIMAL, owner=STRANGER)
    channel_post = next(
        c for c in slack_rig.standin.calls_to("chat.postMessage") if c.args["channel"] == GOV
    )
    assert f"Business owner: <@{STRANGER}>" in channel_post.text_of_blocks()
    assert f"business_owner: <@{STRANGER}>" in channel_post.text_of_blocks()

    _click(slack_rig, _button(slack_rig, STRANGER, "business_owner"), "Approve", MARCUS)
    [refusal] = [c.args["text"] for c in slack_rig.standin.calls_to("response_url")]
    assert f"Only <@{STRANGER}> can decide" in refusal

    _click(slack_rig, _button(slack_rig, STRANGER, "business_owner"), "Approve", STRANGER)
    in_thread = [c.args["text"] for c in slack_rig.standin.calls_to("chat.postMessage")]
    assert any(f"Approved by <@{STRANGER}>" in t for t in in_thread)
    final = _to_requester(slack_rig, "chat.update")[-1].text_of_blocks()
    assert f"business owner: Approved by <@{STRANGER}>" in final

    shown = _aims(slack_rig.ctx, "register", "show", ref).output
    assert f"Approved by {STRANGER}" in shown and "<@" not in shown
    assert "<@" not in _aims(slack_rig.ctx, "approvals", "list", "--all").output


def _aims(ctx, *args):
    return CliRunner().invoke(
        app,
        ["--config", str(ctx.config_path), *args],
        env={"AIMS_DATABASE_URL": ctx.db.url, "COLUMNS": "250"},
        catch_exceptions=False,
    )


def test_a_refusal_names_each_person_who_may_decide_once(slack_rig, now):
    _register(slack_rig, now)  # limited: the leads, each the other's delegate; the DPO
    _click(slack_rig, _button(slack_rig, PRIYA, "governance_leads"), "Approve", MARCUS)
    _click(slack_rig, _button(slack_rig, SARAH, "privacy"), "Approve", MARCUS)
    leads, privacy = [c.args["text"] for c in slack_rig.standin.calls_to("response_url")]
    assert "Only Priya Raman or Tom Okafor can decide for governance_leads" in leads
    assert "delegate" not in leads
    assert "Only Sarah Whitfield (or their delegate Daniel Costa) can decide" in privacy


def test_a_request_opened_before_status_messages_still_tells_the_requester(slack_rig, now):
    """Requests already open when this shipped have no status message: nothing waits for one,
    and the outcome reaches the requester in their DM."""
    from governance.approvals.notify import status_key

    with slack_rig.ctx.db.session() as session:
        record = create_record(
            session,
            fields=RecordFields(
                title="Old memo helper",
                risk_tier=RiskTier.MINIMAL,
                owner=OLIVER,
                requester=REQUESTER,
            ),
            actor=REQUESTER,
            now=now,
        )
        submit_record(session, record=record, actor=REQUESTER, config=slack_rig.ctx.config, now=now)
        key = status_key(open_request_for(session, record.ref))
        session.query(OutboundMessage).filter_by(dedupe_key=key).delete()
    _all_sent(slack_rig)
    _click(slack_rig, _button(slack_rig, OLIVER, "business_owner"), "Approve", OLIVER)
    [outcome] = _to_requester(slack_rig, "chat.postMessage", _dm(REQUESTER))
    assert "thread_ts" not in outcome.args and "Approved*" in outcome.args["text"]
    assert _to_requester(slack_rig, "chat.update", _dm(REQUESTER)) == []
