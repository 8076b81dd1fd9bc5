"""Buttons and selects: intake choices go back to the router, the summary has Confirm / Edit /
Cancel, 👍/👎 are recorded as evidence, and double clicks have one effect."""

from __future__ import annotations

import json

from sqlalchemy import select

from intake.replies import Choice, Reply, ReplyCitation, ReplyKind
from store.models import EvidenceEvent
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig

SUMMARY = Reply(
    kind=ReplyKind.SUMMARY,
    text="*Summary*\nTitle: Complaint drafting",
    conversation_id=7,
    choices=[
        Choice(label="Confirm", value="confirm", style="primary"),
        Choice(label="Edit", value="edit"),
        Choice(label="Cancel", value="cancel", style="danger"),
    ],
)
ANSWER = Reply(
    kind=ReplyKind.ANSWER,
    answer_ref="17",
    text="No: customer data may only go into approved tools.",
    citations=[
        ReplyCitation(
            number=1,
            title="AI Acceptable Use Policy",
            section="4 Data",
            url="https://intranet.acme.example/ai-policy#data",
        ),
        ReplyCitation(number=2, title="Data Handling Standard", section="2.1 Customer data"),
    ],
)


def test_summary_buttons_confirm_edit_cancel_and_a_click_goes_back_to_the_router(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [SUMMARY]
    event = scripted_rig.send_message("register")
    summary = scripted_rig.standin.wait_for("chat.postMessage")[0]
    buttons = [e for b in summary.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b.get("style")) for b in buttons] == [
        ("Confirm", "primary"),
        ("Edit", None),
        ("Cancel", "danger"),
    ]
    scripted.replies = [Reply(text="Submitted AIU-0001 for review.", record_refs=["AIU-0001"])]
    assert scripted_rig.click(summary, label="Confirm").status == 200
    done = scripted_rig.standin.wait_for("chat.postMessage", 2)[1]
    assert "Submitted AIU-0001" in done.text_of_blocks() and done.args["thread_ts"] == event["ts"]
    clicked = scripted.seen[-1][1]
    assert clicked is not None and clicked.choice == "confirm" and clicked.thread == event["ts"]
    update = scripted_rig.standin.wait_for("chat.update")[0]
    assert update.args["ts"] == summary.ts
    assert "Confirm" in update.text_of_blocks()  # the buttons became "Confirm (chosen by …)"
    assert not [b for b in update.blocks if b["type"] == "actions"]
    assert scripted_rig.standin.violations == []


def test_a_double_click_has_one_effect(scripted_rig: SlackRig, scripted: ScriptedRouter) -> None:
    scripted.replies = [SUMMARY]
    scripted_rig.send_message("register")
    summary = scripted_rig.standin.wait_for("chat.postMessage")[0]
    scripted.replies = [Reply(text="Submitted.")]
    scripted_rig.click(summary, label="Confirm")
    scripted_rig.click(summary, label="Confirm")
    scripted_rig.standin.wait_for("chat.postMessage", 2)
    scripted_rig.standin.settle(quiet=0.5)
    assert [inbound.choice for _, inbound in scripted.seen if inbound] == [None, "confirm"]
    assert len(scripted_rig.standin.calls_to("chat.postMessage")) == 2


def test_many_fixed_answers_render_as_a_select_whose_pick_reaches_the_router(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    units = ["Sales", "Support", "Finance", "HR", "Legal", "Engineering", "Marketing"]
    scripted.replies = [
        Reply(
            kind=ReplyKind.QUESTION,
            text="Which business unit?",
            choices=[Choice(label=u, value=u.lower()) for u in units],
        )
    ]
    event = scripted_rig.send_message("register")
    question = scripted_rig.standin.wait_for("chat.postMessage")[0]
    select_menu = question.blocks[-1]["elements"][0]
    assert select_menu["type"] == "static_select" and len(select_menu["options"]) == 7
    scripted_rig.click(question, option="Finance")
    scripted_rig.standin.wait_for("chat.postMessage", 2)
    picked = scripted.seen[-1][1]
    assert picked is not None and picked.choice == "finance" and picked.thread == event["ts"]


def test_an_answer_shows_numbered_sources_with_links_and_feedback_buttons(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [ANSWER]
    scripted_rig.send_message("Can I paste customer data into ChatGPT?")
    answer = scripted_rig.standin.wait_for("chat.postMessage")[0]
    text = answer.text_of_blocks()
    assert "*Sources*" in text
    assert (
        "1. <https://intranet.acme.example/ai-policy#data|AI Acceptable Use Policy › 4 Data>"
        in text
    )
    assert "2. Data Handling Standard › 2.1 Customer data" in text
    labels = [
        e["text"]["text"] for b in answer.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["👍 Helpful", "👎 Not helpful"]


def test_feedback_clicks_are_recorded_once_as_evidence(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [ANSWER]
    scripted_rig.send_message("Can I paste customer data into ChatGPT?")
    answer = scripted_rig.standin.wait_for("chat.postMessage")[0]
    scripted_rig.click(answer, label="👎 Not helpful", user="U0ACME0002")
    scripted_rig.click(answer, label="👎 Not helpful", user="U0ACME0002")  # double click
    update = scripted_rig.standin.wait_for("chat.update")[0]
    scripted_rig.standin.settle(quiet=0.5)
    assert "feedback is recorded" in update.text_of_blocks()
    with scripted_rig.ctx.db.session() as session:
        votes = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "answer.feedback")
        ).all()
    assert len(votes) == 1
    assert (votes[0].actor, votes[0].subject) == ("U0ACME0002", "17")
    assert json.loads(votes[0].payload)["vote"] == "down"


def test_feedback_on_a_private_answer_is_acknowledged_privately(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [ANSWER]
    scripted_rig.send_command("/ai-ask", "Can I paste customer data into ChatGPT?")
    answer = scripted_rig.standin.wait_for("response_url")[0]
    assert answer.args["response_type"] == "ephemeral"
    scripted_rig.click(answer, label="👍 Helpful")
    note = scripted_rig.standin.wait_for("response_url", 2)[1]
    assert note.args["response_type"] == "ephemeral"
    assert "feedback is recorded" in note.text_of_blocks()
