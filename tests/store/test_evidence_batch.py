"""Group-committed evidence appends (store.evidence_batch): every caller's event is committed
before its append returns, batches keep one intact chain across threads, tasks and processes,
a bad payload fails only its caller and a failed transaction fails every caller in it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import event, exc, select, text
from sqlalchemy.engine import make_url

from store import evidence
from store.db import Database, sqlite_url
from store.evidence_batch import CommitterClosed, EvidenceCommitError, GroupCommitter
from store.evidence_kinds import EvidenceKind, PayloadMismatch, UnknownEvidenceKind
from store.models import EvidenceEvent
from tests.support.replicas import assert_one_chain, run_together

LIVENESS = 60.0  # seconds: how long a step may take before the test calls it stuck


def _payload(number: int, reason: str = "batched") -> dict[str, object]:
    return {"version": number, "changes": {}, "reason": reason}


def _append(committer: GroupCommitter, actor: str, number: int) -> int:
    return committer.append(
        actor=actor, kind=EvidenceKind.RECORD_UPDATED, subject="AIU-0001", payload=_payload(number)
    )


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LIVENESS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"stuck waiting until {what}")
        time.sleep(0.005)


def _taken_alone(committer: GroupCommitter) -> bool:
    """The one event handed over so far is in a batch being committed (none is queued)."""
    return committer.in_flight == 1 and committer.pending == 0


@contextmanager
def _ledger_held(db: Database) -> Iterator[None]:
    """Hold the ledger's write lock from another connection, as a writer in another process
    would, so the committer's next transaction waits for it (SQLite: BEGIN IMMEDIATE; Postgres:
    the ledger's advisory lock)."""
    connection = db.engine.connect()
    transaction = connection.begin()  # SQLite: the engine's "begin" hook runs BEGIN IMMEDIATE
    if db.is_postgres:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, 'evidence_events'::regclass::oid::int)"),
            {"key": evidence.LEDGER_LOCK_KEY},
        )
    try:
        yield
    finally:
        transaction.rollback()
        connection.close()


class _Callers:
    """Threads that each append and keep what they got back (a seq or an exception)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, object] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, call: Callable[[], int]) -> threading.Thread:
        def run() -> None:
            try:
                self.outcomes[name] = call()
            except Exception as error:
                self.outcomes[name] = error

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()
        return thread

    def join(self) -> dict[str, object]:
        for thread in self.threads:
            thread.join(timeout=LIVENESS)
            assert not thread.is_alive(), f"{thread.name} never returned"
        return self.outcomes


def test_appends_from_50_threads_all_commit_with_distinct_seqs_in_one_chain(db):
    threads, each = 50, 20
    barrier = threading.Barrier(threads)
    seqs: dict[str, list[int]] = {}
    callers = _Callers()
    with GroupCommitter(db) as committer:

        def write(actor: str) -> int:
            barrier.wait()
            seqs[actor] = [_append(committer, actor, number) for number in range(each)]
            return len(seqs[actor])

        for index in range(threads):
            callers.start(f"U0WRITER{index:02d}", lambda actor=f"U0WRITER{index:02d}": write(actor))
        outcomes = callers.join()
    assert set(outcomes.values()) == {each}, outcomes
    everything = [seq for actor_seqs in seqs.values() for seq in actor_seqs]
    assert sorted(everything) == list(range(1, threads * each + 1))
    lines = assert_one_chain(db, threads * each)
    by_seq = {line.seq: line for line in lines}
    for actor, actor_seqs in seqs.items():  # each seq returned is that caller's own event
        assert [by_seq[seq].actor for seq in actor_seqs] == [actor] * each
        assert actor_seqs == sorted(actor_seqs)  # one caller's events stay in its order
    assert committer.committed == threads * each
    assert committer.in_flight == 0 and committer.pending == 0


def test_no_batch_is_larger_than_max_batch(db):
    callers = _Callers()
    with GroupCommitter(db, window_ms=0, max_batch=4) as committer, _ledger_held(db):
        callers.start("first", lambda: _append(committer, "U0FIRST", 0))
        _wait_until(lambda: _taken_alone(committer), "the first event is in a (held) batch")
        for index in range(20):
            callers.start(f"c{index}", lambda index=index: _append(committer, "U0MANY", index))
        _wait_until(lambda: committer.pending == 20, "twenty events queue behind it")
    callers.join()
    assert_one_chain(db, 21)
    assert committer.batches == 1 + 5


class _Reader:
    """Reads the ledger over a connection of its own, as another process would. (On SQLite a
    plain connection: the app's sessions all begin with BEGIN IMMEDIATE, which would queue
    behind the held write lock; WAL lets a reader see what is committed meanwhile.)"""

    def __init__(self, db: Database) -> None:
        self._sqlite = None if db.is_postgres else make_url(db.url).database
        self._other = Database(db.url) if db.is_postgres else None

    def actor_of(self, seq: int) -> str | None:
        if self._sqlite is not None:
            with closing(sqlite3.connect(self._sqlite)) as connection:
                row = connection.execute(
                    "SELECT actor FROM evidence_events WHERE seq = ?", (seq,)
                ).fetchone()
            return None if row is None else str(row[0])
        assert self._other is not None
        with self._other.session() as session:
            return session.scalar(select(EvidenceEvent.actor).where(EvidenceEvent.seq == seq))

    def close(self) -> None:
        if self._other is not None:
            self._other.dispose()


def test_an_append_returns_only_once_its_event_is_visible_from_another_connection(db):
    reader = _Reader(db)
    callers = _Callers()
    try:
        with GroupCommitter(db) as committer:
            with _ledger_held(db):
                waiting = callers.start("held", lambda: _append(committer, "U0HELD", 0))
                _wait_until(lambda: _taken_alone(committer), "the event is in a batch")
                assert waiting.is_alive()  # its transaction cannot commit: no return yet
                assert reader.actor_of(1) is None
            assert callers.join() == {"held": 1}
            assert reader.actor_of(1) == "U0HELD"

            def append_then_look(actor: str) -> int:
                seq = _append(committer, actor, 1)
                assert reader.actor_of(seq) == actor, "returned before it was visible"
                return seq

            for index in range(20):
                callers.start(f"U0LOOK{index}", lambda a=f"U0LOOK{index}": append_then_look(a))
            outcomes = callers.join()
        assert all(isinstance(seq, int) for seq in outcomes.values()), outcomes
        assert_one_chain(db, 21)
    finally:
        reader.close()


def test_an_invalid_payload_fails_only_its_caller_and_the_rest_of_its_batch_commits(db):
    callers = _Callers()
    with GroupCommitter(db, window_ms=0) as committer:
        with _ledger_held(db):
            callers.start("first", lambda: _append(committer, "U0FIRST", 0))
            _wait_until(lambda: _taken_alone(committer), "the first event is in a (held) batch")
            # These queue behind it and so travel together in the next batch.
            for index in range(8):
                callers.start(f"good{index}", lambda i=index: _append(committer, f"U0GOOD{i}", i))
            callers.start(
                "mismatch",
                lambda: committer.append(
                    actor="U0BAD",
                    kind=EvidenceKind.RECORD_UPDATED,
                    subject="AIU-0001",
                    payload={"version": "not a number", "changes": {}},
                ),
            )
            callers.start(
                "unknown",
                lambda: committer.append(
                    actor="U0BAD",
                    kind="no.such.kind",  # type: ignore[arg-type]
                    subject="AIU-0001",
                    payload={},
                ),
            )
            _wait_until(lambda: committer.pending == 10, "ten events queue behind it")
        outcomes = callers.join()
    assert isinstance(outcomes.pop("mismatch"), PayloadMismatch)
    assert isinstance(outcomes.pop("unknown"), UnknownEvidenceKind)
    assert sorted(outcomes.values()) == list(range(1, 10))  # type: ignore[type-var]
    assert committer.batches == 2  # the held one and the one holding good and bad events
    lines = assert_one_chain(db, 9)
    assert "U0BAD" not in {line.actor for line in lines}


def test_close_commits_what_was_handed_over_and_refuses_later_appends(db):
    callers = _Callers()
    # A window no test would wait out: close() must not wait for it either.
    committer = GroupCommitter(db, window_ms=600_000)
    with _ledger_held(db):
        callers.start("a", lambda: _append(committer, "U0A", 0))
        _wait_until(lambda: _taken_alone(committer), "the first event is in a (held) batch")
        for name in "bcd":
            callers.start(name, lambda name=name: _append(committer, f"U0{name.upper()}", 1))
        _wait_until(lambda: committer.pending == 3, "three events queue behind it")
    _wait_until(lambda: committer.committed == 4, "the first two batches commit")
    # The last batch held three events, so the next one waits out the (long) window for as
    # many, or more ...
    callers.start("e", lambda: _append(committer, "U0E", 2))
    callers.start("f", lambda: _append(committer, "U0F", 3))
    _wait_until(lambda: committer.pending == 2, "two events wait in the window")
    committer.close()  # ... until close flushes it
    assert committer.closed
    outcomes = callers.join()
    assert sorted(outcomes.values()) == [1, 2, 3, 4, 5, 6]  # type: ignore[type-var]
    assert committer.batches == 3
    assert_one_chain(db, 6)
    with pytest.raises(CommitterClosed):
        _append(committer, "U0LATE", 5)
    with pytest.raises(CommitterClosed):
        asyncio.run(
            committer.append_async(
                actor="U0LATE",
                kind=EvidenceKind.RECORD_UPDATED,
                subject="AIU-0001",
                payload=_payload(5),
            )
        )
    committer.close()  # twice is fine
    assert_one_chain(db, 6)


def test_as_many_callers_as_last_time_do_not_wait_out_the_window(db):
    callers = _Callers()
    with GroupCommitter(db, window_ms=600_000) as committer:  # a window no test waits out
        with _ledger_held(db):
            callers.start("first", lambda: _append(committer, "U0FIRST", 0))
            _wait_until(lambda: _taken_alone(committer), "the first event is in a (held) batch")
            for index in range(3):
                callers.start(f"a{index}", lambda i=index: _append(committer, "U0A", i))
            _wait_until(lambda: committer.pending == 3, "three events queue behind it")
        callers.join()
        for index in range(3):  # the same three come back: no window for them
            callers.start(f"b{index}", lambda i=index: _append(committer, "U0B", i))
        outcomes = callers.join()
        assert committer.batches == 3
    assert sorted(outcomes.values()) == list(range(1, 8))  # type: ignore[type-var]


def test_leaving_the_context_flushes(db):
    with GroupCommitter(db, window_ms=600_000) as committer:
        seqs = [_append(committer, "U0ONE", number) for number in range(3)]
    assert seqs == [1, 2, 3]
    assert committer.closed
    assert_one_chain(db, 3)


def test_a_submitted_event_is_committed_without_its_caller_waiting_and_a_refusal_is_reported(db):
    failures: list[BaseException] = []
    with GroupCommitter(db, window_ms=0) as committer:
        with _ledger_held(db):  # nothing can commit: submit must return all the same
            committer.submit(
                actor="U0SUBMIT",
                kind=EvidenceKind.RECORD_UPDATED,
                subject="AIU-0001",
                payload=_payload(1),
                on_failure=failures.append,
            )
            committer.submit(
                actor="U0BAD",
                kind=EvidenceKind.RECORD_UPDATED,
                subject="AIU-0001",
                payload={"version": "not a number", "changes": {}},
                on_failure=failures.append,
            )
            assert committer.in_flight == 2
    assert [type(error) for error in failures] == [PayloadMismatch]
    lines = assert_one_chain(db, 1)
    assert lines[0].actor == "U0SUBMIT"


def test_a_failed_commit_fails_every_caller_in_the_batch_and_nothing_is_written(db):
    broken = threading.Event()

    def refuse_commit(_connection):
        if broken.is_set():
            raise exc.OperationalError(
                "COMMIT", {}, ConnectionError("server closed the connection")
            )

    event.listen(db.engine, "commit", refuse_commit)
    callers = _Callers()
    try:
        with GroupCommitter(db) as committer:
            assert _append(committer, "U0BEFORE", 0) == 1
            broken.set()
            for index in range(10):
                callers.start(f"c{index}", lambda i=index: _append(committer, f"U0LOST{i}", i))
            outcomes = callers.join()
            for error in outcomes.values():
                assert isinstance(error, EvidenceCommitError)
                assert isinstance(error.__cause__, exc.OperationalError)
            assert len({id(error) for error in outcomes.values()}) == 10  # one each
            assert committer.in_flight == 0
            broken.clear()  # the database is back: the next batch commits
            assert _append(committer, "U0AFTER", 1) == 2
    finally:
        event.remove(db.engine, "commit", refuse_commit)
    lines = assert_one_chain(db, 2)
    assert [line.actor for line in lines] == ["U0BEFORE", "U0AFTER"]


def test_an_unreachable_database_fails_closed(db, tmp_path):
    if db.is_postgres:
        down = make_url(db.url).set(port=1).render_as_string(hide_password=False)
    else:
        down = sqlite_url(tmp_path / "no-such-folder" / "aims.db")
    unreachable = Database(down)
    callers = _Callers()
    try:
        with GroupCommitter(unreachable) as committer:
            for index in range(5):
                callers.start(f"c{index}", lambda i=index: _append(committer, "U0NOBODY", i))
            outcomes = callers.join()
        assert len(outcomes) == 5
        for error in outcomes.values():
            assert isinstance(error, EvidenceCommitError)
            assert isinstance(error.__cause__, exc.OperationalError)
    finally:
        unreachable.dispose()


def test_async_appends_from_many_tasks_commit_without_blocking_the_loop(db):
    tasks = 300

    async def scenario(committer: GroupCommitter) -> tuple[list[int], int, BaseException]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        with _ledger_held(db):
            held = asyncio.create_task(
                committer.append_async(
                    actor="U0HELD",
                    kind=EvidenceKind.RECORD_UPDATED,
                    subject="AIU-0001",
                    payload=_payload(0),
                )
            )
            deadline = time.monotonic() + LIVENESS
            while not _taken_alone(committer):  # it is handed over, and in a (held) batch
                assert time.monotonic() < deadline, "stuck waiting for the batch"
                await asyncio.sleep(0.001)
            before = ticks
            await asyncio.sleep(0.01)
            assert not held.done()  # still waiting for its commit ...
            assert ticks > before  # ... and the loop runs other tasks meanwhile
        first = await held
        seqs = await asyncio.gather(
            *(
                committer.append_async(
                    actor=f"U0TASK{number:03d}",
                    kind=EvidenceKind.RECORD_UPDATED,
                    subject="AIU-0001",
                    payload=_payload(number),
                )
                for number in range(tasks)
            )
        )
        bad = await asyncio.gather(
            committer.append_async(
                actor="U0BAD", kind=EvidenceKind.RECORD_UPDATED, subject="AIU-0001", payload={}
            ),
            return_exceptions=True,
        )
        ticker.cancel()
        return [first, *seqs], ticks, bad[0]

    with GroupCommitter(db) as committer:
        seqs, _, bad = asyncio.run(scenario(committer))
    assert sorted(seqs) == list(range(1, tasks + 2))
    assert isinstance(bad, PayloadMismatch)
    lines = assert_one_chain(db, tasks + 1)
    assert {line.seq: line.actor for line in lines}[seqs[5]] == "U0TASK004"


# One replica of the gateway: its own GroupCommitter, THREADS callers appending EACH events.
REPLICA = """
import sys, threading
from store.db import Database
from store.evidence_batch import GroupCommitter
from store.evidence_kinds import EvidenceKind
url, name, threads, each = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = Database(url)
with db.session() as session:
    session.connection()  # connect now, not after "go"
committer = GroupCommitter(db)
seqs = []
def write(actor):
    for number in range(each):
        seqs.append(committer.append(
            actor=actor, kind=EvidenceKind.RECORD_UPDATED, subject="AIU-0001",
            payload={"version": number, "changes": {}, "reason": name},
        ))
workers = [threading.Thread(target=write, args=(f"{name}T{i}",)) for i in range(threads)]
print("ready", flush=True)
sys.stdin.readline()
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
committer.close()
db.dispose()
print("done", len(seqs), len(set(seqs)), flush=True)
"""


def test_two_processes_each_with_its_own_committer_keep_one_chain(db):
    replicas, threads, each = 2, 10, 40
    scripts = [[REPLICA, db.url, f"U0R{i}", str(threads), str(each)] for i in range(replicas)]
    done = f"done {threads * each} {threads * each}"
    assert run_together(scripts, timeout=240) == [done] * replicas
    total = replicas * threads * each
    lines = assert_one_chain(db, total)
    per_replica = {f"U0R{index}": 0 for index in range(replicas)}
    for line in lines:
        per_replica[line.actor[:4]] += 1
    assert per_replica == {f"U0R{index}": threads * each for index in range(replicas)}


@pytest.mark.parametrize(("window_ms", "max_batch"), [(-1, 10), (1, 0)])
def test_nonsense_settings_are_refused(db, window_ms, max_batch):
    with pytest.raises(ValueError):
        GroupCommitter(db, window_ms=window_ms, max_batch=max_batch)
