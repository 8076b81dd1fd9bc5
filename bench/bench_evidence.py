"""Evidence ledger throughput: appends and verification, on SQLite and Postgres.

    .venv/bin/python -m bench.bench_evidence [--events 2000] [--batch 100]
        [--decisions 1500] [--callers 1,20,100] [--window-ms 2]

The ceiling is raw hashlib SHA-256 over the very canonical bodies the ledger hashes, measured in
the same run: the ledger can never be faster than that, so the ratio says how much the database,
the lock and the serialisation cost on top.

Gateway decisions: N concurrent callers (threads, and asyncio tasks for the async path) each
append `gateway.decision` events and wait for their commit, through one GroupCommitter
(store.evidence_batch) against the baseline measured in the same run: the same callers each
committing one transaction per append. Postgres runs too when a server answers at
AIMS_TEST_POSTGRES_URL (127.0.0.1:5432 by default). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from store import evidence
from store.db import Database, sqlite_url
from store.evidence_batch import GroupCommitter
from store.evidence_kinds import EvidenceKind

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def sample_payload(number: int) -> dict[str, Any]:
    """About the size of a real `record.created` event: a whole record snapshot and a reason."""
    return {
        "reason": "created",
        "record": {
            "ref": f"AIU-{number:04d}",
            "title": f"Copilot drafts complaint replies #{number}",
            "purpose": "Draft first replies to customer complaints; an agent edits every one. " * 3,
            "business_unit": "Customer Operations",
            "owner": "U0ACME0001",
            "requester": "U0ACME0002",
            "vendor": "Microsoft",
            "tool": "Microsoft 365 Copilot",
            "model_version": "GPT-4o (2024-11)",
            "third_party": True,
            "deployment": "employee-facing",
            "affected_people": ["customers", "complaint handlers"],
            "data_categories": ["personal", "customer"],
            "human_oversight": "in-the-loop",
            "risk_tier": "limited",
            "tier_reasons": ["personal data: at least limited", "customer-facing content"],
            "conditions": ["Human review of every draft", "Weekly sampling by the owner"],
            "next_review": "2027-03-01",
            "status": "draft",
            "version": 1,
        },
    }


def canonical_bodies(count: int) -> list[bytes]:
    """Exactly what `evidence.event_hash` feeds SHA-256 for each event (prev hash included)."""
    bodies, prev = [], evidence.GENESIS
    for number in range(1, count + 1):
        payload = evidence.canonical_json(evidence.redact_secrets(sample_payload(number)))
        body = evidence.canonical_json(
            {
                "prev": prev,
                "time": evidence.timestamp(START + timedelta(seconds=number)),
                "actor": "U0ACME0001",
                "kind": "record.created",
                "subject": f"AIU-{number:04d}",
                "payload": payload,
            }
        ).encode("utf-8")
        prev = hashlib.sha256(body).hexdigest()
        bodies.append(body)
    return bodies


def ceiling_rate(bodies: list[bytes], rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for body in bodies:
            hashlib.sha256(body).hexdigest()
        best = min(best, time.perf_counter() - started)
    return len(bodies) / best


@dataclass
class Figure:
    backend: str
    what: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


def timed(backend: str, what: str, events: int, action: Callable[[], object]) -> Figure:
    started = time.perf_counter()
    action()
    return Figure(backend, what, events, time.perf_counter() - started)


def append_events(db: Database, first: int, count: int, per_transaction: int) -> None:
    number = first
    while number < first + count:
        with db.session() as session:
            for _ in range(min(per_transaction, first + count - number)):
                evidence.append(
                    session,
                    actor="U0ACME0001",
                    kind=EvidenceKind.RECORD_CREATED,
                    subject=f"AIU-{number:04d}",
                    payload=sample_payload(number),
                    now=START + timedelta(seconds=number),
                )
                number += 1


def verify_database(db: Database) -> evidence.VerifyResult:
    with db.session() as session:
        result = evidence.verify(evidence.iter_ledger(session))
    if not result.ok:
        raise SystemExit(f"the bench ledger does not verify: {result.describe()}")
    return result


def measure(backend: str, db: Database, events: int, batch: int, workdir: Path) -> list[Figure]:
    single = max(events // 4, 1)  # one transaction per event is slow; a quarter is enough
    figures = [
        timed(
            backend,
            "append, 1 event per transaction",
            single,
            lambda: append_events(db, 1, single, 1),
        ),
        timed(
            backend,
            f"append, {batch} events per transaction",
            events,
            lambda: append_events(db, single + 1, events, batch),
        ),
    ]
    total = single + events
    figures.append(timed(backend, "verify from the database", total, lambda: verify_database(db)))
    exported = workdir / f"{backend}.jsonl"
    with db.session() as session:
        figures.append(
            timed(
                backend, "export to JSONL", total, lambda: evidence.export_jsonl(session, exported)
            )
        )
    figures.append(
        timed(
            backend,
            "verify an exported file",
            total,
            lambda: evidence.verify(evidence.read_jsonl(exported)),
        )
    )
    return figures


@contextmanager
def sqlite_database(workdir: Path, name: str = "bench.db") -> Iterator[Database]:
    db = Database(sqlite_url(workdir / name))
    db.ensure_schema()
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def postgres_database(quiet: bool = False) -> Iterator[Database | None]:
    from tests.support.databases import postgres_available, postgres_schema, postgres_url

    if not postgres_available():
        if not quiet:
            print(f"NOTICE: no Postgres server answers at {postgres_url()}; Postgres skipped")
        yield None
        return
    with postgres_schema() as url:
        db = Database(url)
        db.ensure_schema()
        try:
            yield db
        finally:
            db.dispose()


# --- gateway decisions: group commit against one transaction per append ------------------


def decision_payload(number: int) -> dict[str, Any]:
    """A `gateway.decision` as the gateway records it before forwarding: a redacted request
    (two kinds of personal data found), hashes of the prompt as received and as forwarded."""
    received = hashlib.sha256(f"prompt {number}".encode()).hexdigest()
    return {
        "key_id": f"KEY-{number % 40:04d}",
        "key_prefix": "aims_sk_Ab3x",
        "record_ref": f"AIU-{number % 40:04d}",
        "version": 3,
        "model": "gpt-4o-mini",
        "outcome": "redact",
        "reason": None,
        "message": "personal data replaced by placeholders: EMAIL_ADDRESS, PERSON",
        "found": {"EMAIL_ADDRESS": 1, "PERSON": 1},
        "redacted": {"EMAIL_ADDRESS": 1, "PERSON": 1},
        "prompt_sha256_received": received,
        "prompt_sha256_forwarded": hashlib.sha256(received.encode()).hexdigest(),
        "upstream": "openai",
        "upstream_status": None,
        "latency_ms": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "via": "http",
        "text": None,
    }


@dataclass
class DecisionFigure:
    backend: str
    how: str
    callers: int
    decisions: int
    seconds: float
    latencies: list[float]  # seconds, per append, as its caller waited for it
    batches: int | None = None

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds if self.seconds else float("inf")

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _append_in_own_transaction(db: Database, number: int) -> None:
    with db.session() as session:
        evidence.append(
            session,
            actor=f"KEY-{number % 40:04d}",
            kind=EvidenceKind.GATEWAY_DECISION,
            subject=f"AIU-{number % 40:04d}",
            payload=decision_payload(number),
        )


def _threads(callers: int, decisions: int, append: Callable[[int], object]) -> tuple[float, list]:
    """`callers` threads share `decisions` appends, each waiting for its own; wall time."""
    each = max(decisions // callers, 1)
    latencies: list[list[float]] = [[] for _ in range(callers)]
    barrier = threading.Barrier(callers + 1)

    def caller(index: int) -> None:
        barrier.wait()
        for number in range(index * each, (index + 1) * each):
            started = time.perf_counter()
            append(number)
            latencies[index].append(time.perf_counter() - started)

    threads = [threading.Thread(target=caller, args=(index,)) for index in range(callers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [value for per in latencies for value in per]


def _tasks(committer: GroupCommitter, callers: int, decisions: int) -> tuple[float, list]:
    each = max(decisions // callers, 1)
    latencies: list[float] = []

    async def caller(index: int) -> None:
        for number in range(index * each, (index + 1) * each):
            started = time.perf_counter()
            await committer.append_async(
                actor=f"KEY-{number % 40:04d}",
                kind=EvidenceKind.GATEWAY_DECISION,
                subject=f"AIU-{number % 40:04d}",
                payload=decision_payload(number),
            )
            latencies.append(time.perf_counter() - started)

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(caller(index) for index in range(callers)))
        return time.perf_counter() - started

    return asyncio.run(run()), latencies


def measure_decisions(
    backend: str, db: Database, decisions: int, callers: list[int], window_ms: float
) -> list[DecisionFigure]:
    figures: list[DecisionFigure] = []
    for count in callers:
        each = max(decisions // count, 1)
        # The baseline does a third of the work: one transaction per append is slow.
        base = max(each // 3, 1) * count
        seconds, latencies = _threads(count, base, lambda n: _append_in_own_transaction(db, n))
        figures.append(
            DecisionFigure(backend, "1 transaction per append", count, base, seconds, latencies)
        )
        for how in ("GroupCommitter, threads", "GroupCommitter, asyncio"):
            with GroupCommitter(db, window_ms=window_ms) as committer:
                if how.endswith("threads"):
                    seconds, latencies = _threads(
                        count,
                        each * count,
                        lambda n, c=committer: c.append(
                            actor=f"KEY-{n % 40:04d}",
                            kind=EvidenceKind.GATEWAY_DECISION,
                            subject=f"AIU-{n % 40:04d}",
                            payload=decision_payload(n),
                        ),
                    )
                else:
                    seconds, latencies = _tasks(committer, count, each * count)
            figures.append(
                DecisionFigure(
                    backend, how, count, each * count, seconds, latencies, committer.batches
                )
            )
    figures.append(_ceiling(backend, db, decisions))
    verify_database(db)
    return figures


def _ceiling(
    backend: str, db: Database, decisions: int, per_transaction: int = 100
) -> DecisionFigure:
    """What a committer calling `evidence.append` can reach at best: one thread, no callers to
    wake, `per_transaction` decisions per transaction."""
    latencies: list[float] = []
    started = time.perf_counter()
    for first in range(0, decisions, per_transaction):
        with db.session() as session:
            for number in range(first, min(first + per_transaction, decisions)):
                evidence.append(
                    session,
                    actor=f"KEY-{number % 40:04d}",
                    kind=EvidenceKind.GATEWAY_DECISION,
                    subject=f"AIU-{number % 40:04d}",
                    payload=decision_payload(number),
                )
        latencies.append(time.perf_counter() - started)
    batches = -(-decisions // per_transaction)
    return DecisionFigure(
        backend,
        f"ceiling: {per_transaction}/txn, 1 thread",
        0,
        decisions,
        time.perf_counter() - started,
        latencies,
        batches,
    )


def report_decisions(figures: list[DecisionFigure], window_ms: float) -> None:
    print(
        f"\nGateway decisions (`gateway.decision`, ~{decision_size():.0f} bytes canonical JSON), "
        f"each caller waiting for its commit; GroupCommitter window {window_ms:g} ms"
    )
    print(
        f"{'backend':9} {'how':26} {'callers':>7} {'decisions':>9} {'per s':>8} {'vs base':>8} "
        f"{'batch':>6} {'p50 ms':>7} {'p99 ms':>7}"
    )
    baseline: dict[tuple[str, int], float] = {}
    for f in figures:
        if f.batches is None:
            baseline[(f.backend, f.callers)] = f.rate
        versus = f.rate / baseline[(f.backend, f.callers or 1)]
        batch = f"{f.decisions / f.batches:6.1f}" if f.batches else f"{'1':>6}"
        callers = str(f.callers) if f.callers else "-"
        waits = (
            f"{f.percentile(0.50):7.2f} {f.percentile(0.99):7.2f}"
            if f.callers
            else f"{'-':>7} {'-':>7}"
        )
        print(
            f"{f.backend:9} {f.how:26} {callers:>7} {f.decisions:9d} {f.rate:8.0f} "
            f"{versus:7.1f}x {batch} {waits}"
        )


def decision_size() -> float:
    return len(evidence.canonical_json(decision_payload(1)))


def report(figures: list[Figure], ceiling: float) -> None:
    print(
        f"{'backend':9} {'measure':36} {'events':>7} {'seconds':>8} {'events/s':>10} "
        f"{'of ceiling':>10} {'slower':>8}"
    )
    for f in figures:
        print(
            f"{f.backend:9} {f.what:36} {f.events:7d} {f.seconds:8.3f} {f.rate:10.0f} "
            f"{f.rate / ceiling:10.4f} {ceiling / f.rate:7.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per backend")
    parser.add_argument("--batch", type=int, default=100, help="events per batched transaction")
    parser.add_argument(
        "--decisions", type=int, default=1500, help="gateway decisions per measurement"
    )
    parser.add_argument(
        "--callers", default="1,20,100", help="concurrent callers, comma-separated (1,20,100)"
    )
    parser.add_argument("--window-ms", type=float, default=2.0, help="GroupCommitter window")
    args = parser.parse_args()
    callers = [int(part) for part in args.callers.split(",") if part.strip()]

    bodies = canonical_bodies(args.events)
    ceiling = ceiling_rate(bodies)
    size = sum(len(body) for body in bodies) / len(bodies)
    print(f"Evidence ledger bench: {args.events} events of ~{size:.0f} bytes canonical JSON")
    print(f"Ceiling: hashlib SHA-256 over the same canonical bodies: {ceiling:,.0f} events/s\n")

    figures: list[Figure] = []
    decisions: list[DecisionFigure] = []
    with tempfile.TemporaryDirectory(prefix="aims-bench-") as tmp:
        workdir = Path(tmp)
        with sqlite_database(workdir) as db:
            figures += measure("sqlite", db, args.events, args.batch, workdir)
        with sqlite_database(workdir, "decisions.db") as db:
            decisions += measure_decisions("sqlite", db, args.decisions, callers, args.window_ms)
        with postgres_database() as pg:
            if pg is not None:
                figures += measure("postgres", pg, args.events, args.batch, workdir)
        with postgres_database(quiet=True) as pg:
            if pg is not None:
                decisions += measure_decisions(
                    "postgres", pg, args.decisions, callers, args.window_ms
                )
    report(figures, ceiling)
    report_decisions(decisions, args.window_ms)


if __name__ == "__main__":
    main()
