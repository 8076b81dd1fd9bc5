"""The work after the ack in worker processes (`aims run` in HTTP mode).

Python runs one thread of a process at a time. When policy answers and registrations run in the
process that acknowledges Slack, every ack waits its turn behind them, and a burst of questions
turns into slow acks. So `aims run` serves HTTP in one process (verify, parse, record, Bolt's
ack: bot.slack.edge) and hands each lazy listener to a pool of worker processes, at a lower
scheduling priority, that run it with the same Bolt app:

- the serving process's lazy runner (`WorkerLazyRunner`) sends the verified request (body,
  headers, the listener's name, the request reference and log fields) once the request's
  `slack.inbound` record has committed (or says that it did not, and the worker reports the
  failure down the usual error path);
- a worker builds the app like `aims run` does, warms up, and dispatches each job to Bolt as a
  lazy-only request (Bolt's own mechanism for running one lazy listener elsewhere), so the
  listener runs exactly as it would in-process: claim, work, error path, outbox;
- jobs are dealt round-robin, each worker with its own queue, taking a job only when one of
  its threads is free;
- a worker that dies is replaced (backing off if it keeps dying); the jobs in its queue are lost
  as the threads' were on a crash (each was recorded before it was sent, and Slack's delivery
  was already acknowledged).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener.runner import LazyListenerRunner
from slack_bolt.util.utils import get_name_for_callable

from bot.logs import ContextThreadPoolExecutor, bind_request, configure_logging, current_fields
from bot.slack.inbound import NOT_RECORDED, REQUEST_REF, InboundReceipts
from store.evidence_batch import Receipt

log = logging.getLogger(__name__)
WORKER_NICENESS = 10
RECORD_WAIT_SECONDS = 30.0
_STOP = None


@dataclass(frozen=True)
class LazyJob:
    """One lazy listener to run: everything a worker needs to rebuild the request."""

    body: str
    headers: dict[str, list[str]]
    function: str
    context: dict[str, str]
    log_fields: dict[str, Any]


@dataclass(frozen=True)
class WorkerSpec:
    """How a worker builds its app (the environment is inherited: SLACK_*, AIMS_*)."""

    config_path: Path | None
    threads: int
    verbose: bool
    log_format: str | None


def job_of(function: Callable[..., None], request: BoltRequest) -> LazyJob:
    ref = request.context.get(REQUEST_REF)
    return LazyJob(
        body=request.raw_body,
        headers={name: list(values) for name, values in request.headers.items()},
        function=request.lazy_function_name or get_name_for_callable(function),
        context={REQUEST_REF: ref} if isinstance(ref, str) else {},
        log_fields=current_fields(),
    )


@dataclass
class _Worker:
    """One worker process and its own job queue: a process killed while reading a shared
    queue would leave it locked for every other reader."""

    process: Any
    jobs: Any
    failures: int = 0  # deaths in a row, for the back-off before the next start
    start_after: float = 0.0


class WorkerPool:
    """Worker processes, jobs dealt round-robin; each job is sent once its record committed."""

    def __init__(self, spec: WorkerSpec, processes: int) -> None:
        self._spec = spec
        self._mp = multiprocessing.get_context("spawn")  # never fork a process with threads
        self._ready: Any = self._mp.Queue()  # each worker's pid once it has warmed up
        self._workers = [self._spawn() for _ in range(processes)]
        self._turn = 0
        # One thread, so jobs reach the workers in the order their requests arrived.
        self._forward = ThreadPoolExecutor(1, thread_name_prefix="aims-forward")
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(
            target=self._supervise, name="aims-workers", daemon=True
        )
        self._supervisor.start()

    def submit(self, job: LazyJob, receipt: Receipt | None) -> None:
        self._forward.submit(self._after_record, job, receipt)

    def _after_record(self, job: LazyJob, receipt: Receipt | None) -> None:
        if receipt is not None:
            try:
                receipt.wait(RECORD_WAIT_SECONDS)
            except Exception as error:
                job = replace(job, context={**job.context, NOT_RECORDED: str(error)[:300]})
        self._next_worker().jobs.put(job)

    def _next_worker(self) -> _Worker:
        """The next live worker in turn; while none is, wait for the supervisor to start one
        (a dead worker's queue is never read again)."""
        while True:
            for _ in range(len(self._workers)):
                self._turn = (self._turn + 1) % len(self._workers)
                worker = self._workers[self._turn]
                if worker.process.is_alive():
                    return worker
            if self._stopping.wait(0.1):
                return self._workers[self._turn]

    def _spawn(self, failures: int = 0) -> _Worker:
        jobs = self._mp.Queue()
        process = self._mp.Process(
            target=worker_main,
            args=(jobs, self._ready, self._spec),
            name="aims-worker",
            daemon=True,
        )
        process.start()
        return _Worker(process, jobs, failures)

    def _supervise(self) -> None:
        while not self._stopping.wait(1.0):
            for index, worker in enumerate(self._workers):
                if worker.process.is_alive() or self._stopping.is_set():
                    continue
                now = time.monotonic()
                if not worker.start_after:
                    # The jobs in its queue are lost with it (each was recorded first).
                    log.error(
                        "worker %s exited (%s); starting another",
                        worker.process.pid,
                        worker.process.exitcode,
                    )
                    worker.start_after = now + min(60.0, 2.0**worker.failures - 1)
                if now >= worker.start_after:
                    worker.jobs.cancel_join_thread()
                    self._workers[index] = self._spawn(worker.failures + 1)

    def wait_ready(self, timeout: float = 300.0) -> float:
        """Seconds until every worker had warmed up; RuntimeError if one dies first or time
        runs out."""
        started = time.monotonic()
        deadline = started + timeout
        waiting = len(self._workers)
        while waiting:
            try:
                self._ready.get(timeout=1.0)
                waiting -= 1
            except queue.Empty:
                if time.monotonic() > deadline or any(
                    w.process.exitcode is not None for w in self._workers
                ):
                    raise RuntimeError(
                        "a worker process did not start (see its log above)"
                    ) from None
        for worker in self._workers:
            worker.failures = 0
        return time.monotonic() - started

    @property
    def alive(self) -> int:
        return sum(1 for worker in self._workers if worker.process.is_alive())

    def close(self, timeout: float = 10.0) -> None:
        """Let the workers finish what they hold, then stop them."""
        self._stopping.set()
        self._forward.shutdown(wait=True)
        for worker in self._workers:
            worker.jobs.put(_STOP)
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in self._workers:
            if worker.process.is_alive():
                log.warning(
                    "worker %s still busy after %.0f s; stopping it", worker.process.pid, timeout
                )
                worker.process.kill()
            worker.jobs.cancel_join_thread()  # unread jobs must not hold up the exit
            worker.jobs.close()
        self._ready.close()


class WorkerLazyRunner(LazyListenerRunner):
    """Bolt's lazy runner in the serving process: sends lazy listeners to the worker pool."""

    def __init__(self, logger: logging.Logger, pool: WorkerPool, receipts: InboundReceipts):
        self.logger = logger
        self.pool = pool
        self.receipts = receipts

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        job = job_of(function, request)
        self.pool.submit(job, self.receipts.take(job.context.get(REQUEST_REF)))


def _hand_off(request: BoltRequest, function_name: str) -> BoltRequest:
    """What Bolt passes the lazy runner: the request itself, named for one lazy listener. Bolt
    deep-copies the request for an in-process listener (most of an ack's time); a worker
    rebuilds it from the body and headers, so a shallow copy does."""
    copied = copy.copy(request)
    copied.lazy_only, copied.lazy_function_name = True, function_name
    return copied


def use_workers(app: App, pool: WorkerPool, receipts: InboundReceipts) -> None:
    runner = app.listener_runner
    runner.lazy_listener_runner = WorkerLazyRunner(app.logger, pool, receipts)
    if hasattr(runner, "_build_lazy_request"):  # Bolt's hook for that copy
        runner._build_lazy_request = _hand_off  # type: ignore[method-assign, assignment]


# --- in the worker process ---------------------------------------------------------------------


def run_job(app: App, job: LazyJob) -> None:
    """Bolt runs just the named lazy listener (its lazy-only mode)."""
    headers: dict[str, str | Sequence[str]] = {
        **job.headers,
        "x-slack-bolt-lazy-only": ["1"],
        "x-slack-bolt-lazy-function-name": [job.function],
    }
    with bind_request(**job.log_fields):
        try:
            app.dispatch(BoltRequest(body=job.body, headers=headers, context=dict(job.context)))
        except Exception:
            log.exception("the work after a Slack ack failed")


def _exit_with(parent: int) -> None:
    """A worker outlives no serving process (one killed outright cannot stop it)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def worker_main(jobs: Any, ready: Any, spec: WorkerSpec) -> None:
    """A worker process: build the app as `aims run` does, warm up, run jobs until told to stop."""
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), name="aims-orphan", daemon=True).start()
    # Ctrl-C, or a service manager's SIGTERM, reaches the whole process group: the serving
    # process decides when workers stop (after they finish what they hold).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    configure_logging(spec.verbose, spec.log_format)
    from bot.context import build_context
    from bot.slack.app import create_app
    from bot.slack.config import load_slack_config
    from retrieval.warm_up import warm_up

    ctx = build_context(spec.config_path)
    app, _ = create_app(ctx, load_slack_config(), verify_requests=False)
    warmed = warm_up(ctx)
    log.warning("worker %s ready in %.1f s: %s", os.getpid(), warmed.seconds, warmed.summary())
    ready.put(os.getpid())
    pool = ContextThreadPoolExecutor(spec.threads, thread_name_prefix="aims-work")
    # A job is taken only when a thread is free for it: the rest wait in the queue.
    free = threading.BoundedSemaphore(spec.threads)

    def run_then_free(job: LazyJob) -> None:
        try:
            run_job(app, job)
        finally:
            free.release()

    while True:
        free.acquire()
        job = jobs.get()
        if job is _STOP:
            break
        pool.submit(run_then_free, job)
    pool.shutdown(wait=True)
