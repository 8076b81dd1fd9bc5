"""Pacing Slack Web API calls: the pacer on a fake clock, then the real outbox sender against the
stand-in (429s that stop every thread, DMs without conversations.open, the published tiers)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import AppContext
from bot.slack.messenger import pacer_of, retry_handlers
from bot.slack.outbox_sender import drain_outbox
from bot.slack.pacing import ARRIVAL_MARGIN, Pacer, shared_pacer
from governance import outbox
from store.models import OutboundMessage, utcnow
from tests.support.slack_standin import (
    PUBLISHED_CHANNEL_LIMITS,
    PUBLISHED_LIMITS,
    SlackStandin,
    most_in_any_window,
)

POST = "chat.postMessage"


@dataclass
class FakeTime:
    """A clock that only moves when someone sleeps; `on_sleep` runs inside a sleep (as another
    thread would, while this one waits)."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)
    on_sleep: Callable[[], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()

    def pacer(self, **kwargs: object) -> Pacer:
        return Pacer(clock=self.clock, sleep=self.sleep, **kwargs)  # type: ignore[arg-type]


def reserve(pacer: Pacer, time_: FakeTime, method: str, channel: str | None = None) -> float:
    pacer.wait(method, channel)
    return time_.now


# --- the pacer --------------------------------------------------------------------------------


def test_a_method_never_exceeds_its_tier_in_any_trailing_minute() -> None:
    fake = FakeTime()
    pacer = fake.pacer()
    rng = random.Random(7)
    times = []
    for _ in range(180):  # conversations.open is Tier 3: 50 a minute
        fake.now += rng.uniform(0.0, 0.6)
        times.append(reserve(pacer, fake, "conversations.open"))
    assert most_in_any_window(times, 60.0) == 50
    assert times[50] >= times[0] + 60.0  # the window slides: the 51st waits for the 1st to age


def test_an_unknown_method_gets_tier_2() -> None:
    fake = FakeTime()
    pacer = fake.pacer()
    times = [reserve(pacer, fake, "admin.something.new") for _ in range(21)]
    assert times[19] == times[0]  # 20 at once
    assert times[20] == times[0] + 60.0 + ARRIVAL_MARGIN


def test_posts_are_paced_per_channel_and_one_busy_channel_holds_up_no_other() -> None:
    fake = FakeTime()
    pacer = fake.pacer()
    busy = [reserve(pacer, fake, POST, "C0BUSY") for _ in range(25)]
    assert most_in_any_window(busy, 10.0) == 10
    assert busy[9] == busy[0] and busy[10] >= busy[0] + 10.0  # a burst of 10, then 1 a second
    start = fake.now
    others = [reserve(pacer, fake, POST, f"U0PERSON{n:02d}") for n in range(40)]
    assert others == [start] * 40  # a DM each: no window of theirs is full


def test_a_workspace_wide_cap_on_posts() -> None:
    fake = FakeTime()
    pacer = fake.pacer(posts_per_minute=30)
    times = [reserve(pacer, fake, POST, f"U0PERSON{n:02d}") for n in range(61)]
    assert most_in_any_window(times, 60.0) == 30
    assert times[30] == times[0] + 60.0 + ARRIVAL_MARGIN


def test_a_pause_holds_every_caller_of_the_method_for_exactly_retry_after() -> None:
    fake = FakeTime()
    pacer = fake.pacer()
    paused_at = fake.now
    pacer.pause(POST, 1.0)
    pacer.pause(POST, 0.5)  # a shorter Retry-After from another thread shortens nothing
    assert pacer.paused_for(POST) == 1.0
    assert reserve(pacer, fake, "chat.update", "C0A") == paused_at  # other methods go on
    assert reserve(pacer, fake, POST, "C0A") == paused_at + 1.0
    assert reserve(pacer, fake, POST, "U0OTHER") == paused_at + 1.0
    assert pacer.paused_for(POST) == 0.0


def test_a_pause_that_arrives_while_a_caller_waits_holds_it_too() -> None:
    fake = FakeTime()
    pacer = fake.pacer()
    for _ in range(10):
        pacer.wait(POST, "C0A")
    start = fake.now

    def another_thread_gets_a_429() -> None:
        fake.on_sleep = None
        pacer.pause(POST, 30.0)

    fake.on_sleep = another_thread_gets_a_429
    # The 11th post waits for the window; during that wait a 429 says 30 s: it waits those too.
    assert reserve(pacer, fake, POST, "C0A") == start + 10.0 + ARRIVAL_MARGIN + 30.0


def test_pacers_are_shared_per_workspace_and_read_the_posts_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIMS_SLACK_POSTS_PER_MINUTE", "40")
    capped = shared_pacer("http://capped.test/api/")
    assert capped is shared_pacer("http://capped.test/api")
    assert capped.posts_per_minute == 40
    assert shared_pacer("http://other.test/api/") is not capped
    monkeypatch.setenv("AIMS_SLACK_POSTS_PER_MINUTE", "0")
    with pytest.raises(ValidationError, match="posts_per_minute"):
        shared_pacer("http://misconfigured.test/api/")


# --- the outbox sender against the stand-in ---------------------------------------------------


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with SlackStandin() as slack:
        yield slack


def paced_client(standin: SlackStandin, pacer: Pacer) -> WebClient:
    return WebClient(
        token="xoxb-pacing", base_url=standin.api_url, retry_handlers=retry_handlers(pacer=pacer)
    )


def enqueue(ctx: AppContext, key: str, channel: str, **fields: object) -> None:
    with ctx.db.session() as session:
        outbox.enqueue(
            session,
            key=key,
            channel=channel,
            text=f"Please acknowledge the policy ({key})",
            kind="test",  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )


def sent_channels(ctx: AppContext) -> dict[str, str | None]:
    with ctx.db.session() as session:
        rows = session.query(OutboundMessage).all()
        assert {row.status for row in rows} == {"sent"}
        return {row.dedupe_key: row.slack_channel for row in rows}


def test_a_429_stops_every_thread_until_retry_after_has_passed(
    app_context: AppContext, standin: SlackStandin
) -> None:
    pacer = Pacer()
    client = paced_client(standin, pacer)
    for n in range(10):
        enqueue(app_context, f"ack-{n}", f"U0PEOPLE{n:02d}")
    standin.rate_limit_once(POST, retry_after=1)
    sent: list[int] = []

    def drain() -> None:
        sent.append(drain_outbox(app_context, client))

    first = threading.Thread(target=drain)
    first.start()
    deadline = time.monotonic() + 5
    while pacer.paused_for(POST) == 0:
        assert time.monotonic() < deadline, "the 429 never paused chat.postMessage"
        time.sleep(0.005)
    # The second thread starts once the first has been told to wait (a call already in flight
    # when Slack answers 429 cannot be recalled); it was told nothing, and must wait as well.
    second = threading.Thread(target=drain)
    second.start()
    first.join(timeout=20)
    second.join(timeout=20)
    assert sorted(sent) == [5, 5]  # each thread sent the batch it claimed, the 429'd row too
    assert len(sent_channels(app_context)) == 10
    [limited] = standin.rate_limited
    posts = standin.calls_to(POST)
    assert len(posts) == 10
    assert min(post.at for post in posts) >= limited.at + 1.0
    assert standin.retry_after_violations == []
    assert standin.violations == []


def test_the_apps_client_waits_on_and_pauses_its_workspaces_shared_pacer(
    app_context: AppContext, standin: SlackStandin
) -> None:
    # As bot.slack.app.make_client builds it: no pacer of its own.
    client = WebClient(token="xoxb-app", base_url=standin.api_url, retry_handlers=retry_handlers())
    shared = shared_pacer(standin.api_url)
    assert pacer_of(client) is shared
    enqueue(app_context, "busy", "C0GENERAL")
    standin.rate_limit_once(POST, retry_after=1)
    sender = threading.Thread(target=drain_outbox, args=(app_context, client))
    sender.start()
    deadline = time.monotonic() + 5
    while shared.paused_for(POST) == 0:  # the 429 paused the pacer every Messenger waits on
        assert time.monotonic() < deadline, "the 429 never paused the shared pacer"
        time.sleep(0.005)
    sender.join(timeout=10)
    assert sent_channels(app_context) == {"busy": "C0GENERAL"}
    assert standin.retry_after_violations == []


def test_a_row_that_would_wait_past_its_lease_is_given_back_untried(
    app_context: AppContext, standin: SlackStandin
) -> None:
    """Slack said wait a minute: the sender does not sit on its claim (another sender would
    re-claim the row after the lease and send it twice); the row is due again when Slack
    will take it, and the wait does not count as a failed attempt."""
    pacer = Pacer()
    client = paced_client(standin, pacer)
    enqueue(app_context, "later", "C0GENERAL")
    pacer.pause(POST, 60)
    assert drain_outbox(app_context, client) == 0
    assert standin.calls_to(POST) == []
    with app_context.db.session() as session:
        [row] = session.query(OutboundMessage).all()
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
        assert (row.not_before - utcnow()).total_seconds() > 50


def test_dms_to_30_people_need_no_conversations_open(
    app_context: AppContext, standin: SlackStandin
) -> None:
    client = paced_client(standin, Pacer())
    people = [f"U0PEOPLE{n:02d}" for n in range(30)]
    for person in people:
        enqueue(app_context, f"ack-{person}", person)
    assert drain_outbox(app_context, client) == 30
    posts = standin.calls_to(POST)
    assert sorted(post.args["channel"] for post in posts) == people
    assert standin.calls_to("conversations.open") == []
    # Each row records the DM's id (D…) Slack answered with: replies and edits go there.
    assert sent_channels(app_context) == {f"ack-{p}": "D" + p[1:] for p in people}
    assert standin.violations == []


def test_a_persons_dm_is_opened_once_where_its_id_is_needed(
    app_context: AppContext, standin: SlackStandin
) -> None:
    client = paced_client(standin, Pacer())
    for n in range(3):
        enqueue(app_context, f"private-{n}", "U0PRIYA", op="ephemeral", user_id="U0PRIYA")
    assert drain_outbox(app_context, client) == 3
    [opened] = standin.calls_to("conversations.open")
    assert opened.args["users"] == "U0PRIYA"
    ephemerals = standin.calls_to("chat.postEphemeral")
    assert [call.args["channel"] for call in ephemerals] == ["D0PRIYA"] * 3


def test_a_campaign_stays_within_the_published_tiers(
    app_context: AppContext, standin: SlackStandin
) -> None:
    standin.enforce_rate_tiers(PUBLISHED_LIMITS, PUBLISHED_CHANNEL_LIMITS)
    client = paced_client(standin, Pacer())
    for n in range(12):
        enqueue(app_context, f"channel-{n}", "C0CAMPAIGN")
    for n in range(60):
        enqueue(app_context, f"ack-{n}", f"U0PEOPLE{n:02d}")
    # Two senders, as the outbox loop and a handler's pass are: while one waits for the
    # channel's window, the other carries on with the DMs.
    sent: list[int] = []
    senders = [
        threading.Thread(target=lambda: sent.append(drain_outbox(app_context, client, limit=100)))
        for _ in range(2)
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    assert sum(sent) == 72
    assert standin.rate_limited == []
    assert standin.retry_after_violations == []
    calls, seconds = PUBLISHED_CHANNEL_LIMITS[POST]
    assert standin.busiest(POST, seconds, "C0CAMPAIGN") <= calls
    for method, (calls, seconds) in PUBLISHED_LIMITS.items():
        assert standin.busiest(method, seconds) <= calls, method
    in_channel = sorted(at for at, channel in standin.accepted[POST] if channel == "C0CAMPAIGN")
    assert in_channel[10] - in_channel[0] >= 10.0  # a burst of 10, then spread out
    assert len(standin.calls_to(POST)) == 72
    assert standin.violations == []


# --- the stand-in's rate tiers and directory --------------------------------------------------


def unretried_client(standin: SlackStandin) -> WebClient:
    return WebClient(token="xoxb-pacing", base_url=standin.api_url, retry_handlers=[])


def test_the_standin_answers_429_beyond_a_window_and_records_early_calls(
    standin: SlackStandin,
) -> None:
    standin.enforce_rate_tiers({"users.info": (2, 60.0)}, {POST: (2, 10.0)})
    client = unretried_client(standin)
    client.users_info(user="U0A")
    client.users_info(user="U0B")
    with pytest.raises(SlackApiError) as refused:
        client.users_info(user="U0C")
    assert refused.value.response.status_code == 429
    assert 59 <= int(refused.value.response.headers["Retry-After"]) <= 60
    with pytest.raises(SlackApiError):
        client.users_info(user="U0D")  # too early: Retry-After had not elapsed
    assert [call.args["user"] for call in standin.rate_limited] == ["U0C", "U0D"]
    assert [call.args["user"] for call in standin.retry_after_violations] == ["U0D"]
    assert standin.busiest("users.info", 60.0) == 2
    # Per conversation: a post to a user id is a post in that user's DM.
    client.chat_postMessage(channel="U0A", text="one")
    client.chat_postMessage(channel="D0A", text="two")
    client.chat_postMessage(channel="C0OTHER", text="elsewhere")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U0A", text="three")
    assert standin.busiest(POST, 10.0, "U0A") == 2
    assert standin.violations == []


def test_the_standin_lists_channels_members_and_user_groups(standin: SlackStandin) -> None:
    standin.channels = [{"id": "C0ALL", "name": "all-acme"}, {"id": "C0GOV", "name": "ai-gov"}]
    standin.channel_members = {"C0ALL": ["U0A", "U0B", "U0C"]}
    standin.usergroups = [{"id": "S0LEADS", "handle": "leads", "name": "Team leads"}]
    standin.usergroup_members = {"S0LEADS": ["U0A", "U0C"]}
    client = unretried_client(standin)

    def every_member(channel: str) -> list[str]:
        members, cursor = [], None
        while True:
            page = client.conversations_members(channel=channel, limit=2, cursor=cursor)
            members += page["members"]
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                return members

    assert every_member("C0ALL") == ["U0A", "U0B", "U0C"]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_members(channel="C0NOPE")
    channels = client.conversations_list(types="public_channel", limit=100)["channels"]
    assert [(c["id"], c["name"], c["is_channel"]) for c in channels] == [
        ("C0ALL", "all-acme", True),
        ("C0GOV", "ai-gov", True),
    ]
    [group] = client.usergroups_list(include_users=True)["usergroups"]
    assert (group["handle"], group["users"]) == ("leads", ["U0A", "U0C"])
    assert client.usergroups_users_list(usergroup="S0LEADS")["users"] == ["U0A", "U0C"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S0NOPE")
    assert standin.violations == []
