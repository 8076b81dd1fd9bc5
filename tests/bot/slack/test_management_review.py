"""The management review in Slack (issue 17), through the real Bolt app over signed HTTP and the
Slack stand-in: the job posts the inputs as a thread with a chart and the Markdown export;
leads record decisions and actions by mentioning the bot in that thread (the actions become
corrective actions, nudged later by "finding-actions"); anyone else is refused privately, bad
actions are refused naming what is missing, and the thread is known again after a restart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.context import AppContext
from bot.slack.outbox_sender import drain_outbox
from scheduler.runner import run_job
from store.evidence import iter_ledger, verify
from store.improvement_models import CorrectiveAction, ManagementReview
from store.models import EvidenceEvent, utcnow
from tests.support.slack_app import SlackRig, start_slack_rig
from tests.support.slack_standin import BOT_USER, Call, SlackStandin

PRIYA, TOM = "U0ACME0001", "U0ACME0002"  # governance leads
OLIVER = "U0ACME0012"  # not a lead
CHANNEL = "C0ACMEGOV1"  # the sample's governance channel


@pytest.fixture
def rig(app_context: AppContext, slack_standin: SlackStandin) -> Iterator[SlackRig]:
    with start_slack_rig(app_context, standin=slack_standin) as started:
        yield started
    with app_context.db.session() as session:
        assert verify(iter_ledger(session)).ok  # `aims evidence verify` passes
    assert slack_standin.violations == []


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def ledger(rig: SlackRig, kind: str) -> list[dict[str, Any]]:
    with rig.ctx.db.session() as session:
        rows = session.scalars(
            select(EvidenceEvent.payload)
            .where(EvidenceEvent.kind == kind)
            .order_by(EvidenceEvent.seq)
        ).all()
        return [json.loads(row) for row in rows]


def posted(rig: SlackRig, words: str, *, method: str = "chat.postMessage") -> list[Call]:
    return [call for call in rig.standin.calls_to(method) if words in call.text_of_blocks()]


def post_saying(rig: SlackRig, words: str, *, method: str = "chat.postMessage") -> Call:
    """The bot's latest message with `words` in it, once it came (sending what was queued)."""

    def came() -> bool:
        drain_outbox(rig.ctx, rig.client)
        return bool(posted(rig, words, method=method))

    eventually(came)
    return posted(rig, words, method=method)[-1]


def say_in_thread(rig: SlackRig, ts: str, text: str, *, user: str = PRIYA) -> None:
    """What a person types in the review's thread, mentioning the bot (as Slack sends it)."""
    rig.send_message(
        f"<@{BOT_USER}> {text}", user=user, channel=CHANNEL, thread_ts=ts, mention=True
    )


def post_review(rig: SlackRig) -> tuple[str, Call]:
    """The quarterly job, then the outbox: the review's ref and its first message."""
    outcome = run_job(rig.ctx.db, rig.ctx.config, "management-review", now=utcnow())
    assert outcome.ok and " prepared for " in outcome.summary, outcome.summary
    ref = outcome.summary.split()[0]
    return ref, post_saying(rig, f"Management review {ref}: inputs for")


def test_the_review_is_posted_as_a_thread_with_its_chart_and_export(rig: SlackRig) -> None:
    ref, inputs = post_review(rig)
    assert inputs.args["channel"] == CHANNEL and "thread_ts" not in inputs.args
    text = inputs.text_of_blocks()
    for heading in (
        "Actions from previous reviews",
        "Changes in external and internal issues",
        "Performance of the management system",
        "Opportunities for improvement",
    ):
        assert heading in text
    uploads = rig.standin.wait_for("files.completeUploadExternal", 2)
    assert [(u.args["channel_id"], u.args["thread_ts"]) for u in uploads] == [
        (CHANNEL, inputs.ts),
        (CHANNEL, inputs.ts),
    ]
    files = [rig.standin.uploads[_file_id(u)] for u in uploads]
    assert files[0][:4] == b"\x89PNG"
    assert f"# Management review {ref}" in files[1].decode()
    # Run again, it finds the review and posts nothing more.
    again = run_job(rig.ctx.db, rig.ctx.config, "management-review", now=utcnow())
    assert again.summary == f"{ref} was prepared already"
    drain_outbox(rig.ctx, rig.client)
    assert len(posted(rig, f"Management review {ref}: inputs for")) == 1


def _file_id(upload: Call) -> str:
    files = upload.args["files"]
    return str((json.loads(files) if isinstance(files, str) else files)[0]["id"])


def test_leads_record_decisions_and_actions_in_the_thread(
    rig: SlackRig, app_context: AppContext, slack_standin: SlackStandin
) -> None:
    ref, inputs = post_review(rig)
    ts = inputs.ts

    say_in_thread(rig, ts, "decide: Keep the quarterly cadence & add <b>vendor</b> reviews")
    note = post_saying(rig, f"Decision recorded for {ref}")
    assert note.args["thread_ts"] == ts
    assert "Keep the quarterly cadence &amp; add &lt;b&gt;vendor&lt;/b&gt; reviews" in (
        note.text_of_blocks()
    )

    say_in_thread(rig, ts, f"action: <@{TOM}> update the DPIA template in 2 days")
    noted = post_saying(rig, f"recorded for {ref}, due")
    assert noted.args["thread_ts"] == ts and f"<@{TOM}>" in noted.text_of_blocks()
    with rig.ctx.db.session() as session:
        action = session.scalars(select(CorrectiveAction)).one()
        review = session.scalars(select(ManagementReview)).one()
        assert (action.owner, action.description) == (TOM, "update the DPIA template")
        assert action.finding_id == review.finding_id
    told = post_saying(rig, f"Corrective action {action.ref} for")
    assert told.channel == "D" + TOM[1:]  # the owner is told, with a button to mark it done

    # The thread is known from the database: a restarted app still records in it.
    with start_slack_rig(app_context, standin=slack_standin) as restarted:
        say_in_thread(restarted, ts, "decision: Publish the AI FAQ on the intranet", user=TOM)
        eventually(lambda: len(ledger(rig, "management_review.decided")) == 2)
    assert [e["decision"] for e in ledger(rig, "management_review.decided")] == [
        "Keep the quarterly cadence & add <b>vendor</b> reviews",
        "Publish the AI FAQ on the intranet",
    ]

    # Later the scheduler nudges the action's owner, like any corrective action.
    assert run_job(rig.ctx.db, rig.ctx.config, "finding-actions", now=utcnow()).ok
    nudge = post_saying(rig, f"Corrective action {action.ref} due in 2 days")
    assert nudge.channel == "D" + TOM[1:]


def test_anyone_else_is_refused_privately_and_bad_actions_change_nothing(rig: SlackRig) -> None:
    ref, inputs = post_review(rig)
    ts = inputs.ts

    say_in_thread(rig, ts, "decide: scrap the AI policy", user=OLIVER)
    refusal = post_saying(rig, "only a governance lead", method="chat.postEphemeral")
    assert (refusal.args["user"], refusal.args["channel"]) == (OLIVER, CHANNEL)
    assert f"decisions and actions of {ref}" in refusal.text_of_blocks()

    say_in_thread(rig, ts, "action: update the vendor list")
    missing = post_saying(rig, "an action needs an owner", method="chat.postEphemeral")
    assert "and a due date" in missing.text_of_blocks() and missing.args["user"] == PRIYA

    say_in_thread(rig, ts, "action: <@U0NOBODY99> call the vendor by 2099-01-31")
    post_saying(rig, "is not a known person", method="chat.postEphemeral")

    say_in_thread(rig, ts, "action: <@U0ACME0002> call the vendor by 2020-01-31")
    post_saying(rig, "the due date 2020-01-31 is in the past", method="chat.postEphemeral")

    say_in_thread(rig, ts, "thanks everyone, good meeting")
    hint = post_saying(rig, "I record the review's decisions", method="chat.postEphemeral")
    assert hint.args["user"] == PRIYA

    rig.standin.settle()
    assert posted(rig, "recorded for") == []  # no note in the thread
    assert ledger(rig, "management_review.decided") == []
    with rig.ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CorrectiveAction)) == 0
