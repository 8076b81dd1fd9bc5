"""Several `aims run` processes in HTTP mode on one Postgres database and one Slack stand-in, and
the test playing Slack and the load balancer in front of them.

    with running_replicas(org_dir, db.url, standin, tmp_path) as replicas:
        balancer = Balancer(replicas)
        balancer.deliver(balancer.event(event, to=0))   # to replica 0, and Slack's retry to 1

Each replica gets its own AIMS_DATA_DIR (embedded Chroma is not safe across processes) and the
same AIMS_DATABASE_URL. Every request is signed as Slack signs it (tests.support.slack_app). A
replica is ready once it answers a signed url_verification. Inside `running_replicas`, an error
prints the tail of each replica's stderr; on the way out both are terminated (killed if they
do not stop).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import select

from bot.context import AppContext
from bot.slack.outbox_sender import plan_for
from store import evidence
from store.ledger_verify import LedgerLine
from store.models import OutboundMessage
from tests.support.slack_app import BOT_TOKEN, SIGNING_SECRET, Response, SlackRig
from tests.support.slack_standin import Call, SlackStandin

AIMS = [sys.executable, "-c", "from bot.cli import main; main()"]
REPO = Path(__file__).resolve().parents[2]
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    """One `aims run` process, and a SlackRig that signs requests to it."""

    name: str
    port: int
    data_dir: Path
    stderr_path: Path
    process: subprocess.Popen[bytes]
    rig: SlackRig

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def replica_env(
    org_dir: Path, database_url: str, data_dir: Path, standin: SlackStandin
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "AIMS_"))}
    env.update(
        AIMS_CONFIG=str(org_dir / "aims.yaml"),
        AIMS_DATA_DIR=str(data_dir),
        AIMS_DATABASE_URL=database_url,
        AIMS_DEMO_DIR=str(data_dir / "demo"),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        SLACK_RESPONSE_HOSTS="127.0.0.1",  # where the stand-in serves response_urls
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        PYTHONUNBUFFERED="1",
    )
    return env


def sender(standin: SlackStandin, url: str) -> SlackRig:
    """A SlackRig that only signs and sends to `url` (the app runs in another process)."""
    return SlackRig(ctx=None, app=None, services=None, standin=standin, url=url)  # type: ignore[arg-type]


def _start(
    name: str, org_dir: Path, database_url: str, standin: SlackStandin, workdir: Path
) -> Replica:
    data_dir = workdir / f"replica-{name}"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    stderr_path = workdir / f"replica-{name}.stderr.log"
    with open(workdir / f"replica-{name}.stdout.log", "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            [*AIMS, "run", "--port", str(port), "--host", "127.0.0.1"],
            cwd=REPO,
            env=replica_env(org_dir, database_url, data_dir, standin),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    rig = sender(standin, f"http://127.0.0.1:{port}/slack/events")
    return Replica(name, port, data_dir, stderr_path, process, rig)


def _wait_ready(replica: Replica, deadline: float) -> None:
    """Until a signed url_verification is answered with its challenge."""
    challenge = json.dumps(
        {"type": "url_verification", "challenge": f"ready-{replica.name}", "token": "t"}
    )
    while True:
        if replica.process.poll() is not None:
            raise AssertionError(
                f"replica {replica.name} exited with {replica.process.returncode} before it "
                f"answered:\n{replica.stderr_tail()}"
            )
        try:
            answer = replica.rig.post(challenge, JSON)
            if answer.status == 200 and f"ready-{replica.name}" in answer.body:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(
                f"replica {replica.name} did not answer within the start-up time:\n"
                f"{replica.stderr_tail()}"
            )
        time.sleep(0.1)


def _stop_all(replicas: list[Replica]) -> None:
    for replica in replicas:
        replica.stop()


def report_logs(replicas: list[Replica]) -> str:
    return "\n".join(
        f"----- replica {r.name} (pid {r.process.pid}, exit {r.process.poll()}) stderr, last "
        f"lines -----\n{r.stderr_tail()}"
        for r in replicas
    )


@contextmanager
def running_replicas(
    org_dir: Path,
    database_url: str,
    standin: SlackStandin,
    workdir: Path,
    *,
    count: int = 2,
    ready_within: float = 120.0,
) -> Iterator[list[Replica]]:
    """Start `count` replicas together (each loads the embedding model, in parallel), yield them
    once each answers; print their logs' tails if the body fails; always stop them."""
    replicas: list[Replica] = []
    with ExitStack() as stack:
        stack.callback(_stop_all, replicas)
        for index in range(count):
            name = chr(ord("a") + index)
            replicas.append(_start(name, org_dir, database_url, standin, workdir))
        deadline = time.monotonic() + ready_within
        try:
            for replica in replicas:
                _wait_ready(replica, deadline)
            yield replicas
        except BaseException:
            sys.stderr.write("\n" + report_logs(replicas) + "\n")
            raise


# --- the load balancer -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One signed POST to one replica (a retry carries Slack's retry headers)."""

    to: int
    body: str
    content_type: str
    retry: bool = False


@dataclass
class Balancer:
    """Plays Slack and the load balancer: a delivery goes to one replica, Slack's retry of it to
    the other; everything is posted from a pool of `workers` threads."""

    replicas: list[Replica]
    workers: int = 24
    pool: ThreadPoolExecutor = field(init=False)
    responses: list[tuple[Delivery, Response]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="slack")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    @property
    def rig(self) -> SlackRig:
        """For building payloads (all replicas share the stand-in and the signing secret)."""
        return self.replicas[0].rig

    def other(self, to: int) -> int:
        return (to + 1) % len(self.replicas)

    # -- what Slack would send, and its retry to the other replica --
    def with_retry(self, body: str, content_type: str, *, to: int) -> list[Delivery]:
        return [
            Delivery(to, body, content_type),
            Delivery(self.other(to), body, content_type, retry=True),
        ]

    def event(
        self, event: dict[str, Any], *, to: int, event_id: str | None = None
    ) -> list[Delivery]:
        return self.with_retry(self.rig.event_body(event, event_id=event_id), JSON, to=to)

    def command(self, form: dict[str, str], *, to: int) -> list[Delivery]:
        return self.with_retry(urlencode(form), FORM, to=to)

    # -- sending --
    def post(self, delivery: Delivery) -> Response:
        replica = self.replicas[delivery.to]
        headers = RETRY if delivery.retry else None
        try:
            answer = replica.rig.post(delivery.body, delivery.content_type, headers=headers)
        except OSError as error:
            raise AssertionError(
                f"replica {replica.name} did not answer ({error}):\n{replica.stderr_tail()}"
            ) from error
        with self._lock:
            self.responses.append((delivery, answer))
        return answer

    def deliver(self, deliveries: list[Delivery]) -> list[Response]:
        """Post all at once from the pool; every one must be acknowledged with 200."""
        answers = list(self.pool.map(self.post, deliveries))
        refused = [
            (d.to, d.retry, a.status, a.body[:200])
            for d, a in zip(deliveries, answers, strict=True)
            if a.status != 200
        ]
        assert refused == [], f"requests not acknowledged: {refused}"
        return answers

    def race(self, deliveries: list[Delivery]) -> list[Response]:
        """Post all at the same moment: one thread each, released together by a barrier."""
        barrier = threading.Barrier(len(deliveries))
        answers: list[Response | BaseException | None] = [None] * len(deliveries)

        def send(index: int) -> None:
            try:
                barrier.wait(timeout=30)
                answers[index] = self.post(deliveries[index])
            except BaseException as error:  # re-raised below, on the test's thread
                answers[index] = error

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(deliveries))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        statuses = [a.status if isinstance(a, Response) else None for a in answers]
        assert statuses == [200] * len(deliveries), f"raced requests not acknowledged: {statuses}"
        return [a for a in answers if isinstance(a, Response)]


# --- waiting for eventual results --------------------------------------------------------------


def eventually(check: Callable[[], T | None], what: str, *, timeout: float = 30.0) -> T:
    """Poll `check` until it returns something truthy, and return that; fail naming `what`
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def settled(check: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll `check` until it holds or `timeout` passes; whether it held (for a wait whose
    failure the assertions after it describe better)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def posts_in(standin: SlackStandin, channel: str, thread_ts: str) -> list[Call]:
    """chat.postMessage calls in one thread (its replies, not the root)."""
    return [
        c
        for c in standin.calls_to("chat.postMessage")
        if c.channel == channel and c.args.get("thread_ts") == thread_ts
    ]


def responses_to(standin: SlackStandin, trigger: str) -> list[Call]:
    """What was posted to one command's response_url (the stand-in's /response/<trigger>)."""
    return [c for c in standin.calls_to("response_url") if c.path == f"/response/{trigger}"]


# --- what must hold afterwards -----------------------------------------------------------------


def dump_calls(standin: SlackStandin, path: Path) -> Path:
    """Every call the stand-in recorded, one JSON line each (for reading after a failure)."""
    with path.open("w", encoding="utf-8") as out:
        for call in list(standin.calls):
            line = {"method": call.method, "path": call.path, "args": call.args}
            out.write(json.dumps({**line, "response": call.response}, default=str) + "\n")
    return path


def duplicate_posts(standin: SlackStandin) -> dict[tuple[str, str, str], int]:
    """chat.postMessage calls that repeat another's channel, thread and text (a double send)."""
    seen = Counter(
        (str(c.channel), str(c.args.get("thread_ts")), str(c.args.get("text")))
        for c in standin.calls_to("chat.postMessage")
    )
    return {key: n for key, n in seen.items() if n > 1}


def outbox_problems(ctx: AppContext, standin: SlackStandin) -> list[str]:
    """Every outbox row sent exactly once, and each thread's (and each updated message's) sends
    in the order the rows were queued. Returns what is wrong, empty when nothing is."""
    problems: list[str] = []
    calls = list(standin.calls)
    position = {id(call): index for index, call in enumerate(calls)}
    with ctx.db.session() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        unsent = [(r.id, r.dedupe_key, r.status, r.error) for r in rows if r.status != "sent"]
        if unsent:
            return [f"outbox rows not sent: {unsent}"]
        sent_at: dict[str, int] = {}  # dedupe key -> index of the call that sent it
        thread_order: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row in rows:
            if row.op == "anchor":
                continue
            plan = plan_for(session, row)
            if row.op == "post":
                matching = [
                    c for c in calls if c.method == "chat.postMessage" and c.ts == row.slack_ts
                ]
                same = [
                    c
                    for c in calls
                    if c.method == "chat.postMessage"
                    and c.channel == row.slack_channel
                    and c.args.get("thread_ts") == plan.thread_ts
                    and c.args.get("text") == plan.text
                ]
                if len(matching) != 1 or len(same) != 1:
                    problems.append(
                        f"outbox row {row.id} ({row.dedupe_key}): {len(matching)} posts with its "
                        f"ts, {len(same)} with its channel, thread and text (want 1 each)"
                    )
                    continue
                sent_at[row.dedupe_key] = position[id(matching[0])]
            elif row.op == "update" and plan.target is not None:
                channel, ts = plan.target
                same = [
                    c
                    for c in calls
                    if c.method == "chat.update"
                    and c.args.get("channel") == channel
                    and c.args.get("ts") == ts
                    and c.args.get("text") == plan.text
                ]
                if not same:
                    problems.append(f"outbox update {row.id} ({row.dedupe_key}) was never applied")
                    continue
                sent_at[row.dedupe_key] = position[id(same[0])]
            else:
                continue
            for group in (row.thread_of, row.target_of):
                if group is not None:
                    thread_order[group].append((row.id, sent_at[row.dedupe_key]))
            for parent in (row.thread_of, row.target_of):
                if parent in sent_at and sent_at[parent] > sent_at[row.dedupe_key]:
                    problems.append(f"outbox row {row.id} was sent before {parent}")
        # An update repeated with the same text cannot be told apart; count them instead.
        updates = Counter(
            (c.args.get("channel"), c.args.get("ts"), c.args.get("text"))
            for c in calls
            if c.method == "chat.update"
        )
        wanted: Counter[tuple[Any, Any, Any]] = Counter()
        for row in rows:
            if row.op == "update":
                plan = plan_for(session, row)
                if plan.target is not None:
                    wanted[(*plan.target, plan.text)] += 1
        for key, n in wanted.items():
            if updates[key] != n:
                problems.append(f"chat.update {key[:2]} sent {updates[key]} times for {n} rows")
    for group, sends in thread_order.items():
        order = [index for _, index in sorted(sends)]
        if order != sorted(order):
            problems.append(f"thread {group!r}: rows sent out of order {sorted(sends)}")
    return problems


def ledger_lines(ctx: AppContext) -> list[LedgerLine]:
    with ctx.db.session() as session:
        return list(evidence.iter_ledger(session))


def chain_heads(lines: list[LedgerLine]) -> list[int]:
    """Events no other event links to: one for a single chain, more if the chain forked."""
    linked = Counter(line.prev_hash for line in lines)
    forks = [hash_ for hash_, n in linked.items() if n > 1]
    assert forks == [], f"events share a previous hash (a forked chain): {forks[:3]}"
    return [line.seq for line in lines if line.hash not in linked]
