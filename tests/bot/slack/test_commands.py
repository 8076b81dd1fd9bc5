"""Slash commands: private answers through the response_url, registration in a DM."""

from __future__ import annotations

from bot.slack.ids import IncidentIds
from intake.replies import Reply
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig


def test_aims_shows_help_privately(scripted_rig: SlackRig, scripted: ScriptedRouter) -> None:
    scripted.replies = [Reply(text="I can help with your organisation's AI rules")]
    assert scripted_rig.send_command("/aims").status == 200
    help_reply = scripted_rig.standin.wait_for("response_url")[0]
    assert help_reply.args["response_type"] == "ephemeral"
    assert "AI rules" in help_reply.text_of_blocks()
    assert scripted.seen[0][0] == "help"


def test_ai_ask_acks_at_once_then_answers_privately(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [Reply(text="Otter is approved for internal meetings.")]
    ack = scripted_rig.send_command("/ai-ask", "Is Otter allowed?", user="U0ACME0003")
    assert ack.status == 200 and "Looking that up" in ack.body
    answer = scripted_rig.standin.wait_for("response_url")[0]
    assert "Otter is approved" in answer.text_of_blocks()
    entry, inbound = scripted.seen[0]
    assert entry == "ask" and inbound is not None
    assert (inbound.text, inbound.user) == ("Is Otter allowed?", "U0ACME0003")


def test_ai_ask_without_a_question_says_how_to_ask(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    ack = scripted_rig.send_command("/ai-ask", "  ")
    assert "/ai-ask Can I use ChatGPT" in ack.body
    scripted_rig.standin.settle(quiet=0.4)
    assert scripted.seen == []


def test_ai_register_starts_the_intake_in_a_dm_thread(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [Reply(text="What is the AI use called?")]
    ack = scripted_rig.send_command("/ai-register", user="U0ACME0004")
    assert "direct message" in ack.body
    opened = scripted_rig.standin.wait_for("conversations.open")[0]
    assert opened.args["users"] == "U0ACME0004"
    intro, question = scripted_rig.standin.wait_for("chat.postMessage", 2)
    assert intro.args["channel"] == question.args["channel"] == "D0ACME0004"
    assert question.args["thread_ts"] == intro.ts
    entry, inbound = scripted.seen[0]
    assert entry == "start_registration" and inbound is not None and inbound.thread == intro.ts


def test_ai_status_lists_my_records_privately(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    scripted.replies = [
        Reply(
            text="Your records:\n• AIU-0001 Chatbot: submitted",
            record_refs=["AIU-0001"],
            ephemeral=True,
        )
    ]
    scripted_rig.send_command("/ai-status")
    status = scripted_rig.standin.wait_for("response_url")[0]
    assert status.args["response_type"] == "ephemeral"
    assert "AIU-0001 Chatbot: submitted" in status.text_of_blocks()
    assert scripted.seen[0][0] == "my_records"


def test_ai_incident_opens_the_report_form(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    ack = scripted_rig.send_command("/ai-incident", "the bot leaked data")
    assert ack.status == 200 and ack.body == ""  # a bare ack: the form is the answer
    modal = scripted_rig.standin.wait_for("views.open")[0]
    assert modal.view["callback_id"] == IncidentIds.REPORT_MODAL.value
    assert scripted.seen == []  # nothing is taken as a policy question
    assert scripted_rig.standin.violations == []
