"""Messages of one thread reach Slack in the order they were queued, even while the outbox loop
and the senders that run after clicks claim batches at the same time."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bot.slack.outbox_sender import drain_outbox
from bot.slack.run import OutboxLoop
from governance import outbox
from store.models import OutboundMessage
from tests.support.slack_app import SlackRig

GOV = "C0APPROVALS"
THREADS = ("approval:AIU-0001", "approval:AIU-0002", "approval:AIU-0003")
PER_THREAD = 8


def _queue(
    rig: SlackRig, key: str, text: str, thread_of: str | None = None, channel: str = GOV
) -> None:
    with rig.ctx.db.session() as session:
        outbox.enqueue(
            session, key=key, channel=channel, text=text, kind="test", thread_of=thread_of
        )


def _replies_by_thread(rig: SlackRig) -> dict[str, list[str]]:
    posts = rig.standin.calls_to("chat.postMessage")
    parent_of = {c.ts: c.args["text"] for c in posts if "thread_ts" not in c.args}
    seen: dict[str, list[str]] = {}
    for call in posts:  # in the order Slack received them
        if "thread_ts" in call.args:
            seen.setdefault(parent_of[call.args["thread_ts"]], []).append(call.args["text"])
    return seen


def test_a_threads_messages_arrive_in_enqueue_order_with_the_loop_and_click_senders_at_once(
    scripted_rig: SlackRig,
) -> None:
    rig = scripted_rig
    for n, parent in enumerate(THREADS):  # a channel each: posts are paced per channel
        _queue(rig, parent, parent, channel=f"{GOV}{n}")
    drain_outbox(rig.ctx, rig.client)
    # Slow answers keep each claim's sends in flight while the other senders claim theirs.
    rig.standin.slow_down("chat.postMessage", 0.02)
    for n in range(PER_THREAD):  # interleaved, as several approvals' decisions would be
        for parent in THREADS:
            _queue(rig, f"{parent}:{n}", f"{parent} #{n}", thread_of=parent)
    loop = OutboxLoop(rig.ctx, rig.app, interval=0.005)
    clicks = [threading.Thread(target=drain_outbox, args=(rig.ctx, rig.client)) for _ in range(3)]
    loop.start()
    try:
        for click in clicks:
            click.start()
        for click in clicks:
            click.join()
        rig.wait_until_sent(30.0)
    finally:
        loop.stop()
        loop.join()
    assert _replies_by_thread(rig) == {
        parent: [f"{parent} #{n}" for n in range(PER_THREAD)] for parent in THREADS
    }
    assert rig.standin.violations == []


def test_a_message_waits_while_an_earlier_one_of_its_thread_is_claimed_or_retried(
    scripted_rig: SlackRig,
) -> None:
    rig = scripted_rig
    _queue(rig, "parent", "parent")
    drain_outbox(rig.ctx, rig.client)
    _queue(rig, "first", "first", thread_of="parent")
    _queue(rig, "second", "second", thread_of="parent")
    _queue(rig, "elsewhere", "elsewhere")

    def claim(worker: str) -> list[str]:
        with rig.ctx.db.session() as session:
            return [m.dedupe_key for m in outbox.claim(session, worker=worker)]

    assert claim("loop") == ["first", "elsewhere"]  # one message per thread at a time
    assert claim("click") == []  # "second" waits while "first" is claimed
    with rig.ctx.db.session() as session:
        first = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == "first"))
        assert first is not None
        outbox.mark_failed(session, first, worker="loop", error="ratelimited", retry_in=timedelta())
    assert claim("click") == ["first"]  # retried first: "second" still waits its turn
    with rig.ctx.db.session() as session:
        first = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == "first"))
        assert first is not None
        outbox.mark_sent(session, first, worker="click", slack_channel=GOV, slack_ts="1.0")
    assert claim("loop") == ["second"]
