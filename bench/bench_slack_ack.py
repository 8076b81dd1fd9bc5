"""How fast does the Slack app ack? Slack wants an HTTP 200 within 3,000 ms.

Sends 200 signed DM events at concurrency 20 to the real Bolt HTTP endpoint (threaded WSGI
server, SQLite, the inbound dedupe + evidence write on the ack path, the router's work after
the ack) and prints ack latency p50/p99 beside Slack's limit. The baseline, measured in the same
run, is a signed url_verification request: the same HTTP + signature path with no database work.

    .venv/bin/python bench/bench_slack_ack.py [--events 200] [--concurrency 20]

Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.context import build_context  # noqa: E402
from bot.settings import Settings  # noqa: E402
from intake.replies import Inbound, Reply  # noqa: E402
from tests.support.slack_app import SlackRig, start_slack_rig  # noqa: E402
from tests.support.slack_standin import SlackStandin  # noqa: E402

SLACK_LIMIT_MS = 3000.0


class EchoRouter:
    """Used when bot.router cannot be imported yet: a fixed reply, so the send path still runs."""

    def handle(self, inbound: Inbound) -> list[Reply]:
        return [Reply(text=f"You said: {inbound.text}")]

    ask = start_registration = my_records = handle

    def help(self) -> list[Reply]:
        return [Reply(text="help")]


def router_factory():  # type: ignore[no-untyped-def]
    try:
        from bot.router import Router

        return Router, "bot.router.Router"
    except ImportError as exc:
        return (lambda ctx: EchoRouter()), f"a fixed-reply router (bot.router: {exc})"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def timed(send) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"unexpected HTTP {response.status}: {response.body[:200]}")
    return elapsed


def run_batch(rig: SlackRig, count: int, concurrency: int, make) -> list[float]:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda n: timed(make(n)), range(count)))


def describe(name: str, values: list[float]) -> str:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return (
        f"{name:<28} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {max(values):7.1f} ms   "
        f"mean {statistics.fmean(values):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    factory, router_name = router_factory()
    with tempfile.TemporaryDirectory() as tmp:
        org = Path(tmp) / "org"
        shutil.copytree(REPO / "examples" / "acme", org, ignore=shutil.ignore_patterns(".aims"))
        ctx = build_context(org / "aims.yaml", Settings(data_dir=org / ".aims"))
        with (
            SlackStandin() as standin,
            start_slack_rig(ctx, router_factory=factory, standin=standin) as rig,
        ):
            challenge = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"})
            baseline = run_batch(
                rig,
                args.events,
                args.concurrency,
                lambda n: lambda: rig.post(challenge, "application/json"),
            )
            texts = ["help", "my records", "Is Otter allowed?", "What is the AI policy?"]
            events = run_batch(
                rig,
                args.events,
                args.concurrency,
                lambda n: (
                    lambda: rig.send_event(
                        rig.message_event(texts[n % len(texts)], user=f"U0BENCH{n % 40:03d}")
                    )
                ),
            )
            standin.wait_for("chat.postMessage", args.events, timeout=600)
            replies = len(standin.calls_to("chat.postMessage"))
    print(
        f"Slack ack latency: {args.events} signed DM events, concurrency {args.concurrency}, "
        f"router: {router_name}"
    )
    print(describe("baseline url_verification", baseline))
    print(describe("DM events (ack; work after)", events))
    p99 = percentile(events, 99)
    print(
        f"Slack's limit: {SLACK_LIMIT_MS:.0f} ms; p99 is {p99 / SLACK_LIMIT_MS:.1%} of it; "
        f"events p50 / baseline p50 = {percentile(events, 50) / percentile(baseline, 50):.1f}x; "
        f"{replies} replies posted after the acks"
    )


if __name__ == "__main__":
    main()
