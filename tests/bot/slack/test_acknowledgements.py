"""Policy acknowledgement campaigns in Slack (issue 16), through the real Bolt app over signed
HTTP and the Slack stand-in, with two short policies ingested for real: the campaign form
(/aims ack), the requests' buttons, reminders and escalation, a changed policy asked again with
one click, questions answered in the request's thread, people leaving, and App Home."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.context import AppContext
from bot.slack.ids import AckIds
from bot.slack.outbox_sender import drain_outbox
from governance.acknowledgements.figures import campaign_figures
from retrieval.runtime import ingest_policies
from scheduler.runner import run_job
from store.evidence import iter_ledger, verify
from store.models import EvidenceEvent, utcnow
from tests.conftest import SAMPLE
from tests.support.slack_app import SlackRig, interaction_body, start_slack_rig
from tests.support.slack_standin import Call, SlackStandin

pytestmark = pytest.mark.slow  # loads the bundled embedding model

LEAD, OTHER_LEAD = "U0ACME0001", "U0ACME0002"
STAFF = ["U0ACME0003", "U0ACME0004", "U0ACME0005"]
FIRST, SECOND, LATE = STAFF
MANAGER = "U0ACME0009"  # LATE's manager
CHANNEL, EMPTY, GROUP = "C0ALLSTAFF", "C0EMPTY", "S0RISK"
POLICY_TITLE = "AI Data Handling Policy"
POLICY = """# AI Data Handling Policy

## 1 Scope

This policy applies to everyone at Acme who uses AI tools for their work.

## 2 Customer data

Staff must not paste customer personal data into public AI tools such as ChatGPT. Customer
personal data may only be entered into AI tools the governance team has approved for it.

## 3 Checking outputs

You must check every AI output for accuracy before it is sent to a customer.

## 4 Incidents

Never delete the logs of an AI tool involved in a suspected incident.

## 5 Retention

Prompts that contain confidential data must be deleted after 30 days.
"""
EXPENSES = """# Travel and Expenses Policy

## 1 Hotels

Hotel rooms are booked through the travel portal. The nightly hotel limit in London is
180 pounds, and 120 pounds elsewhere in the United Kingdom.
"""


@pytest.fixture
def org_dir(tmp_path: Path) -> Path:
    """The sample organisation with a manager for LATE, no quiet hours (the sweeps run at any
    hour the test does), and two short policies of its own."""
    folder = tmp_path / "org"
    (folder / "policies").mkdir(parents=True)
    config = yaml.safe_load((SAMPLE / "aims.yaml").read_text(encoding="utf-8"))
    for person in config["people"]:
        if person["slack_id"] == LATE:
            person["manager"] = MANAGER
    config["acknowledgements"] = {
        "remind_after_days": [5, 8],
        "escalate_after_days": 10,
        "escalate_to": "manager",
        "quiet_hours": {"start": "00:00", "end": "00:00", "weekends": True},
    }
    config["policy_sources"] = ["policies/"]
    (folder / "aims.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (folder / "policies" / "ai-data-handling.md").write_text(POLICY, encoding="utf-8")
    (folder / "policies" / "travel-and-expenses.md").write_text(EXPENSES, encoding="utf-8")
    return folder


@pytest.fixture
def rig(app_context: AppContext, slack_standin: SlackStandin) -> Iterator[SlackRig]:
    with app_context.db.session() as session:
        ingest_policies(app_context, session, actor="test")
    slack_standin.channels = [{"id": CHANNEL, "name": "all-staff"}, {"id": EMPTY, "name": "quiet"}]
    slack_standin.channel_members = {CHANNEL: [*STAFF, "UAIMSBOT"], EMPTY: ["UAIMSBOT"]}
    slack_standin.usergroups = [{"id": GROUP, "handle": "risk-team", "name": "Risk team"}]
    slack_standin.usergroup_members = {GROUP: [FIRST, SECOND]}
    with start_slack_rig(app_context, standin=slack_standin) as started:
        yield started
    with app_context.db.session() as session:
        assert verify(iter_ledger(session)).ok  # `aims evidence verify` passes
    assert slack_standin.violations == []


# --- helpers ---------------------------------------------------------------------------------


def open_form(rig: SlackRig, user: str = LEAD) -> dict[str, Any]:
    opened = len(rig.standin.calls_to("views.open"))
    assert rig.send_command("/aims", "ack", user=user).status == 200
    return rig.standin.wait_for("views.open", opened + 1)[-1].view


def values(
    *, kind: str = "channel", channel: str = CHANNEL, group: str | None = None, due: str = ""
) -> dict[str, Any]:
    due = due or (utcnow().date() + timedelta(days=14)).isoformat()
    picked: dict[str, Any] = {
        AckIds.POLICY: {"type": "static_select", "selected_option": {"value": POLICY_TITLE}},
        AckIds.AUDIENCE_KIND: {"type": "radio_buttons", "selected_option": {"value": kind}},
        AckIds.CHANNEL: {"type": "conversations_select", "selected_conversation": channel},
        AckIds.USERGROUP: {"type": "static_select", "selected_option": None},
        AckIds.DUE: {"type": "datepicker", "selected_date": due},
        AckIds.SUMMARY: {
            "type": "plain_text_input",
            "value": "Customer data now needs an approved tool.",
        },
    }
    if group:
        chosen = {"value": group, "text": {"type": "plain_text", "text": "@risk-team"}}
        picked[AckIds.USERGROUP] = {"type": "static_select", "selected_option": chosen}
    return {block.value: {block.value: state} for block, state in picked.items()}


def start_campaign(rig: SlackRig, **chosen: Any) -> str:
    """Submit the form; the campaign starts after the ack and the lead is told by DM (its
    text is returned) once every request is queued."""
    answer = rig.submit_view(open_form(rig), values(**chosen), user=LEAD).json()
    assert answer["response_action"] == "update" and "Sending requests" in json.dumps(answer)
    told = len(posts_to(rig, LEAD, " asks "))
    eventually(lambda: len(posts_to(rig, LEAD, " asks ")) > told)
    rig.wait_until_sent()
    return posts_to(rig, LEAD, " asks ")[-1].text_of_blocks()


def requests_to(rig: SlackRig, person: str, title: str = POLICY_TITLE) -> list[Call]:
    wanted = f"Please read and acknowledge: {title}"
    return [
        call
        for call in rig.standin.calls_to("chat.postMessage")
        if call.args.get("channel") == person and wanted in call.text_of_blocks()
    ]


def posts_to(rig: SlackRig, person: str, words: str) -> list[Call]:
    return [
        call
        for call in rig.standin.calls_to("chat.postMessage")
        if call.args.get("channel") in (person, "D" + person[1:]) and words in call.text_of_blocks()
    ]


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def post_saying(rig: SlackRig, words: str, thread_ts: str | None = None) -> Call:
    """The latest message the bot posted with `words` in it (waiting for it to come)."""
    found: list[Call] = []

    def posted() -> bool:
        found[:] = [
            call
            for call in rig.standin.calls_to("chat.postMessage")
            if words in call.text_of_blocks() and thread_ts in (None, call.args.get("thread_ts"))
        ]
        return bool(found)

    eventually(posted)
    return found[-1]


def told(rig: SlackRig, count: int) -> str:
    """The text of the `count`-th private reply through a response_url."""
    return rig.standin.wait_for("response_url", count)[-1].text_of_blocks()


def ledger(rig: SlackRig, kind: str) -> list[dict[str, Any]]:
    with rig.ctx.db.session() as session:
        query = select(EvidenceEvent).where(EvidenceEvent.kind == kind).order_by(EvidenceEvent.seq)
        rows = session.scalars(query).all()
        return [json.loads(row.payload) for row in rows]


def figures(rig: SlackRig, ref: str) -> tuple[int, int, int]:
    with rig.ctx.db.session() as session:
        [found] = campaign_figures(session, utcnow().date(), refs=[ref])
        return found.asked, found.acknowledged, found.pending


def sweep(rig: SlackRig, days: int) -> None:
    """Run the "ack-reminders" job as if `days` had passed, and send what it queued."""
    outcome = run_job(rig.ctx.db, rig.ctx.config, "ack-reminders", now=utcnow() + timedelta(days))
    assert outcome.ok, outcome.summary
    drain_outbox(rig.ctx, rig.client)


def home_of(rig: SlackRig, user: str) -> dict[str, Any]:
    published = len(rig.standin.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1"}
    assert rig.send_event(event).status == 200
    return rig.standin.wait_for("views.publish", published + 1)[-1].view


def home_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


# --- the campaign, its buttons, reminders and escalation --------------------------------------


def test_a_channel_campaign_is_acknowledged_then_chased_and_escalated(rig: SlackRig) -> None:
    assert rig.send_command("/aims", "ack", user=FIRST).status == 200
    assert "only a governance lead can" in told(rig, 1)
    assert rig.standin.calls_to("views.open") == []

    form = open_form(rig)
    assert POLICY_TITLE in json.dumps(form) and "Travel and Expenses Policy" in json.dumps(form)
    assert "@risk-team" in json.dumps(form)
    late = rig.submit_view(form, values(due="2020-01-01"), user=LEAD).json()
    assert late["response_action"] == "errors" and "after today" in late["errors"][AckIds.DUE]
    # The audience is resolved after the ack (a big channel is many pages): the lead is told
    # by DM that it is empty, and nothing is sent to anyone.
    nobody = rig.submit_view(form, values(channel=EMPTY), user=LEAD).json()
    assert nobody["response_action"] == "update"
    assert "resolves to nobody" in post_saying(rig, "resolves to nobody").text_of_blocks()
    assert ledger(rig, "ack.campaign_started") == []
    assert all(not requests_to(rig, person) for person in STAFF)

    assert "*ACK-0001* asks 3 people" in start_campaign(rig)
    for person in STAFF:
        [request] = requests_to(rig, person)
        text = request.text_of_blocks()
        assert "Customer data now needs an approved tool." in text
        assert "Staff must not paste customer personal data into public AI tools" in text
        assert 3 <= text.count("\n> [") + text.startswith("> [") <= 5
        labels = [e["text"]["text"] for b in request.blocks for e in b.get("elements", [])]
        assert "I have read it and will follow it" in labels and "I have a question" in labels
    first, second, third = (requests_to(rig, person)[0] for person in STAFF)

    # A double click and a replayed request count once; another person's click not at all.
    label = "I have read it and will follow it"
    assert rig.click(first, label=label, user=FIRST).status == 200
    assert "Thank you: you acknowledged AI Data Handling Policy" in told(rig, 2)
    assert rig.click(first, label=label, user=FIRST).status == 200
    body = interaction_body(rig.click_payload(second, label=label, user=SECOND))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    for headers in ({}, retry):
        assert rig.post(body, "application/x-www-form-urlencoded", headers=headers).status == 200
    assert "Thank you" in told(rig, 3)
    assert rig.click(third, label=label, user=FIRST).status == 200
    assert "only they can acknowledge it" in told(rig, 4)
    broken = rig.click_payload(third, label=label, user=LATE)
    broken["actions"][0]["value"] = '{"campaign": "ACK-0001"}'
    assert rig.send_interaction(broken).status == 200
    assert "could not be read, so nothing was recorded" in told(rig, 5)
    rig.standin.settle()
    assert len(rig.standin.calls_to("response_url")) == 5  # the repeats were told nothing
    rig.wait_until_sent()
    acknowledged = ledger(rig, "ack.acknowledged")
    assert sorted(event["person"] for event in acknowledged) == [FIRST, SECOND]
    assert figures(rig, "ACK-0001") == (3, 2, 1)
    updates = rig.standin.calls_to("chat.update")
    assert (
        sum("You acknowledged AI Data Handling Policy" in u.text_of_blocks() for u in updates) == 2
    )

    sweep(rig, 5)
    assert [len(posts_to(rig, p, "Reminder 1")) for p in STAFF] == [0, 0, 1]
    sweep(rig, 10)
    [escalation] = posts_to(rig, MANAGER, "people who report to you have not acknowledged")
    assert "1 people" in escalation.text_of_blocks() and LATE in escalation.text_of_blocks()
    assert posts_to(rig, LEAD, "have not acknowledged") == []
    assert [event["person"] for event in ledger(rig, "ack.escalated")] == [LATE]

    done_home, pending_home = home_text(home_of(rig, FIRST)), home_of(rig, LATE)
    assert "Your acknowledgements" in done_home and "acknowledged on" in done_home
    assert "please acknowledge by" in home_text(pending_home)
    assert rig.click_home(pending_home, AckIds.CONFIRM, user=LATE).status == 200
    assert "acknowledged on" in home_text(rig.standin.wait_for("views.publish", 3)[-1].view)
    assert figures(rig, "ACK-0001") == (3, 3, 0)


# --- a changed policy ------------------------------------------------------------------------


def test_a_changed_policy_keeps_old_acknowledgements_and_is_asked_again_with_one_click(
    rig: SlackRig, org_dir: Path
) -> None:
    start_campaign(rig)
    label = "I have read it and will follow it"
    rig.click(requests_to(rig, FIRST)[0], label=label, user=FIRST)
    assert "Thank you" in told(rig, 1)

    policy = org_dir / "policies" / "ai-data-handling.md"
    policy.write_text(POLICY + "\n## 6 Training\n\nEveryone must finish AI training.\n")
    with rig.ctx.db.session() as session:
        ingest_policies(rig.ctx, session, actor="test")
    drain_outbox(rig.ctx, rig.client)
    [changed] = posts_to(rig, LEAD, "AI Data Handling Policy changed")
    assert "ACK-0001" in changed.text_of_blocks()

    rig.click(requests_to(rig, LATE)[0], label=label, user=LATE)
    assert "can no longer be acknowledged" in told(rig, 2)
    assert "you will be sent the current version" in told(rig, 2)
    rig.click(changed, action_id=AckIds.RESTART, user=FIRST)
    assert "only a governance lead can" in told(rig, 3)
    rig.click(changed, action_id=AckIds.RESTART, user=LEAD)
    assert "*ACK-0002* asks 3 people" in told(rig, 4)
    rig.wait_until_sent()
    assert figures(rig, "ACK-0001")[1] == 1  # FIRST's acknowledgement stays, for version one
    assert figures(rig, "ACK-0002") == (3, 0, 3)  # and everyone is asked the new version
    assert all(len(requests_to(rig, person)) == 2 for person in STAFF)

    rig.click(requests_to(rig, SECOND)[0], label=label, user=SECOND)  # the old button
    offer = rig.standin.wait_for("response_url", 5)[-1]
    assert "Here is the current version to acknowledge instead." in offer.text_of_blocks()
    rig.click(offer, label=label, user=SECOND)
    assert "Thank you" in told(rig, 6)
    assert figures(rig, "ACK-0002") == (3, 1, 2)
    versions = {
        event["campaign"]: event["version_sha256"] for event in ledger(rig, "ack.acknowledged")
    }
    assert versions["ACK-0001"] != versions["ACK-0002"]

    home = home_text(home_of(rig, FIRST))
    assert "for an earlier version" in home and "ACK-0002" in home and "please acknowledge" in home


# --- questions in the request's thread -------------------------------------------------------


def test_questions_in_the_request_thread_are_answered_from_that_policy_or_go_to_the_leads(
    rig: SlackRig, app_context: AppContext, slack_standin: SlackStandin
) -> None:
    start_campaign(rig)
    [request] = requests_to(rig, FIRST)
    dm, ts = request.response["channel"], request.ts
    rig.click(request, label="I have a question", user=FIRST)
    prompt = post_saying(rig, "Ask your question here, in this thread; I answer from AI Data")
    assert prompt.args["channel"] == dm and prompt.args["thread_ts"] == ts

    rig.send_message("Can I paste customer personal data into ChatGPT?", user=FIRST, thread_ts=ts)
    answer = post_saying(rig, "Staff must not paste customer personal data", thread_ts=ts)
    assert "AI Data Handling Policy" in answer.text_of_blocks()

    # The thread is known from the database: a restarted app still answers in it.
    with start_slack_rig(app_context, standin=slack_standin) as restarted:
        restarted.send_message(
            "What is the nightly hotel limit in London?", user=FIRST, thread_ts=ts
        )
        routed = post_saying(rig, "AI Data Handling Policy does not answer that", thread_ts=ts)
    assert "Priya Raman and Tom Okafor" in routed.text_of_blocks()
    drain_outbox(rig.ctx, rig.client)
    for lead in (LEAD, OTHER_LEAD):
        [question] = posts_to(rig, lead, "A question about AI Data Handling Policy")
        assert "nightly hotel limit" in question.text_of_blocks()
    assert [e["routed_to_leads"] for e in ledger(rig, "ack.question")] == [False, True]

    # Asked outside the thread, the same question is answered from the whole library.
    rig.send_message("What is the nightly hotel limit in London?", user=FIRST)
    assert "Travel and Expenses Policy" in post_saying(rig, "180 pounds").text_of_blocks()


# --- people who leave ------------------------------------------------------------------------


def test_people_who_leave_the_channel_or_the_group_are_no_longer_chased(rig: SlackRig) -> None:
    start_campaign(rig)
    assert "*ACK-0002* asks 2 people" in start_campaign(rig, kind="usergroup", group=GROUP)
    left = {"type": "member_left_channel", "user": LATE, "channel": CHANNEL, "channel_type": "C"}
    assert rig.send_event(left).status == 200
    changed = {
        "type": "subteam_members_changed",
        "subteam_id": GROUP,
        "team_id": "T0ACME",
        "added_users": [],
        "added_users_count": "0",
        "removed_users": [SECOND],
        "removed_users_count": "1",
    }
    assert rig.send_event(changed).status == 200
    malformed = {"type": "member_left_channel", "channel": CHANNEL}  # whose leaving?
    assert (
        rig.send_event(malformed).status == 200
    )  # acked (Slack would only retry it), not acted on
    eventually(lambda: len(ledger(rig, "ack.withdrawn")) == 2)
    assert figures(rig, "ACK-0001") == (2, 0, 2) and figures(rig, "ACK-0002") == (1, 0, 1)

    sweep(rig, 5)
    reminded = {p: len(posts_to(rig, p, "Reminder 1")) for p in STAFF}
    assert reminded == {FIRST: 2, SECOND: 1, LATE: 0}
    assert {(e["campaign"], e["person"]) for e in ledger(rig, "ack.withdrawn")} == {
        ("ACK-0001", LATE),
        ("ACK-0002", SECOND),
    }


def test_the_manifest_asks_for_the_events_and_scopes_campaigns_need() -> None:
    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[3] / "bot/slack/manifest.yml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"member_left_channel", "subteam_members_changed"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:read", "groups:read", "usergroups:read"} <= scopes
