"""/ai-feedback and the "Give feedback" button (issue 17), through the real Bolt app over signed
HTTP and the Slack stand-in: anonymous feedback leaves no trace of who sent it anywhere in the
database, consented feedback names them, the owner is told, bad input changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import select

from bot.slack.feedback_forms import SHARE, FeedbackForm
from bot.slack.ids import FeedbackIds
from bot.slack.inbound import InboundGate
from bot.slack.socket import GatedSocketModeHandler
from governance import feedback
from store.evidence import iter_ledger, verify
from store.evidence_kinds import EvidenceKind
from store.improvement_models import Feedback
from store.models import EvidenceEvent, utcnow
from tests.bot.slack.test_socket_gate import SentResponses
from tests.governance.test_feedback import stored_text, traces_of
from tests.scheduler.support import OWNER, live_record
from tests.support.slack_app import SlackRig
from tests.support.slack_standin import Call, dm_of

REPORTER = "U0REPORT99"  # named nowhere in aims.yaml
ASKER = "U0ACME0011"
DM = "D0DMWITHR9"  # the reporter's DM with the bot: it would name them as surely as their id
CONCERN = "the chatbot keeps refusing refunds"


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def a_record(rig: SlackRig) -> str:
    return live_record(rig.ctx.db, due=None, now=utcnow() - timedelta(days=30), title="Refunds bot")


def told_owner(rig: SlackRig) -> Call:
    rig.wait_until_sent()
    [dm] = [c for c in rig.standin.calls_to("chat.postMessage") if c.channel == dm_of(OWNER)]
    return dm


def open_form(rig: SlackRig, text: str = "") -> dict[str, Any]:
    opened = len(rig.standin.calls_to("views.open"))
    assert rig.send_command("/ai-feedback", text, user=REPORTER).status == 200
    return rig.standin.wait_for("views.open", opened + 1)[-1].view


def answers(ref: str, concern: str = CONCERN, *, share: bool = False) -> dict[str, Any]:
    ticked = [{"value": SHARE, "text": {"type": "plain_text", "text": "Share my name"}}]
    picked = {
        FeedbackForm.RECORD: {"type": "static_select", "selected_option": {"value": ref}},
        FeedbackForm.CONCERN: {"type": "plain_text_input", "value": concern},
        FeedbackForm.CONSENT: {"type": "checkboxes", "selected_options": ticked if share else []},
    }
    return {block.value: {FeedbackForm.VALUE.value: state} for block, state in picked.items()}


def stored_feedback(rig: SlackRig) -> list[Feedback]:
    with rig.ctx.db.session() as session:
        rows = list(session.scalars(select(Feedback).order_by(Feedback.id)))
        session.expunge_all()
        return rows


def inbound_records(rig: SlackRig) -> list[tuple[str, dict[str, Any]]]:
    with rig.ctx.db.session() as session:
        rows = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == EvidenceKind.SLACK_INBOUND)
        ).all()
        return [(e.actor, json.loads(e.payload)) for e in rows]


def settled(rig: SlackRig) -> None:
    rig.wait_until_sent()
    rig.standin.settle()
    with rig.ctx.db.session() as session:
        assert verify(iter_ledger(session)).ok  # `aims evidence verify` passes
    assert rig.standin.violations == []


def test_anonymous_ai_feedback_leaves_no_trace_of_who_sent_it_in_the_database(slack_rig):
    ref = a_record(slack_rig)
    form = slack_rig.command_form("/ai-feedback", f"{ref} {CONCERN}", user=REPORTER, channel=DM)
    form["channel_name"] = "directmessage"
    assert slack_rig.post(urlencode(form), "application/x-www-form-urlencoded").status == 200
    [reply] = slack_rig.standin.wait_for("response_url")
    assert "FB-0001" in reply.args["text"]
    assert "recorded anonymously; only a salted hash of who you are is kept" in reply.args["text"]
    dm = told_owner(slack_rig)
    assert CONCERN in dm.text_of_blocks() and "chose to stay anonymous" in dm.text_of_blocks()
    settled(slack_rig)
    assert traces_of(slack_rig.ctx.db, REPORTER) == []
    assert traces_of(slack_rig.ctx.db, DM) == []
    [(actor, payload)] = inbound_records(slack_rig)
    assert actor == "anonymous" and payload["user_id"] == actor
    assert payload["text"] == f"{ref} {CONCERN}"  # what was said is kept; who said it is not
    [row] = stored_feedback(slack_rig)
    assert row.reporter is None and row.text == CONCERN
    salt = (slack_rig.ctx.data_dir / feedback.SALT_FILE).read_bytes()
    assert all(salt.hex() not in text for _, text in stored_text(slack_rig.ctx.db))


def test_the_form_with_share_my_name_ticked_names_the_reporter_to_the_owner(slack_rig):
    ref = a_record(slack_rig)
    form = open_form(slack_rig)
    labels = json.dumps(form)
    assert "Share my name with the record's owner" in labels and "initial_options" not in labels
    done = slack_rig.submit_view(form, answers(ref, share=True), user=REPORTER).json()
    assert done["response_action"] == "update"
    assert "recorded with your name" in json.dumps(done["view"])
    [row] = stored_feedback(slack_rig)
    assert (row.reporter, row.text) == (REPORTER, CONCERN)
    dm = told_owner(slack_rig)
    assert f"<@{REPORTER}>" in json.dumps(dm.blocks)
    settled(slack_rig)
    submitted = [p for a, p in inbound_records(slack_rig) if p.get("type") == "view_submission"]
    assert submitted[0]["user"]["id"] == REPORTER  # consented: the request keeps who sent it


def test_give_feedback_under_an_answer_opens_the_form_for_that_record_and_stays_anonymous(
    slack_rig,
):
    ref = a_record(slack_rig)
    slack_rig.send_message(f"what is the status of {ref}?", user=ASKER, mention=True)
    [answer] = slack_rig.standin.wait_for("chat.postEphemeral")  # only the asker sees it
    assert f"Give feedback on {ref}" in answer.text_of_blocks()
    # By id: the answer's "Records: …" context line trips find_element's label lookup.
    assert slack_rig.click(answer, action_id=FeedbackIds.GIVE, user=REPORTER).status == 200
    [opened] = slack_rig.standin.wait_for("views.open")
    chosen = opened.view["blocks"][1]["element"]["initial_option"]["value"]
    assert chosen == ref
    done = slack_rig.submit_view(opened.view, answers(ref), user=REPORTER).json()
    assert "recorded anonymously" in json.dumps(done["view"])
    assert CONCERN in told_owner(slack_rig).text_of_blocks()
    settled(slack_rig)
    assert traces_of(slack_rig.ctx.db, REPORTER) == []


def test_an_unknown_record_says_how_to_find_ids_and_nothing_is_stored(slack_rig):
    assert (
        slack_rig.send_command("/ai-feedback", f"AIU-0099 {CONCERN}", user=REPORTER).status == 200
    )
    [reply] = slack_rig.standin.wait_for("response_url")
    assert "no AI use AIU-0099" in reply.args["text"] and "/ai-feedback" in reply.args["text"]
    settled(slack_rig)
    assert stored_feedback(slack_rig) == []
    assert slack_rig.standin.calls_to("chat.postMessage") == []


def test_a_form_without_a_concern_stays_open_saying_what_is_missing(slack_rig):
    ref = a_record(slack_rig)
    form = open_form(slack_rig, ref)  # the record given, nothing said: the form, prefilled
    assert form["blocks"][1]["element"]["initial_option"]["value"] == ref
    refused = slack_rig.submit_view(form, answers(ref, concern="  "), user=REPORTER).json()
    assert refused["response_action"] == "errors"
    assert "what concerns you" in refused["errors"][FeedbackForm.CONCERN.value]
    assert stored_feedback(slack_rig) == []


def test_the_command_with_words_but_no_record_opens_the_form_with_the_words_in_it(slack_rig):
    a_record(slack_rig)
    form = open_form(slack_rig, CONCERN)
    assert form["blocks"][2]["element"]["initial_value"] == CONCERN
    eventually(lambda: bool(inbound_records(slack_rig)))
    settled(slack_rig)
    assert traces_of(slack_rig.ctx.db, REPORTER) == []


def test_in_socket_mode_the_gate_records_the_command_pseudonymised_too(slack_rig):
    ref = a_record(slack_rig)
    handler = GatedSocketModeHandler(
        slack_rig.app,
        "xapp-1-A0AIMS-42",
        web_client=slack_rig.client,
        gate=InboundGate(slack_rig.ctx),
    )
    command = slack_rig.command_form("/ai-feedback", f"{ref} {CONCERN}", user=REPORTER, channel=DM)
    request = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=command)
    handler.handle(SentResponses(), request)  # type: ignore[arg-type]
    slack_rig.standin.wait_for("response_url")
    settled(slack_rig)
    assert [row.reporter for row in stored_feedback(slack_rig)] == [None]
    assert traces_of(slack_rig.ctx.db, REPORTER) == [] and traces_of(slack_rig.ctx.db, DM) == []
