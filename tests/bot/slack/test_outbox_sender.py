"""The outbox sender: queued messages reach Slack once, threaded, updated, uploaded, in DMs."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.slack.messenger import Messenger
from bot.slack.outbox_sender import drain_outbox, send_row
from governance import outbox
from store.models import OutboundMessage, utcnow
from tests.support.slack_app import SlackRig
from tests.support.slack_standin import SlackStandin


def enqueue(rig: SlackRig, key: str, **fields: object) -> None:
    defaults: dict[str, object] = {
        "channel": "C0APPROVALS",
        "text": f"message {key}",
        "kind": "test",
    }
    with rig.ctx.db.session() as session:
        outbox.enqueue(session, key=key, **{**defaults, **fields})  # type: ignore[arg-type]


def row(rig: SlackRig, key: str) -> OutboundMessage:
    with rig.ctx.db.session() as session:
        found = session.query(OutboundMessage).filter_by(dedupe_key=key).one()
        session.expunge(found)
        return found


def test_posts_threads_and_updates_are_sent_once(scripted_rig: SlackRig) -> None:
    standin: SlackStandin = scripted_rig.standin
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*AIU-0001* needs you"}}]
    enqueue(scripted_rig, "reply", thread_of="parent", text="reminder")  # queued first
    enqueue(scripted_rig, "parent", blocks=blocks)
    enqueue(scripted_rig, "edit", op="update", target_of="parent", text="approved")
    # The reply and the edit wait (unclaimed, so never failed) until their parent is sent,
    # then go in the same pass.
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 3
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 0
    assert (row(scripted_rig, "reply").attempts, row(scripted_rig, "edit").attempts) == (1, 1)
    parent_post, reply_post = standin.calls_to("chat.postMessage")
    assert parent_post.blocks == blocks
    assert reply_post.args["thread_ts"] == parent_post.ts
    [update] = standin.calls_to("chat.update")
    assert (update.args["ts"], update.args["text"]) == (parent_post.ts, "approved")
    sent = row(scripted_rig, "parent")
    assert (sent.status, sent.slack_channel, sent.slack_ts) == (
        "sent",
        "C0APPROVALS",
        parent_post.ts,
    )
    assert standin.violations == []


def test_a_dm_is_posted_to_the_user_and_ephemerals_go_to_the_user(
    scripted_rig: SlackRig,
) -> None:
    enqueue(scripted_rig, "dm", channel="U0ACME0003", text="Please review AIU-0002")
    enqueue(scripted_rig, "private", op="ephemeral", user_id="U0ACME0003", text="only you")
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 2
    # chat.postMessage takes the user id: no conversations.open (Tier 3) per DM.
    assert scripted_rig.standin.calls_to("conversations.open") == []
    [dm] = scripted_rig.standin.calls_to("chat.postMessage")
    assert (dm.args["channel"], dm.response["channel"]) == ("U0ACME0003", "D0ACME0003")
    assert row(scripted_rig, "dm").slack_channel == "D0ACME0003"  # replies thread in the DM
    [ephemeral] = scripted_rig.standin.calls_to("chat.postEphemeral")
    assert (ephemeral.args["channel"], ephemeral.args["user"]) == ("C0APPROVALS", "U0ACME0003")


def test_an_attachment_is_uploaded_with_files_upload_v2(scripted_rig: SlackRig) -> None:
    content = b"ref,title\nAIU-0001,Chatbot\n"
    enqueue(
        scripted_rig,
        "digest",
        op="upload",
        text="This week's register",
        attachment=outbox.Attachment(
            filename="register.csv",
            title="Register",
            content_base64=base64.b64encode(content).decode(),
        ),
    )
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 1
    [asked] = scripted_rig.standin.calls_to("files.getUploadURLExternal")
    assert asked.args["filename"] == "register.csv" and int(asked.args["length"]) == len(content)
    file_id = asked.response["file_id"]
    assert scripted_rig.standin.uploads[file_id] == content
    [done] = scripted_rig.standin.calls_to("files.completeUploadExternal")
    assert json.loads(done.args["files"]) == [{"id": file_id, "title": "Register"}]
    assert done.args["channel_id"] == "C0APPROVALS"
    assert scripted_rig.standin.violations == []


def test_a_rate_limited_send_is_retried_and_sent_once(scripted_rig: SlackRig) -> None:
    scripted_rig.standin.rate_limit_once("chat.postMessage", retry_after=1)
    enqueue(scripted_rig, "busy")
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 1
    assert len(scripted_rig.standin.calls_to("chat.postMessage")) == 1


def test_a_failed_send_goes_back_to_pending_with_the_error(scripted_rig: SlackRig) -> None:
    enqueue(scripted_rig, "orphan", thread_of="never-sent")
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 0
    orphan = row(scripted_rig, "orphan")
    assert orphan.status == "pending" and "never-sent" in (orphan.error or "")


def test_a_sender_that_lost_its_claim_does_not_overwrite_the_row(scripted_rig: SlackRig) -> None:
    ctx = scripted_rig.ctx
    enqueue(scripted_rig, "contested")
    with ctx.db.session() as session:
        [claimed] = outbox.claim(session, worker="slow")
        row_id = claimed.id
    with ctx.db.session() as session:  # the lease expired and another sender took the row
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == row_id)
            .values(claimed_by="fast", claimed_until=utcnow() + timedelta(minutes=2))
        )
    with ctx.db.session() as session:
        message = session.get(OutboundMessage, row_id)
        assert message is not None
        lost = outbox.mark_sent(session, message, worker="slow", slack_channel="C", slack_ts="1")
        assert not lost
        assert not outbox.mark_failed(session, message, worker="slow", error="late")
    assert not send_row(ctx, Messenger(ctx, scripted_rig.client), row_id, "slow")
    assert scripted_rig.standin.calls_to("chat.postMessage") == []
    after = row(scripted_rig, "contested")
    assert (after.status, after.claimed_by, after.error) == ("claimed", "fast", None)
    with ctx.db.session() as session:
        message = session.get(OutboundMessage, row_id)
        assert message is not None
        assert outbox.mark_sent(session, message, worker="fast", slack_channel="C", slack_ts="1")
    assert row(scripted_rig, "contested").status == "sent"


def test_drain_claims_small_batches(
    scripted_rig: SlackRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(12):  # a channel each: 12 posts in one would wait for its window (pacing)
        enqueue(scripted_rig, f"many-{n}", channel=f"C0MANY{n:02d}")
    batches: list[int] = []
    real_claim = outbox.claim

    def claim(session: Session, **kwargs: Any) -> Sequence[OutboundMessage]:
        rows = real_claim(session, **kwargs)
        batches.append(len(rows))
        return rows

    monkeypatch.setattr(outbox, "claim", claim)
    assert drain_outbox(scripted_rig.ctx, scripted_rig.client) == 12
    assert batches == [5, 5, 2, 0]  # each lease covers only a few sends
    with scripted_rig.ctx.db.session() as session:
        workers = {m.claimed_by for m in session.query(OutboundMessage)}
    assert len(workers) == 1  # one pass, one worker id


def test_a_concurrent_duplicate_enqueue_keeps_the_callers_transaction(
    scripted_rig: SlackRig,
) -> None:
    ctx = scripted_rig.ctx
    with ctx.db.session() as session:
        mine = outbox.enqueue(session, key="mine", channel="C0X", text="mine", kind="test")
        assert mine is not None
        # Another transaction queued "dup" after our check: simulate by skipping the check.
        session.add(
            OutboundMessage(
                dedupe_key="dup",
                op="post",
                channel="C0X",
                text="first",
                kind="test",
                subject="",
                status="pending",
                attempts=0,
                not_before=utcnow(),
                created_at=utcnow(),
            )
        )
        session.flush()
        original = session.scalar
        session.scalar = lambda *a, **k: None  # type: ignore[method-assign]
        try:
            again = outbox.enqueue(session, key="dup", channel="C0X", text="second", kind="test")
        finally:
            session.scalar = original  # type: ignore[method-assign]
        assert again is None
    assert row(scripted_rig, "mine").text == "mine"
    assert row(scripted_rig, "dup").text == "first"
