"""Appends from several writers at once leave one intact chain: replicas on Postgres (separate
OS processes), threads on SQLite."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from store import evidence
from store.db import Database, sqlite_url
from store.evidence_kinds import EvidenceKind
from tests.support.replicas import REPO, assert_one_chain, run_together

# One replica: connect, say it is ready, wait for "go", then append one event per transaction
# (as every governance service does) and report how many it wrote.
WRITER = """
import sys
from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind
url, actor, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = Database(url)
with db.session() as session:
    session.connection()  # connect now, not after "go"
print("ready", flush=True)
sys.stdin.readline()
for number in range(count):
    with db.session() as session:
        evidence.append(
            session, actor=actor, kind=EvidenceKind.RECORD_UPDATED, subject="AIU-0001",
            payload={"version": number, "changes": {}, "reason": actor},
        )
db.dispose()
print("done", count, flush=True)
"""


def _run_writers(url: str, writers: int, each: int) -> None:
    scripts = [[WRITER, url, f"U0WRITER{index}", str(each)] for index in range(writers)]
    assert run_together(scripts, timeout=120) == [f"done {each}"] * writers


def _assert_one_intact_chain(db: Database, writers: int, each: int) -> None:
    lines = assert_one_chain(db, writers * each)
    per_writer = {line.actor: 0 for line in lines}
    for line in lines:
        per_writer[line.actor] += 1
    assert per_writer == {f"U0WRITER{index}": each for index in range(writers)}


def test_two_replicas_appending_at_once_on_postgres_leave_one_chain(pg_db):
    _run_writers(pg_db.url, writers=2, each=500)
    _assert_one_intact_chain(pg_db, writers=2, each=500)


def test_two_processes_appending_at_once_on_sqlite_leave_one_chain(tmp_path):
    db = Database(sqlite_url(tmp_path / "aims.db"))
    db.ensure_schema()
    try:
        _run_writers(db.url, writers=2, each=200)
        _assert_one_intact_chain(db, writers=2, each=200)
    finally:
        db.dispose()


def test_two_threads_appending_at_once_leave_one_chain(db):
    each, barrier, errors = 200, threading.Barrier(2), []

    def write(actor: str) -> None:
        try:
            barrier.wait()
            for number in range(each):
                with db.session() as session:
                    evidence.append(
                        session,
                        actor=actor,
                        kind=EvidenceKind.RECORD_UPDATED,
                        subject="AIU-0001",
                        payload={"version": number, "changes": {}, "reason": actor},
                    )
        except Exception as exc:  # reported below, with the thread's name
            errors.append(f"{actor}: {exc!r}")

    threads = [threading.Thread(target=write, args=(f"U0WRITER{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    _assert_one_intact_chain(db, writers=2, each=each)


@pytest.mark.parametrize("writers", [2])
def test_concurrent_schema_upgrades_on_postgres_do_not_collide(pg_db, writers):
    """Replicas starting together against a fresh database each call ensure_schema()."""
    from tests.support.databases import postgres_schema

    script = (
        "import sys; from store.db import Database; "
        "d = Database(sys.argv[1]); d.ensure_schema(); print(d.is_current())"
    )
    with postgres_schema() as url:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, url],
                cwd=REPO,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(writers)
        ]
        outcomes = [process.communicate(timeout=120) for process in processes]
        assert [p.returncode for p in processes] == [0] * writers, [e for _, e in outcomes]
        assert [out.strip() for out, _ in outcomes] == ["True"] * writers
