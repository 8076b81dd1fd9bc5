"""Several OS processes that start appending at the same moment, as replicas would, and the
check that the ledger they share is still one intact chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store import evidence
from store.db import Database

REPO = Path(__file__).resolve().parents[2]


def run_together(scripts: list[list[str]], *, timeout: float) -> list[str]:
    """Run `python -c SCRIPT ARGS…` for each entry; each prints "ready", waits for "go" on
    stdin, does its work and prints a result. All get "go" once all are ready. Their outputs."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", *script],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for script in scripts
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready", process.stderr
        for process in processes:  # all start together
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, err
            outputs.append(out.strip())
        return outputs
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


def assert_one_chain(db: Database, count: int) -> list[evidence.LedgerLine]:
    """The ledger verifies and holds exactly `count` events numbered 1..count."""
    with db.session() as session:
        lines = list(evidence.iter_ledger(session))
    assert evidence.verify(lines).describe() == f"OK {count} events"
    assert [line.seq for line in lines] == list(range(1, count + 1))
    return lines
