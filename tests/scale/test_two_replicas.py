"""Two replicas, one Slack app (issue 15): two real `aims run` processes in HTTP mode on one
Postgres database and one Slack stand-in, with the test playing Slack and the load balancer.

Every event, command and click goes to one replica and Slack's retry of it to the other at the
same moment; a registration's turns alternate between the replicas while twelve other people
talk to the bot; each approver's click reaches both replicas at once, several times, alongside a
colleague's click on the same approval. Whatever the interleaving, each request has one effect:
one reply per event and per command, one decision per approval, one conversation ending in one
record, each queued message sent once and in order, and one intact evidence chain.

The HTTP 200 may come before any of the work is done, so everything here waits for eventual
results (the stand-in's calls, the database) and never for timings.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.context import AppContext
from bot.slack.ids import ApprovalIds
from governance.approvals.models import RequiredSlot
from governance.approvals.service import open_request_for, slots_of
from governance.audit import digests
from governance.register import get_record
from store import evidence
from store.approval_models import ApprovalDecision, ApprovalSlot
from store.models import AIUse, Conversation, EvidenceEvent, OutboundMessage
from tests.support.slack_app import interaction_body
from tests.support.slack_standin import BOT_USER, Call, SlackStandin
from tests.support.two_replicas import (
    FORM,
    Balancer,
    Delivery,
    chain_heads,
    dump_calls,
    duplicate_posts,
    eventually,
    ledger_lines,
    outbox_problems,
    posts_in,
    responses_to,
    running_replicas,
    settled,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SKIP_ON_SQLITE = "two replicas need a shared server database (AIMS_TEST_BACKEND=postgres)"
REQUESTER = "U0ACME0012"  # Oliver Grant: procurement, an approver of nothing
PEOPLE = [f"U0ACME{n:04d}" for n in range(1, 12)] + ["U0GUEST0001"]  # twelve others ask things
TOOL_QUESTIONS = [
    "Is Otter.ai allowed?",
    "Can I use DeepL for internal memos?",
    "Is Midjourney ok?",
]
POLICY_QUESTIONS = [
    "Can I paste customer data into ChatGPT?",
    "What must I do if an AI tool gives a customer a wrong answer?",
]
COPIES = 3  # each approver's click reaches each replica this many times, all at once


@dataclass(frozen=True)
class Turn:
    said: str  # typed, or "click:<label>" for a button in the bot's last message
    asks: str  # what the bot's reply must contain before the next turn
    recorded: str | None  # the requester's line in the intake transcript


# Turn n goes to replica n % 2 (and its retry to the other).
REGISTRATION = [
    Turn("register", "Describe the AI use", None),
    Turn(
        "Translate supplier correspondence between English and German",
        "Which AI tool",
        "Translate supplier correspondence between English and German",
    ),
    Turn("DeepL Pro", "Which team", "DeepL Pro"),
    Turn("Procurement", "business owner", "Procurement"),
    Turn("me", "Who will use it", "me"),
    Turn("click:Only my team (internal)", "What kinds of data", "deployment=internal"),
    Turn("Personal data", "decisions about individual people", "Personal data"),
    Turn("No decisions about people", "How do people oversee", "No decisions about people"),
    Turn("A person checks every output", "Confirm and submit", "A person checks every output"),
    Turn("click:Confirm and submit", "Filed AIU-", "confirm"),
]
FILED = {
    "title": "Translate supplier correspondence between English and German",
    "purpose": "Translate supplier correspondence between English and German",
    "tool": "DeepL Pro",
    "business_unit": "Procurement",
    "owner": REQUESTER,
    "requester": REQUESTER,
    "deployment": "internal",
    "data_categories": ["personal"],
    "decisions_about_people": "none",
    "human_oversight": "in-the-loop",
    "risk_tier": "limited",
    "version": 1,
}


FILED_AS = re.compile(r"^Filed (AIU-\d{4})")


def dm(user: str) -> str:
    return "D" + user[1:]


def test_two_replicas_behind_a_load_balancer_act_once_per_request(
    backend: str, app_context: AppContext, org_dir: Path, tmp_path: Path
) -> None:
    if backend != "postgres":
        pytest.skip(SKIP_ON_SQLITE)
    started = time.monotonic()
    with (
        SlackStandin() as standin,
        running_replicas(org_dir, app_context.db.url, standin, tmp_path) as replicas,
    ):
        print(f"both replicas answering after {time.monotonic() - started:.1f} s")
        balancer = Balancer(replicas, workers=24)
        try:
            run_scenario(app_context, standin, balancer)
            print(f"done after {time.monotonic() - started:.1f} s")
        except BaseException:
            print(f"Slack calls: {dump_calls(standin, tmp_path / 'slack-calls.jsonl')}")
            raise
        finally:
            balancer.close()


def run_scenario(ctx: AppContext, standin: SlackStandin, balancer: Balancer) -> None:
    # -- a burst: twelve people's DMs, some @mentions and slash commands, each retried --
    burst = Burst(balancer)
    registration = Registration(balancer, standin)
    registering = threading.Thread(target=registration.run, name="registration")
    registering.start()  # meanwhile, turns alternating between the replicas
    balancer.deliver(burst.deliveries)
    registering.join(timeout=120)
    assert not registering.is_alive(), "the registration did not finish"
    if registration.error is not None:
        raise registration.error
    ref = registration.ref
    assert registration.thread is not None and ref is not None
    burst.wait_for_answers(standin)
    print(f"burst and registration answered ({len(balancer.responses)} requests)")

    # -- the approvers click Approve; each click reaches both replicas at once, several times --
    clicks = approve_everything(ctx, standin, balancer, ref)
    eventually(lambda: approved(ctx, ref), f"{ref} approved")
    eventually(lambda: everything_sent(ctx), "every queued message sent")
    # Every delivery recorded, and every copy after the first of each dropped as a duplicate
    # (waited for, not asserted, here: the assertions below say more precisely what went wrong).
    deliveries = [delivery for delivery, _ in balancer.responses]
    duplicates = len(deliveries) - len({delivery.body for delivery in deliveries})
    settled(
        lambda: (
            counted(ctx, "slack.inbound") >= len(deliveries)
            and counted(ctx, "slack.inbound.duplicate") >= duplicates
        )
    )
    standin.settle(quiet=1.0, timeout=30)  # what a late duplicate would send, it has sent now

    # -- one reply per event and per command; retries, repeats and double clicks produce none --
    assert burst.unanswered_or_repeated(standin) == {}
    notes = {name: len(responses_to(standin, name)) for name in clicks}
    assert {name: n for name, n in notes.items() if n > 1} == {}  # at most one note per click
    assert duplicate_posts(standin) == {}

    # -- the conversation never forked: one conversation, one record, the turns in order --
    check_registration(ctx, standin, registration)

    # -- one decision per approval, whichever replica and whichever click won --
    check_decisions(ctx, ref, clicks)

    # -- every queued message sent once; each thread's and each message's in the order queued --
    assert outbox_problems(ctx, standin) == []

    # -- one intact evidence chain, as `aims evidence verify` checks it --
    lines = ledger_lines(ctx)
    assert evidence.verify(lines).describe() == f"OK {len(lines)} events"
    assert chain_heads(lines) == [lines[-1].seq]
    with ctx.db.session() as session:
        report = digests.verify_ledger(session, ctx)
    assert report.ok, report.describe()
    kinds = Counter(line.kind for line in lines)
    assert kinds["slack.error"] == 0, [line.payload for line in lines if line.kind == "slack.error"]
    assert counted(ctx, "slack.inbound") == len(deliveries)  # each recorded once
    assert kinds["slack.inbound.duplicate"] == duplicates
    assert kinds["answer.given"] == burst.questions  # each question answered once
    assert standin.violations == []


def counted(ctx: AppContext, kind: str) -> int:
    """Evidence events of `kind` (the readiness probes, url_verification, aside)."""
    with ctx.db.session() as session:
        query = (
            select(func.count())
            .select_from(EvidenceEvent)
            .where(EvidenceEvent.kind == kind, EvidenceEvent.subject != "url_verification")
        )
        return int(session.scalar(query) or 0)


# --- the burst ---------------------------------------------------------------------------------


class Burst:
    """DMs from twelve people (help, my records, a tool and a policy question each), @mentions
    in a channel and slash commands: each sent to one replica and retried to the other, in a
    shuffled order."""

    def __init__(self, balancer: Balancer) -> None:
        rig = balancer.rig
        self.events: list[tuple[str, str, str]] = []  # (channel, ts, text): one reply each
        self.commands: list[tuple[str, str]] = []  # (trigger id, command): one answer each
        self.deliveries: list[Delivery] = []
        self.questions = 0
        for n, user in enumerate(PEOPLE):
            tool = TOOL_QUESTIONS[n % len(TOOL_QUESTIONS)]
            policy = POLICY_QUESTIONS[n % len(POLICY_QUESTIONS)]
            for text in ("help", "my records", tool, policy):
                self._event(balancer, rig.message_event(text, user=user))
            self.questions += 2
        for user in PEOPLE[:4]:
            self._event(balancer, rig.message_event(f"<@{BOT_USER}> help", user=user, mention=True))
        for user in PEOPLE[:6]:
            for command, text in (
                ("/aims", ""),
                ("/ai-status", ""),
                ("/ai-ask", POLICY_QUESTIONS[0]),
            ):
                form = rig.command_form(command, text, user=user)
                self.commands.append((form["trigger_id"], command))
                self.deliveries += balancer.command(form, to=len(self.commands) % 2)
            self.questions += 1
        random.Random(15).shuffle(self.deliveries)

    def _event(self, balancer: Balancer, event: dict[str, Any]) -> None:
        self.events.append((event["channel"], event["ts"], event["text"]))
        self.deliveries += balancer.event(event, to=len(self.events) % 2)

    def wait_for_answers(self, standin: SlackStandin) -> None:
        eventually(
            lambda: all(posts_in(standin, channel, ts) for channel, ts, _ in self.events),
            "a reply to every DM and @mention",
        )
        eventually(
            lambda: all(responses_to(standin, trigger) for trigger, _ in self.commands),
            "an answer to every slash command",
        )

    def unanswered_or_repeated(self, standin: SlackStandin) -> dict[tuple[str, str], int]:
        """Events and commands without exactly one reply, with how many they got."""
        replies = {
            (f"{channel} {ts}", text): len(posts_in(standin, channel, ts))
            for channel, ts, text in self.events
        }
        replies |= {
            (trigger, command): len(responses_to(standin, trigger))
            for trigger, command in self.commands
        }
        return {key: n for key, n in replies.items() if n != 1}


# --- the registration ----------------------------------------------------------------------------


class Registration:
    """A DM registration: turn n goes to replica n % 2 and its retry to the other; each turn
    waits for the bot's next question. Runs on its own thread (an error is kept for the test)."""

    def __init__(self, balancer: Balancer, standin: SlackStandin) -> None:
        self.balancer, self.standin = balancer, standin
        self.channel = dm(REQUESTER)
        self.thread: str | None = None
        self.replies: list[Call] = []  # what the bot posted in the thread, turn by turn
        self.ref: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for number, turn in enumerate(REGISTRATION):
                self._take(turn, to=number % 2)
            said = [str(post.args.get("text")) for post in self.replies]
            filed = [found.group(1) for text in said if (found := FILED_AS.search(text))]
            assert len(filed) == 1, f"the registration did not end in one record: {said[-3:]}"
            self.ref = filed[0]
        except BaseException as error:  # re-raised on the test's thread
            self.error = error

    def _take(self, turn: Turn, *, to: int) -> None:
        rig, balancer = self.balancer.rig, self.balancer
        seen = len(self.thread_posts())
        if turn.said.startswith("click:"):
            post = self.thread_posts()[-1]
            click = rig.click_payload(post, label=turn.said.removeprefix("click:"), user=REQUESTER)
            balancer.deliver(balancer.with_retry(interaction_body(click), FORM, to=to))
        else:
            event = rig.message_event(turn.said, user=REQUESTER, thread_ts=self.thread)
            self.thread = self.thread or event["ts"]
            balancer.deliver(balancer.event(event, to=to))

        def asked() -> list[Call] | None:
            new = self.thread_posts()[seen:]
            return new if any(turn.asks in post.text_of_blocks() for post in new) else None

        new = eventually(asked, f"the bot to ask {turn.asks!r} after {turn.said!r}")
        self.replies += new

    def thread_posts(self) -> list[Call]:
        return posts_in(self.standin, self.channel, self.thread) if self.thread else []


def check_registration(ctx: AppContext, standin: SlackStandin, registration: Registration) -> None:
    with ctx.db.session() as session:
        records = session.scalars(select(AIUse)).all()
        conversations = session.scalars(
            select(Conversation).where(Conversation.user_id == REQUESTER)
        ).all()
        transcripts = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "intake.transcript")
        ).all()
        sent = {ts for ts in session.scalars(select(OutboundMessage.slack_ts)).all() if ts}
    assert [record.ref for record in records] == [registration.ref]
    assert {name: getattr(records[0], name) for name in FILED} == FILED
    assert [(c.thread, c.status) for c in conversations] == [(registration.thread, "done")]
    assert len(transcripts) == 1
    lines = json.loads(transcripts[0].payload)["transcript"]
    said = [line["text"] for line in lines if line["who"] != "bot"]
    assert said == [turn.recorded for turn in REGISTRATION if turn.recorded is not None]
    # What the bot said in the thread (outbox messages aside) is what each turn got, once.
    in_thread = posts_in(standin, registration.channel, str(registration.thread))
    bot_said = [str(post.args.get("text")) for post in in_thread if post.ts not in sent]
    replies = [str(post.args.get("text")) for post in registration.replies if post.ts not in sent]
    assert bot_said == replies


# --- approvals -----------------------------------------------------------------------------------


def _slots_asked(call: Call) -> set[str]:
    """The approval slots whose buttons this message carries."""
    return {
        str(json.loads(element["value"]).get("slot"))
        for block in call.blocks
        if block.get("block_id") == ApprovalIds.ACTIONS_BLOCK
        for element in block.get("elements", [])
        if element.get("type") == "button"
    }


def _asked_to_approve(standin: SlackStandin, slot: str) -> dict[str, Call]:
    """Who was sent this slot's buttons (named approvers and their delegates), and the DM."""
    return {
        "U" + str(call.channel)[1:]: call
        for call in standin.calls_to("chat.postMessage")
        if str(call.channel).startswith("D") and slot in _slots_asked(call)
    }


def approve_everything(
    ctx: AppContext, standin: SlackStandin, balancer: Balancer, ref: str
) -> list[str]:
    """Each slot's first approver clicks Approve, and the click reaches both replicas COPIES
    times; where someone else may decide the slot too (the other lead, a delegate), their click
    goes to both as well. All are released at the same moment. Returns the clicks' response_url
    names (where a private note to the clicker would go)."""
    with ctx.db.session() as session:
        slots = slots_of(session, open_request_for(session, ref))
    assert len(slots) >= 3, [slot.key for slot in slots]

    def everyone_asked() -> dict[str, dict[str, Call]] | None:
        asked = {slot.key: _asked_to_approve(standin, slot.key) for slot in slots}
        return asked if all(slot.approvers[0] in asked[slot.key] for slot in slots) else None

    asked = eventually(everyone_asked, "every approver's Approve button")
    raced: list[Delivery] = []
    names: list[str] = []
    for slot in slots:
        for clicker, copies in _clickers(slot, asked[slot.key]):
            payload = balancer.rig.click_payload(
                asked[slot.key][clicker], label="Approve", user=clicker
            )
            names.append(payload["response_url"].rsplit("/", 1)[1])
            body = interaction_body(payload)
            raced += [Delivery(to, body, FORM) for to in (0, 1) for _ in range(copies)]
    balancer.race(raced)
    return names


def _clickers(slot: RequiredSlot, asked: dict[str, Call]) -> list[tuple[str, int]]:
    first = slot.approvers[0]
    rivals = [user for user in asked if user != first][:1]
    return [(first, COPIES)] + [(rival, 1) for rival in rivals]


def approved(ctx: AppContext, ref: str) -> bool:
    with ctx.db.session() as session:
        return get_record(session, ref).status == "approved"


def everything_sent(ctx: AppContext) -> bool:
    with ctx.db.session() as session:
        statuses = session.scalars(select(OutboundMessage.status)).all()
    return bool(statuses) and all(status == "sent" for status in statuses)


def check_decisions(ctx: AppContext, ref: str, clicks: list[str]) -> None:
    with ctx.db.session() as session:
        record = get_record(session, ref)
        decisions = session.scalars(select(ApprovalDecision)).all()
        slots = session.scalars(select(ApprovalSlot)).all()
        kinds = Counter(
            session.scalars(
                select(EvidenceEvent.kind).where(EvidenceEvent.kind.like("approval.%"))
            ).all()
        )
    assert record.status == "approved"
    assert len(clicks) > len(slots)  # colleagues clicked too; that decided nothing more
    assert sorted(d.slot for d in decisions) == sorted(s.slot for s in slots)
    assert {d.verdict for d in decisions} == {"approve"}
    assert (kinds["approval.requested"], kinds["approval.completed"]) == (1, 1)
    assert kinds["approval.decided"] == len(slots)
