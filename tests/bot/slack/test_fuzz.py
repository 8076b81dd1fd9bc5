"""2,000+ validly signed but malformed payloads of every type, sent to the real app over HTTP:
no 5xx, no error after the ack, nothing sent to Slack for what does not parse, one inbound
event per request, and an intact evidence chain."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.slack.pacing import CHANNEL_LIMITS
from store.evidence import iter_ledger, verify
from store.models import EvidenceEvent
from tests.support.slack_app import SlackRig
from tests.support.slack_fuzz import malformed_cases

CASES = 2000


def count_kind(rig: SlackRig, kind: str) -> int:
    with rig.ctx.db.session() as session:
        query = select(func.count()).select_from(EvidenceEvent).where(EvidenceEvent.kind == kind)
        return int(session.scalar(query) or 0)


def test_fuzzed_payloads_never_get_a_5xx_and_each_is_one_inbound_event(
    scripted_rig: SlackRig,
) -> None:
    rig = scripted_rig
    cases = malformed_cases(CASES, seed=20261130, response_url=rig.standin.response_url("fz"))
    inbound_before = count_kind(rig, "slack.inbound")
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda case: rig.post_raw(*case), cases))
    # Replies into one channel are paced to Slack's one a second (bursts of ten): the last of
    # them can come seconds after the others, so wait out a whole window of quiet.
    rig.standin.settle(quiet=CHANNEL_LIMITS["chat.postMessage"].seconds + 1, timeout=60)

    statuses = [reply.status for reply in replies]
    print(
        f"\nfuzz: {len(cases)} signed payloads; "
        + ", ".join(f"{s}: {statuses.count(s)}" for s in sorted(set(statuses)))
    )
    assert [s for s in statuses if s >= 500] == []
    assert count_kind(rig, "slack.error") == 0  # nothing raised after the ack either
    assert count_kind(rig, "slack.inbound") - inbound_before == len(cases)
    assert rig.standin.violations == []
    assert rig.post(json.dumps({"type": "url_verification", "challenge": "ok"}), "application/json")

    # What was refused (400: does not parse; 404: no listener for it) did nothing: sent again,
    # not one call reaches Slack.
    refused = [case for case, reply in zip(cases, replies, strict=True) if reply.status >= 400]
    assert len(refused) > CASES // 4
    calls_before = len(rig.standin.calls)
    with ThreadPoolExecutor(8) as pool:
        again = list(pool.map(lambda case: rig.post_raw(*case), refused))
    rig.standin.settle(quiet=0.5)
    assert {reply.status for reply in again} <= {400, 404}
    assert len(rig.standin.calls) == calls_before

    with rig.ctx.db.session() as session:
        malformed = session.scalars(
            select(EvidenceEvent.payload).where(EvidenceEvent.kind == "slack.inbound")
        ).all()
        assert verify(iter_ledger(session)).ok
    flagged = [json.loads(p) for p in malformed if '"malformed":true' in p]
    assert len(flagged) >= statuses.count(400) * 2  # each malformed one recorded, both times
    assert all(entry["reason"] for entry in flagged)
