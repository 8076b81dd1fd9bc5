"""Policy acknowledgement campaigns at scale: 5,000 people, three campaigns.

(a) Start: a channel of 5,000 members, resolved through bot/slack/audience.py against the Slack
    stand-in (tests/support/slack_standin.py), then `start_campaign` (a request row and an
    outbox DM per person, with the evidence, in one transaction). Baseline, same run: the same
    5,000 notices queued by `outbox.notify_many` (one bulk insert), rolled back. Two more
    campaigns ask everyone in an aims.yaml of 5,000 generated people.
(b) Send: the real outbox sender (`drain_outbox`, in passes as `aims run`'s loop makes them) against
    the stand-in enforcing Slack's published tiers (bot/slack/pacing.py): messages/s beside the
    limit the sender respects, and the 429s and Retry-After violations the stand-in saw. Then a
    burst where the stand-in answers 429 with Retry-After beyond a workspace cap the sender does
    not know (Slack does not publish one): messages/s during it, and any call that arrived
    inside a Retry-After.
(c) Figures: `campaign_figures` over 5,000 people x 3 campaigns and the whole weekly digest's
    figures, beside `SELECT count(*)` over the same rows and per-row counting in Python.

    .venv/bin/python -m bench.bench_ack_campaign [--people 5000] [--campaigns 3] [--send N]
        [--burst 300] [--hidden-cap 10] [--posts-per-minute N] [--postgres]

Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.workspace import sample_organisation  # noqa: E402
from bot.context import build_context  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.audience import resolve_audience  # noqa: E402
from bot.slack.messenger import retry_handlers  # noqa: E402
from bot.slack.outbox_sender import drain_outbox  # noqa: E402
from bot.slack.pacing import CHANNEL_LIMITS, POST_MESSAGE, Pacer  # noqa: E402
from bot.slack.run import PASS_LIMIT  # noqa: E402
from governance import outbox  # noqa: E402
from governance.acknowledgements.campaigns import request_key, start_campaign  # noqa: E402
from governance.acknowledgements.figures import campaign_figures  # noqa: E402
from governance.acknowledgements.messages import request_notice  # noqa: E402
from governance.acknowledgements.models import Audience, AudienceKind, CampaignStart  # noqa: E402
from governance.context import AppContext  # noqa: E402
from governance.digest import collect_figures, digest_text  # noqa: E402
from governance.training import coverage  # noqa: E402
from store.ack_models import AckCampaign, AckRequest  # noqa: E402
from store.db import sqlite_url  # noqa: E402
from store.models import OutboundMessage, utcnow  # noqa: E402
from tests.governance.acknowledgements.conftest import POLICIES, store_policy  # noqa: E402
from tests.support.slack_standin import (  # noqa: E402
    BOT_USER,
    PUBLISHED_CHANNEL_LIMITS,
    PUBLISHED_LIMITS,
    SlackStandin,
)

LEAD = "U0ACME0001"
DOCUMENTS = (
    "acceptable-use-of-ai-tools.md",
    "ai-incident-reporting.md",
    "ai-agents-and-automation.md",
)


def person(number: int) -> str:
    return f"U0B{number:07d}"


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


@contextmanager
def database_url(work: Path, postgres: bool) -> Iterator[str | None]:
    if not postgres:
        yield sqlite_url(work / "aims.db")
        return
    from tests.support.databases import postgres_available, postgres_schema, postgres_url

    if not postgres_available():
        print(f"NOTICE: no Postgres server answers at {postgres_url()}; benchmark skipped")
        yield None
        return
    with postgres_schema() as url:
        yield url


def organisation(work: Path, people: int) -> Path:
    """The sample organisation, with `people` generated staff under people in aims.yaml."""
    path = sample_organisation(work) / "aims.yaml"
    data = yaml.safe_load(path.read_text())
    data["people"] += [{"slack_id": person(n), "name": f"Staff {n:05d}"} for n in range(people)]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


# --- (a) starting ------------------------------------------------------------------------------


def start(ctx: AppContext, policy: str, audience: Audience) -> tuple[AckCampaign, float]:
    now = utcnow()
    details = CampaignStart(
        policy=policy, audience=audience, due_on=now.date() + timedelta(days=14), summary="Bench."
    )
    started = time.perf_counter()
    with ctx.db.session() as session:
        campaign = start_campaign(session, config=ctx.config, start=details, actor=LEAD, now=now)
    return campaign, time.perf_counter() - started


def bulk_baseline(ctx: AppContext, campaign: AckCampaign, people: list[str]) -> float:
    """The same notices queued by one bulk insert, rolled back: the floor of queueing them."""
    session = Session(ctx.db.engine)
    try:
        started = time.perf_counter()
        notices = [
            (request_notice(campaign, p), f"bench:{request_key(campaign.ref, p)}", p)
            for p in people
        ]
        outbox.notify_many(session, notices)
        session.flush()
        return time.perf_counter() - started
    finally:
        session.rollback()
        session.close()


def part_a(ctx: AppContext, slack: SlackStandin, client: Any, people: int, campaigns: int) -> None:
    members = [person(n) for n in range(people)]
    slack.channels = [{"id": "C0ALLSTAFF", "name": "all-staff"}]
    slack.channel_members = {"C0ALLSTAFF": [*members, BOT_USER]}
    titles = []
    with ctx.db.session() as session:
        for name in DOCUMENTS[:campaigns]:
            titles.append(store_policy(session, POLICIES / name).title)
    started = time.perf_counter()
    audience = resolve_audience(client, "#all-staff")
    resolved = time.perf_counter() - started
    first, seconds = start(ctx, titles[0], audience)
    baseline = bulk_baseline(ctx, first, audience.members)
    pages = len(slack.calls_to("conversations.members"))
    print(f"(a) start a campaign: {people:,} people")
    print(
        f"  resolve #all-staff ({len(audience.members):,} members, {pages} pages of "
        f"conversations.members)  {resolved * 1000:8.1f} ms"
    )
    print(
        f"  start_campaign {first.ref}                      {seconds * 1000:8.1f} ms   "
        f"{seconds * 1e6 / people:6.0f} us/person"
    )
    print(
        f"  baseline: notify_many, same notices (rolled back)  {baseline * 1000:8.1f} ms   "
        f"start_campaign is x{seconds / baseline:.1f} the baseline"
    )
    everyone = Audience(kind=AudienceKind.PEOPLE, label="everyone")
    for title in titles[1:]:
        other, seconds = start(ctx, title, everyone)
        print(f"  start_campaign {other.ref} (everyone in aims.yaml)  {seconds * 1000:8.1f} ms")


# --- (b) sending -------------------------------------------------------------------------------


def drain(ctx: AppContext, client: Any, wanted: int) -> tuple[int, int, float]:
    """Passes of drain_outbox as `aims run`'s outbox loop makes them (bot/slack/run.py
    OutboxLoop: the next pass at once after a full one) until `wanted` are sent; returns
    (sent, passes, seconds)."""
    sent = passes = idle = 0
    started = time.perf_counter()
    while sent < wanted and idle < 20:
        done = drain_outbox(ctx, client, limit=min(PASS_LIMIT, wanted - sent))
        passes += 1
        sent += done
        if done == 0:  # only rows waiting to be retried after a failure are left
            if _unsent(ctx) == 0:
                break
            idle += 1
            time.sleep(0.25)
    return sent, passes, time.perf_counter() - started


def _unsent(ctx: AppContext) -> int:
    with ctx.db.session() as session:
        query = (
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.status != "sent")
        )
        return session.scalar(query) or 0


def _posts(slack: SlackStandin) -> int:
    return len(slack.accepted.get(POST_MESSAGE, []))


def part_b(
    ctx: AppContext, slack: SlackStandin, pacer: Pacer, send: int, burst: int, cap: int
) -> None:
    client = _client(slack, pacer)
    limits = dict(PUBLISHED_LIMITS)
    if pacer.posts_per_minute:
        limits[POST_MESSAGE] = (pacer.posts_per_minute, 60.0)
    slack.enforce_rate_tiers(limits, PUBLISHED_CHANNEL_LIMITS)
    before = _posts(slack)
    sent, passes, seconds = drain(ctx, client, send)
    per_channel = CHANNEL_LIMITS[POST_MESSAGE]
    workspace = (
        f"{pacer.posts_per_minute}/min (AIMS_SLACK_POSTS_PER_MINUTE)"
        if pacer.posts_per_minute
        else "none configured (AIMS_SLACK_POSTS_PER_MINUTE unset)"
    )
    print("(b) send with the real outbox sender, the stand-in enforcing Slack's published tiers")
    print(
        f"  sent {sent:,} DMs in {seconds:.1f} s over {passes} passes: {sent / seconds:.1f} msg/s"
        f" ({_posts(slack) - before:,} chat.postMessage accepted)"
    )
    print(
        f"  limit respected: chat.postMessage {per_channel.calls} per {per_channel.seconds:.0f} s"
        f" per channel, each DM its own channel (busiest DM: "
        f"{max(slack.busiest(POST_MESSAGE, per_channel.seconds, person(n)) for n in range(3))}"
        f" in {per_channel.seconds:.0f} s); workspace cap: {workspace}; busiest minute "
        f"{slack.busiest(POST_MESSAGE, 60.0):,}, busiest second {slack.busiest(POST_MESSAGE, 1.0)}"
    )
    print(
        f"  429s answered: {len(slack.rate_limited)}; Retry-After violations: "
        f"{len(slack.retry_after_violations)}"
    )
    limited, violations = len(slack.rate_limited), len(slack.retry_after_violations)
    slack.enforce_rate_tiers({**limits, POST_MESSAGE: (cap, 1.0)}, PUBLISHED_CHANNEL_LIMITS)
    sent, passes, seconds = drain(ctx, client, burst)
    print(
        f"  burst: the stand-in answers 429 + Retry-After beyond {cap} posts/s (a workspace cap "
        f"the sender is not told): sent {sent:,} in {seconds:.1f} s, {sent / seconds:.1f} msg/s; "
        f"429s {len(slack.rate_limited) - limited}; calls inside a Retry-After "
        f"{len(slack.retry_after_violations) - violations}"
    )


def _client(slack: SlackStandin, pacer: Pacer | None = None) -> Any:
    from slack_sdk import WebClient

    return WebClient(
        token="xoxb-bench",
        base_url=slack.api_url,
        retry_handlers=retry_handlers(pacer=pacer) if pacer else retry_handlers(),
        timeout=15,
    )


# --- (c) figures -------------------------------------------------------------------------------


def answer_some(ctx: AppContext) -> None:
    """Acknowledged and withdrawn shares per campaign, as if weeks had passed (bulk updates);
    the last campaign is past its due date, so its pending people are overdue."""
    with ctx.db.session() as session:
        now = utcnow()
        last = session.scalars(select(AckCampaign).order_by(AckCampaign.id.desc())).first()
        if last is not None:
            last.due_on = now.date() - timedelta(days=1)
        for campaign_id, share in zip(
            session.scalars(select(AckCampaign.id).order_by(AckCampaign.id)),
            (60, 30, 5),
            strict=False,
        ):
            ids = session.scalars(
                select(AckRequest.id).where(AckRequest.campaign_id == campaign_id)
            ).all()
            done = [i for n, i in enumerate(ids) if n % 100 < share]
            gone = [i for n, i in enumerate(ids) if n % 100 == 99]
            session.execute(
                update(AckRequest)
                .where(AckRequest.id.in_(done))
                .values(status="acknowledged", acknowledged_at=now)
            )
            session.execute(
                update(AckRequest)
                .where(AckRequest.id.in_(gone))
                .values(status="withdrawn", withdrawn_at=now)
            )


def python_counting(session: Session, today: Any) -> Counter[tuple[str, str]]:
    rows = session.execute(
        select(AckCampaign.ref, AckCampaign.due_on, AckRequest.status).join(
            AckCampaign, AckRequest.campaign_id == AckCampaign.id
        )
    )
    counts: Counter[tuple[str, str]] = Counter()
    for ref, due_on, status in rows:
        counts[(ref, status)] += 1
        if status == "pending" and due_on < today:
            counts[(ref, "overdue")] += 1
    return counts


def part_c(ctx: AppContext, repeats: int) -> None:
    answer_some(ctx)
    now = utcnow()
    today = now.date()
    with ctx.db.session() as session:
        rows = session.scalar(select(func.count()).select_from(AckRequest)) or 0
        figures = campaign_figures(session, today, open_only=True)
        timings = {
            "SELECT count(*) over ack_requests (baseline)": median_seconds(
                lambda: session.scalar(select(func.count()).select_from(AckRequest)), repeats
            ),
            "per-row counting in Python (baseline)": median_seconds(
                lambda: python_counting(session, today), repeats
            ),
            "campaign_figures (open campaigns)": median_seconds(
                lambda: campaign_figures(session, today, open_only=True), repeats
            ),
            "training coverage (digest part)": median_seconds(
                lambda: coverage(session, ctx.config, now), repeats
            ),
            "collect_figures + digest_text (the whole digest)": median_seconds(
                lambda: digest_text(collect_figures(session, config=ctx.config, now=now)),
                max(3, repeats // 3),
            ),
        }
    base = timings["SELECT count(*) over ack_requests (baseline)"]
    print(f"(c) figures over {rows:,} requests in {len(figures)} campaigns (median of {repeats})")
    for label, seconds in timings.items():
        print(f"  {label:<50} {seconds * 1000:9.2f} ms   x{seconds / base:7.1f} the count(*)")
    python = timings["per-row counting in Python (baseline)"]
    grouped = timings["campaign_figures (open campaigns)"]
    print(f"  campaign_figures / per-row Python counting: {grouped / python:.2f}")
    for row in figures:
        print(
            f"  {row.ref} {row.document}: {row.acknowledged}/{row.asked} acknowledged, "
            f"{row.pending} pending, {row.overdue} overdue, {row.withdrawn} withdrawn"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--campaigns", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--send", type=int, help="DMs to send (default: the first campaign's)")
    parser.add_argument("--burst", type=int, default=300, help="DMs sent during the 429 burst")
    parser.add_argument("--hidden-cap", type=int, default=10, help="stand-in posts/s in the burst")
    parser.add_argument("--posts-per-minute", type=int, default=None, help="a workspace cap")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--postgres", action="store_true", help="Postgres, not SQLite")
    args = parser.parse_args(argv)
    # Each 429 is logged as a warning; the stand-in counts them for the figures below.
    logging.getLogger("bot.slack.messenger").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, database_url(Path(tmp), args.postgres) as url:
        if url is None:
            return
        work = Path(tmp)
        ctx = build_context(organisation(work, args.people), Settings(database_url=url))
        print(
            f"Acknowledgement campaigns: {args.people:,} people, {args.campaigns} campaigns, "
            f"{url.split(':', 1)[0]}"
        )
        with SlackStandin() as slack:
            part_a(ctx, slack, _client(slack), args.people, args.campaigns)
            pacer = Pacer(posts_per_minute=args.posts_per_minute)
            part_b(ctx, slack, pacer, args.send or args.people, args.burst, args.hidden_cap)
        part_c(ctx, args.repeats)
        ctx.db.dispose()


if __name__ == "__main__":
    main()
