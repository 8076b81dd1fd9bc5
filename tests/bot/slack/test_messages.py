"""DMs and mentions through the real HTTP endpoint: answers in the thread, duplicates dropped,
bots ignored, signatures enforced."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from intake.replies import Choice, Reply, ReplyKind
from store.models import EvidenceEvent, ProcessedDelivery
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig
from tests.support.slack_standin import BOT_ID, BOT_USER


def count(rig: SlackRig, model: type) -> int:
    with rig.ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_mention_is_answered_in_its_thread_without_the_mention(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    event = scripted_rig.send_message(f"<@{BOT_USER}> can I use ChatGPT?", mention=True)
    post = scripted_rig.standin.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C0GENERAL" and post.args["thread_ts"] == event["ts"]
    inbound = scripted.seen[0][1]
    assert inbound is not None and inbound.text == "can I use ChatGPT?"
    assert inbound.thread == event["ts"] and inbound.workspace == "T0ACME"


def test_forged_and_stale_signatures_get_401_and_change_nothing(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    before = count(scripted_rig, EvidenceEvent)  # sequence numbers start at 1
    body = scripted_rig.event_body(scripted_rig.message_event("hello"))
    forged = scripted_rig.post(body, "application/json", secret="0" * 32)
    stale = scripted_rig.post(body, "application/json", timestamp=int(time.time()) - 600)
    assert (forged.status, stale.status) == (401, 401)
    scripted_rig.standin.settle(quiet=0.5)
    assert scripted.seen == [] and scripted_rig.standin.calls_to("chat.postMessage") == []
    assert count(scripted_rig, ProcessedDelivery) == 0
    with scripted_rig.ctx.db.session() as session:
        new = list(session.scalars(select(EvidenceEvent).where(EvidenceEvent.seq > before)))
    # At most a count of refusals: never the body, never an inbound or outbound event.
    assert {event.kind for event in new} <= {"slack.rejected"}
    assert all("hello" not in event.payload for event in new)


def test_a_replayed_event_a_retry_and_the_mention_twin_produce_one_answer(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    dm = scripted_rig.message_event("hello")
    assert scripted_rig.send_event(dm, event_id="Ev1").status == 200
    assert scripted_rig.send_event(dm, event_id="Ev1").status == 200  # replay
    assert scripted_rig.send_event(dm, event_id="Ev1", retry_num=1).status == 200  # retry
    twin = scripted_rig.message_event(f"<@{BOT_USER}> hi")  # a DM that mentions the bot
    scripted_rig.send_event(twin)
    scripted_rig.send_event({**twin, "type": "app_mention"})  # its app_mention twin
    scripted_rig.standin.wait_for("chat.postMessage", 2)
    scripted_rig.standin.settle(quiet=0.5)
    assert len(scripted_rig.standin.calls_to("chat.postMessage")) == 2
    assert [entry for entry, _ in scripted.seen] == ["handle", "handle"]
    with scripted_rig.ctx.db.session() as session:
        kinds = session.scalars(select(EvidenceEvent.kind)).all()
    assert kinds.count("slack.inbound.duplicate") == 3


def test_work_that_fails_is_not_claimed_so_slacks_retry_runs_once(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    standin = scripted_rig.standin
    scripted.error = RuntimeError("database blip")
    mention = scripted_rig.message_event(f"<@{BOT_USER}> hi", mention=True)
    assert scripted_rig.send_event(mention, event_id="EvRetry").status == 200
    standin.wait_for("chat.postEphemeral")  # the error note: the claim is released by now
    assert count(scripted_rig, ProcessedDelivery) == 0
    scripted.error = None
    retry = scripted_rig.send_event(mention, event_id="EvRetry", retry_num=1)
    assert retry.status == 200
    standin.wait_for("chat.postMessage")
    again = scripted_rig.send_event(mention, event_id="EvRetry", retry_num=2)  # now a duplicate
    assert again.status == 200
    standin.settle(quiet=0.5)
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert [entry for entry, _ in scripted.seen] == ["handle", "handle"]
    assert count(scripted_rig, ProcessedDelivery) == 1


def test_the_bot_ignores_its_own_and_other_bots_messages(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    own = {**scripted_rig.message_event("I said this"), "user": BOT_USER, "bot_id": BOT_ID}
    other = {**scripted_rig.message_event("beep"), "bot_id": "B0OTHER", "subtype": "bot_message"}
    edited = {**scripted_rig.message_event("edit"), "subtype": "message_changed"}
    for event in (own, other, edited):
        assert scripted_rig.send_event(event).status == 200
    scripted_rig.standin.settle(quiet=0.5)
    assert scripted.seen == []
    assert scripted_rig.standin.calls_to("chat.postMessage") == []


def test_a_ten_thousand_character_answer_is_split_within_slack_limits(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    words = " ".join(f"word{n}" for n in range(1, 2000))
    answer = (words + " ")[:10_000].rsplit(" ", 1)[0]
    scripted.replies = [Reply(kind=ReplyKind.ANSWER, text=answer, answer_ref="42")]
    scripted_rig.send_message("tell me everything")
    post = scripted_rig.standin.wait_for("chat.postMessage")[0]
    sections = [b["text"]["text"] for b in post.blocks if b["type"] == "section"]
    assert len(sections) >= 4 and all(len(text) <= 3000 for text in sections)
    assert " ".join(sections) == answer  # split at word boundaries: no word cut or lost
    assert scripted_rig.standin.violations == []


def test_many_blocks_are_spread_over_several_messages(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    text = "\n\n".join(f"paragraph {n:02d} " + "x" * 2990 for n in range(60))  # 3,003 each
    scripted.replies = [Reply(text=text, choices=[Choice(label="OK", value="ok")])]
    scripted_rig.send_message("long")
    scripted_rig.standin.wait_for("chat.postMessage", 2)
    scripted_rig.standin.settle()
    posts = scripted_rig.standin.calls_to("chat.postMessage")
    assert len(posts) == 3  # 120 sections + the buttons: 50 + 50 + 21
    assert all(len(p.blocks) <= 50 for p in posts)
    assert posts[-1].blocks[-1]["type"] == "actions"  # the buttons stay at the end
    assert scripted_rig.standin.violations == []


def test_rate_limited_posts_are_retried_after_retry_after(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    standin = scripted_rig.standin
    standin.rate_limit_once("chat.postMessage", retry_after=1)
    scripted_rig.send_message("hello")
    standin.wait_for("chat.postMessage", timeout=15)
    standin.settle()
    # The stand-in answered 429 once, and the client retried exactly once, successfully.
    assert [call.method for call in standin.rate_limited] == ["chat.postMessage"]
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_the_ack_does_not_wait_for_slow_work(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.gate.clear()  # the router is "still thinking"
    # More questions than the work pool's threads, each in a DM of its own (paced per channel).
    for n in range(20):
        event = scripted_rig.message_event(f"question {n}", user=f"U0ASKER{n:03d}")
        assert scripted_rig.send_event(event).status == 200
    command = scripted_rig.send_command("/ai-ask", "still there?")
    assert command.status == 200 and "Looking that up" in command.body
    assert scripted_rig.standin.calls_to("chat.postMessage") == []  # nothing answered yet
    scripted.gate.set()
    scripted_rig.standin.wait_for("chat.postMessage", 20)
