"""How long do building and verifying an audit pack take for a large ledger?

A ledger of N events (default 100,000: gateway decisions and completions, policy answers and
register changes, with a signed digest every 20,000 events) is written on SQLite in bulk; then
`aims audit pack` builds a pack of it and the pack's own verifier (`verify_pack.py`, the same code
`aims audit verify` runs) checks it: the hash chain, every signed digest, the signing keys.

The baseline, measured in the same run on the same file: raw SHA-256 over every line of the
pack's evidence.jsonl, streamed (no parsing, no chain). The target is verification at 0.3x that
rate or better: the chain walk, not JSON parsing, should dominate.

    .venv/bin/python -m bench.bench_audit [--events 100000]

Prints figures; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_evidence import decision_payload  # noqa: E402
from bench.workspace import sample_organisation  # noqa: E402
from bot.context import build_context  # noqa: E402
from governance.audit.digests import write_digest  # noqa: E402
from governance.audit.keys import init_key  # noqa: E402
from governance.audit.pack import build_pack  # noqa: E402
from governance.settings import Settings  # noqa: E402
from store import evidence  # noqa: E402
from store.db import sqlite_url  # noqa: E402
from store.evidence_kinds import EvidenceKind  # noqa: E402
from store.ledger_verify import verify_pack  # noqa: E402

LEAD = "U0ACME0001"
TARGET_RATIO = 0.3
BATCH = 5_000
DIGEST_EVERY = 20_000


def fill(ctx: Any, events: int) -> None:
    """`events` gateway decisions, in bulk transactions, with a signed digest every
    DIGEST_EVERY events (as the hourly job would leave them)."""
    written = 0
    started = time.perf_counter()
    while written < events:
        size = min(BATCH, events - written)
        batch = [
            evidence.NewEvent(
                f"KEY-{n % 40:04d}",
                EvidenceKind.GATEWAY_DECISION,
                f"AIU-{n % 40:04d}",
                decision_payload(n),
            )
            for n in range(written, written + size)
        ]
        with ctx.db.engine.begin() as connection:
            evidence.append_many(connection, batch)
        written += size
        if written % DIGEST_EVERY == 0:
            with ctx.db.session() as session:
                write_digest(session, ctx, actor="scheduler")
    print(f"  wrote {written:,} events in {time.perf_counter() - started:.1f} s (setup)")


def raw_sha256(path: Path) -> tuple[int, float]:
    """(lines, seconds) to SHA-256 every line of `path`, streamed."""
    started = time.perf_counter()
    lines = 0
    with path.open("rb") as handle:
        for line in handle:
            hashlib.sha256(line).digest()
            lines += 1
    return lines, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aims-bench-audit-"))
    try:
        org = sample_organisation(work)
        settings = Settings(database_url=sqlite_url(work / "aims.db"), data_dir=work / "data")
        ctx = build_context(org / "aims.yaml", settings)
        with ctx.db.session() as session:
            init_key(session, ctx, actor=LEAD)
        print(f"Audit pack: a ledger of {args.events:,} events on SQLite, signed digests")
        fill(ctx, args.events)

        out = work / "pack"
        now = datetime.now(UTC) + timedelta(seconds=1)
        started = time.perf_counter()
        result = build_pack(ctx, out, period=None, actor=LEAD, now=now)
        build_s = time.perf_counter() - started
        evidence_file = out / "evidence.jsonl"
        size_mb = evidence_file.stat().st_size / 1e6

        lines, sha_s = raw_sha256(evidence_file)
        started = time.perf_counter()
        report = verify_pack(out)
        verify_s = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"the pack did not verify:\n{report.describe()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sha_rate, verify_rate = lines / sha_s, result.events / verify_s
    ratio = verify_rate / sha_rate
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    print(f"  evidence.jsonl: {result.events:,} events, {size_mb:.1f} MB")
    row("build the pack (folder + zip)", build_s, result.events / build_s, "events/s")
    row("baseline: raw SHA-256 of every line", sha_s, sha_rate, "lines/s")
    row("verify the pack (chain, digests, keys)", verify_s, verify_rate, "events/s")
    print(f"  {'verification rate / raw hashing rate':<40} {ratio:8.2f} x", end="  ")
    print(f"target >= {TARGET_RATIO} x  {verdict}")


def row(name: str, seconds: float, rate: float, unit: str) -> None:
    print(f"  {name:<40} {seconds:8.2f} s  {rate:>10,.0f} {unit}")


if __name__ == "__main__":
    main()
