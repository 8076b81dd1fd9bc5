"""Evidence ledger throughput: appends and verification, on SQLite and Postgres.

    .venv/bin/python -m bench.bench_evidence [--events 2000] [--batch 100]

The ceiling is raw hashlib SHA-256 over the very canonical bodies the ledger hashes, measured in
the same run: the ledger can never be faster than that, so the ratio says how much the database,
the lock and the serialisation cost on top. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from store import evidence
from store.db import Database, sqlite_url
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
def sqlite_database(workdir: Path) -> Iterator[Database]:
    db = Database(sqlite_url(workdir / "bench.db"))
    db.ensure_schema()
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def postgres_database() -> Iterator[Database | None]:
    from tests.support.databases import postgres_available, postgres_schema, postgres_url

    if not postgres_available():
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
    args = parser.parse_args()

    bodies = canonical_bodies(args.events)
    ceiling = ceiling_rate(bodies)
    size = sum(len(body) for body in bodies) / len(bodies)
    print(f"Evidence ledger bench: {args.events} events of ~{size:.0f} bytes canonical JSON")
    print(f"Ceiling: hashlib SHA-256 over the same canonical bodies: {ceiling:,.0f} events/s\n")

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="aims-bench-") as tmp:
        workdir = Path(tmp)
        with sqlite_database(workdir) as db:
            figures += measure("sqlite", db, args.events, args.batch, workdir)
        with postgres_database() as pg:
            if pg is not None:
                figures += measure("postgres", pg, args.events, args.batch, workdir)
    report(figures, ceiling)


if __name__ == "__main__":
    main()
