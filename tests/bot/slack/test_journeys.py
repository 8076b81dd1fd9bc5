"""Full journeys through Slack with the real router: signed requests in, Web API calls out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import AppContext
from store.models import AIUse, EvidenceEvent
from tests.support.slack_app import SlackRig, start_slack_rig
from tests.support.slack_standin import Call, SlackStandin

ME = "U0ACME0001"
TYPED = {
    "Describe the AI use": "Draft replies to customer complaints for support agents to edit",
    "Which AI tool": "Microsoft Copilot",
    "Which team": "Customer Support",
    "Which company": "Microsoft",
    "What model": "skip",
}


POLICY = """# Customer Data and AI Tools

## 1 Personal data in AI tools

Staff must not paste customer personal data into public AI tools such as ChatGPT. Customer
personal data may only be entered into AI tools that the governance team has approved for
personal data, and only under those tools' conditions.

## 2 Asking for an exception

Ask the governance team in #ai-governance before using a tool that is not approved.
"""


@pytest.fixture
def indexed_rig(
    app_context: AppContext, slack_standin: SlackStandin, tmp_path: Path
) -> Iterator[SlackRig]:
    """The real app and router, with a short policy ingested (the full sample set takes ~45 s
    to embed on CI's two cores; the journey is the same)."""
    from retrieval.runtime import ingest_policies

    policy = tmp_path / "customer-data-and-ai.md"
    policy.write_text(POLICY, encoding="utf-8")
    with app_context.db.session() as session:
        ingest_policies(app_context, session, paths=[policy])
    with start_slack_rig(app_context, standin=slack_standin) as rig:
        yield rig


def latest_post(rig: SlackRig, count: int) -> Call:
    return rig.standin.wait_for("chat.postMessage", count, timeout=30)[-1]


def buttons(call: Call) -> list[str]:
    return [
        e["text"]["text"]
        for b in call.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


@pytest.mark.slow
def test_a_question_gets_a_cited_answer_in_the_thread_and_feedback_is_recorded(
    indexed_rig: SlackRig,
) -> None:
    event = indexed_rig.send_message("Can I paste customer personal data into ChatGPT?")
    answer = latest_post(indexed_rig, 1)
    assert answer.args["thread_ts"] == event["ts"]
    text = answer.text_of_blocks()
    assert "*Sources*\n1. " in text and " › " in text
    assert buttons(answer) == ["👍 Helpful", "👎 Not helpful"]
    indexed_rig.click(answer, label="👍 Helpful")
    indexed_rig.standin.wait_for("chat.update")
    with indexed_rig.ctx.db.session() as session:
        vote = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "answer.feedback")
        ).one()
        answered = session.get(EvidenceEvent, int(vote.subject))
    assert answered is not None and json.loads(vote.payload)["vote"] == "up"
    assert indexed_rig.standin.violations == []


def test_a_dm_registration_ends_in_a_submitted_record(slack_rig: SlackRig) -> None:
    event = slack_rig.send_message("register", user=ME)
    posts = 1
    for _ in range(30):
        post = latest_post(slack_rig, posts)
        slack_rig.standin.settle(quiet=0.2)
        posts = len(slack_rig.standin.calls_to("chat.postMessage"))
        post = slack_rig.standin.calls_to("chat.postMessage")[-1]
        assert post.args["thread_ts"] == event["ts"]
        if "Filed AIU-" in post.text_of_blocks():
            break
        labels = buttons(post)
        if labels:
            choice = "Confirm and submit" if "Confirm and submit" in labels else labels[0]
            slack_rig.click(post, label=choice, user=ME)
        else:
            asked = post.text_of_blocks()
            reply = next((said for start, said in TYPED.items() if start in asked), "skip")
            slack_rig.send_message(reply, user=ME, thread_ts=event["ts"])
        posts += 1
    else:
        pytest.fail("the registration never finished")
    with slack_rig.ctx.db.session() as session:
        record = session.scalars(select(AIUse)).one()
        assert (record.requester, record.owner) == (ME, ME)
        assert record.status not in ("draft",)
        assert record.ref in post.text_of_blocks()
        ref, title = record.ref, record.title
    slack_rig.send_event({"type": "app_home_opened", "user": ME, "tab": "home", "event_ts": "1"})
    home = slack_rig.standin.wait_for("views.publish")[0].text_of_blocks()
    assert f"*{ref}* {title}" in home and "Status: *" in home
    assert slack_rig.standin.violations == []
