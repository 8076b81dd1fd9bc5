"""Group-committed evidence appends: many callers, one transaction per batch.

A caller that must not act before its event is durable (the enforcement gateway records each
decision before it forwards the request) hands the event to a `GroupCommitter` and blocks until
the transaction holding it has committed. One background thread gathers the events that arrive
within a short window (or up to `max_batch`) and appends them all in ONE transaction with
`store.evidence.append`, so validation against the EvidenceKind catalogue, secret redaction,
hashing and the ledger lock (SQLite: BEGIN IMMEDIATE; Postgres: the advisory lock) are exactly
those of a single append. Several processes, each with its own committer, share one chain the
way any writers do: their batches queue for the ledger lock.

    with GroupCommitter(db) as ledger:
        seq = ledger.append(actor=key_id, kind=EvidenceKind.GATEWAY_DECISION, subject=ref,
                            payload=payload)          # returns once committed
        seq = await ledger.append_async(...)           # the same, from an event loop

Failures:
- a payload its kind's model refuses (or an unknown kind) fails only its own caller, with the
  ValueError `evidence.append` raised (PayloadMismatch, UnknownEvidenceKind); `append` writes
  nothing before it validates, so the rest of the batch commits in the same transaction;
- a transaction that fails (database down, lock timeout, commit error) fails every caller in
  the batch with `EvidenceCommitError` (one each), its cause the database's exception: fail
  closed. The thread carries on; the next batch tries the database again.

The window: a batch waits up to `window_ms` after its first event arrived for more to join it
(and stops early at `max_batch`, or once as many are queued as the previous batch held), but
only while callers are concurrent (the previous batch held more than one event). So a lone
caller is committed at once and pays no window, callers that come straight back with their
next event do not wait it out, and under load the events that queued while the previous batch
was committing have usually outlived it already.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import Connection

from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind

HELD_IDLE_SECONDS = 10.0  # a connection unused this long is returned to the pool

# settle(seq, None) on commit; settle(None, error) on failure.
Settle = Callable[[int | None, BaseException | None], None]


class EvidenceCommitError(RuntimeError):
    """The transaction holding this event did not commit (its cause says why): treat the event
    as not recorded and refuse whatever it was to record."""


class CommitterClosed(RuntimeError):
    """The group committer was closed; it takes no more events."""


@dataclass(eq=False)
class _Pending:
    actor: str
    kind: EvidenceKind
    subject: str
    payload: Mapping[str, Any] | None
    settle: Settle
    enqueued: float = field(default_factory=time.monotonic)


class Receipt:
    """What a caller waits on: `wait()` returns the event's sequence number once its batch
    committed, or raises why it was not recorded."""

    __slots__ = ("_done", "seq", "error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.seq: int | None = None
        self.error: BaseException | None = None

    def settle(self, seq: int | None, error: BaseException | None) -> None:
        self.seq, self.error = seq, error
        self._done.set()

    def wait(self, timeout: float | None = None) -> int:
        """The sequence number; TimeoutError if the batch has not settled within `timeout`."""
        if not self._done.wait(timeout):
            raise TimeoutError("the evidence event has not been committed yet")
        return _outcome(self.seq, self.error)


def _outcome(seq: int | None, error: BaseException | None) -> int:
    if error is not None:
        raise error
    assert seq is not None
    return seq


def _commit_error(cause: BaseException) -> EvidenceCommitError:
    """One per caller (an exception raised in several threads at once would share, and grow,
    one traceback)."""
    error = EvidenceCommitError(
        f"the evidence event was not recorded: its batch did not commit ({cause!r})"
    )
    error.__cause__ = cause
    return error


def _resolve(future: asyncio.Future[int], seq: int | None, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled; the event is committed all the same
        return
    try:
        future.set_result(_outcome(seq, error))
    except BaseException as exc:
        future.set_exception(exc)


class GroupCommitter:
    """Appends evidence events for many callers, committing each batch in one transaction."""

    def __init__(self, db: Database, *, window_ms: float = 2.0, max_batch: int = 256) -> None:
        if window_ms < 0:
            raise ValueError("window_ms must be 0 or more")
        if max_batch < 1:
            raise ValueError("max_batch must be 1 or more")
        self._db = db
        self._window = window_ms / 1000.0
        self._max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._closing = False
        self._in_flight = 0
        self._previous_batch = 0
        self._enough = max_batch  # how many queued events end the current window
        self.batches = 0  # transactions committed
        self.committed = 0  # events committed in them
        self._connection: Connection | None = None  # the committing thread's own
        self._used_at = 0.0
        self._thread = threading.Thread(target=self._run, name="evidence-group-commit", daemon=True)
        self._thread.start()

    # --- callers ------------------------------------------------------------------------

    def append(
        self,
        *,
        actor: str,
        kind: EvidenceKind,
        subject: str,
        payload: Mapping[str, Any] | None = None,
    ) -> int:
        """Append one event; returns its sequence number once the batch holding it committed.

        Raises the ValueError of an invalid payload or kind (nothing written),
        EvidenceCommitError if the batch's transaction failed, CommitterClosed after close()."""
        waiter = Receipt()
        self._enqueue(_Pending(actor, kind, subject, payload, waiter.settle))
        return waiter.wait()

    def hand_over(
        self,
        *,
        actor: str,
        kind: EvidenceKind,
        subject: str,
        payload: Mapping[str, Any] | None = None,
    ) -> Receipt:
        """`append` without waiting: the receipt is waited on later, by whoever must not act
        before the event is durable (the Slack edge acks first, its work waits). Raises
        CommitterClosed after close()."""
        receipt = Receipt()
        self._enqueue(_Pending(actor, kind, subject, payload, receipt.settle))
        return receipt

    async def append_async(
        self,
        *,
        actor: str,
        kind: EvidenceKind,
        subject: str,
        payload: Mapping[str, Any] | None = None,
    ) -> int:
        """`append` for asyncio callers: awaits the commit without blocking the event loop.

        Cancelling the awaiting task does not withdraw an event already handed over."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()

        def settle(seq: int | None, error: BaseException | None) -> None:
            loop.call_soon_threadsafe(_resolve, future, seq, error)

        self._enqueue(_Pending(actor, kind, subject, payload, settle))
        return await future

    def submit(
        self,
        *,
        actor: str,
        kind: EvidenceKind,
        subject: str,
        payload: Mapping[str, Any] | None = None,
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """Hand one event over without waiting for it: for events nobody acts on (the gateway's
        completion records). `on_failure(error)` runs in the committing thread if it is not
        recorded; nothing runs when it is. Raises CommitterClosed after close()."""

        def settle(_seq: int | None, error: BaseException | None) -> None:
            if error is not None:
                on_failure(error)

        self._enqueue(_Pending(actor, kind, subject, payload, settle))

    @property
    def pending(self) -> int:
        """Events handed over and not yet taken into a batch."""
        with self._ready:
            return len(self._queue)

    @property
    def in_flight(self) -> int:
        """Events handed over whose callers are still waiting (queued or being committed)."""
        with self._ready:
            return self._in_flight

    @property
    def closed(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Commit every event already handed over, then stop the thread. Idempotent."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def __enter__(self) -> GroupCommitter:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _enqueue(self, pending: _Pending) -> None:
        with self._ready:
            if self._closing:
                raise CommitterClosed("the evidence group committer is closed")
            self._queue.append(pending)
            self._in_flight += 1
            # The thread waits either for a first event or, in a window, for enough of them.
            if len(self._queue) == 1 or len(self._queue) >= self._enough:
                self._ready.notify()

    # --- the committing thread ----------------------------------------------------------

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                try:
                    self._commit(batch)
                finally:
                    with self._ready:
                        self._in_flight -= len(batch)
        except BaseException as exc:  # a bug here must not leave callers waiting forever
            with self._ready:
                self._closing = True
                stranded = list(self._queue)
                self._queue.clear()
                self._in_flight -= len(stranded)
            _fail_all(stranded, exc)
            raise
        finally:
            self._disconnect()

    def _connected(self) -> Connection:
        # One connection held while batches keep coming: checking one out of the pool and
        # resetting it on return cost as much as the rest of a one-event transaction. After a
        # quiet spell it goes back and a fresh one is checked out, which the pool pings first
        # (the server may have dropped an idle connection meanwhile).
        now = time.monotonic()
        if self._connection is not None and now - self._used_at > HELD_IDLE_SECONDS:
            self._disconnect()
        if self._connection is None:
            self._connection = self._db.engine.connect()
        self._used_at = now
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def _next_batch(self) -> list[_Pending] | None:
        with self._ready:
            while not self._queue:
                if self._closing:
                    return None
                self._ready.wait()
            if self._previous_batch > 1 and self._window > 0:
                # As many as last time is enough: callers that come back for their next event
                # need not wait out the window.
                self._enough = min(self._previous_batch, self._max_batch)
                deadline = self._queue[0].enqueued + self._window
                while len(self._queue) < self._enough and not self._closing:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._ready.wait(remaining)
                self._enough = self._max_batch
            size = min(len(self._queue), self._max_batch)
            batch = [self._queue.popleft() for _ in range(size)]
        self._previous_batch = size
        return batch

    def _commit(self, batch: list[_Pending]) -> None:
        done: list[tuple[_Pending, int]] = []
        refused: list[tuple[_Pending, BaseException]] = []
        try:
            connection = self._connected()
            with connection.begin():
                outcomes = evidence.append_many(
                    connection,
                    [
                        evidence.NewEvent(item.actor, item.kind, item.subject, item.payload)
                        for item in batch
                    ],
                )
                for item, outcome in zip(batch, outcomes, strict=True):
                    # A refused event was refused before it wrote anything: only its caller
                    # fails. A database error fails the whole batch (below).
                    if isinstance(outcome, Exception):
                        refused.append((item, outcome))
                    else:
                        done.append((item, outcome))
        except BaseException as exc:
            self._disconnect()  # the next batch starts on a fresh connection
            failed = {id(item) for item, _ in refused}
            _fail_all([item for item in batch if id(item) not in failed], exc)
            for item, error in refused:
                _settle_one(item, None, error)
            if not isinstance(exc, Exception):
                raise
            return
        if done:
            self.batches += 1
            self.committed += len(done)
        for item, seq in done:
            _settle_one(item, seq, None)
        for item, error in refused:
            _settle_one(item, None, error)


def _settle_one(item: _Pending, seq: int | None, error: BaseException | None) -> None:
    try:
        item.settle(seq, error)
    except RuntimeError:  # an async caller's event loop has closed: nobody is waiting
        pass


def _fail_all(items: list[_Pending], cause: BaseException) -> None:
    for item in items:
        _settle_one(item, None, _commit_error(cause))
