"""App Home: the person's records with status and next review, approvals waiting for them, and
buttons to ask, register or report."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.slack.ids import ActionId, BlockId
from bot.slack.incidents import IncidentIds
from governance import register as register_service
from governance.models import RecordFields, RecordStatus
from intake.replies import Reply
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SlackRig

ME = "U0ACME0001"


def add_record(
    rig: SlackRig, title: str, owner: str, status: RecordStatus, review: date | None = None
) -> str:
    with rig.ctx.db.session() as session:
        record = register_service.create_record(
            session, fields=RecordFields(title=title, owner=owner), actor=owner, status=status
        )
        record.next_review = review
        return record.ref


def open_home(rig: SlackRig, user: str = ME) -> dict[str, Any]:
    rig.send_event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1",
        }
    )
    return rig.standin.wait_for("views.publish")[-1].view


def test_app_home_shows_my_records_with_status_and_next_review(scripted_rig: SlackRig) -> None:
    mine = add_record(
        scripted_rig, "Complaint reply drafting", ME, RecordStatus.SUBMITTED, date(2027, 5, 1)
    )
    add_record(scripted_rig, "Someone else's chatbot", "U0ACME0009", RecordStatus.DRAFT)
    view = open_home(scripted_rig)
    publish = scripted_rig.standin.calls_to("views.publish")[0]
    assert publish.args["user_id"] == ME and view["type"] == "home"
    text = publish.text_of_blocks()
    assert f"*{mine}* Complaint reply drafting" in text
    assert "Status: *submitted*" in text and "next review 2027-05-01" in text
    assert "Someone else's chatbot" not in text
    buttons = [
        e["action_id"]
        for b in view["blocks"]
        if b.get("block_id") == BlockId.HOME_ACTIONS
        for e in b["elements"]
    ]
    assert buttons == [ActionId.HOME_ASK, ActionId.HOME_REGISTER, ActionId.HOME_INCIDENT]
    assert scripted_rig.standin.violations == []


def test_app_home_with_no_records_says_how_to_start(scripted_rig: SlackRig) -> None:
    open_home(scripted_rig)
    shown = scripted_rig.standin.calls_to("views.publish")[0].text_of_blocks()
    assert "no AI uses on the register yet" in shown
    assert "Nothing is waiting for your approval" in shown


def test_a_hundred_records_fit_in_one_view(scripted_rig: SlackRig) -> None:
    for n in range(60):
        add_record(scripted_rig, f"Use {n}", ME, RecordStatus.DRAFT)
    view = open_home(scripted_rig)
    assert len(view["blocks"]) <= 100
    assert "and 20 more" in scripted_rig.standin.calls_to("views.publish")[0].text_of_blocks()
    assert scripted_rig.standin.violations == []


def test_ask_from_home_opens_a_modal_and_the_answer_arrives_by_dm(
    scripted_rig: SlackRig, scripted: ScriptedRouter
) -> None:
    view = open_home(scripted_rig)
    scripted_rig.click_home({**view, "id": "VHOME1", "hash": "h1"}, ActionId.HOME_ASK)
    modal = scripted_rig.standin.wait_for("views.open")[0].view
    assert modal["callback_id"] == "aims_ask_modal"
    scripted.replies = [Reply(text="Yes, with the approved plan.")]
    values = {
        BlockId.ASK_QUESTION.value: {
            ActionId.ASK_INPUT.value: {"type": "plain_text_input", "value": "Can I use Copilot?"}
        }
    }
    assert scripted_rig.submit_view(modal, values).status == 200
    intro, answer = scripted_rig.standin.wait_for("chat.postMessage", 2)
    assert intro.args["channel"] == "D0ACME0001" and "Can I use Copilot?" in intro.text_of_blocks()
    assert answer.args["thread_ts"] == intro.ts and "approved plan" in answer.text_of_blocks()
    assert scripted.seen[-1][0] == "ask"


def test_register_and_report_from_home(scripted_rig: SlackRig, scripted: ScriptedRouter) -> None:
    view = {**open_home(scripted_rig), "id": "VHOME1", "hash": "h1"}
    scripted.replies = [Reply(text="What is the AI use called?")]
    scripted_rig.click_home(view, ActionId.HOME_REGISTER)
    scripted_rig.click_home(view, ActionId.HOME_REGISTER)  # double click: one registration
    scripted_rig.standin.wait_for("chat.postMessage", 2)
    scripted_rig.click_home(view, ActionId.HOME_INCIDENT)
    modal = scripted_rig.standin.wait_for("views.open")[0]
    assert modal.view["callback_id"] == IncidentIds.REPORT_MODAL.value
    assert "coming soon" not in modal.text_of_blocks()
    scripted_rig.standin.settle(quiet=0.5)
    assert [entry for entry, _ in scripted.seen] == ["start_registration"]
    assert len(scripted_rig.standin.calls_to("chat.postMessage")) == 2
