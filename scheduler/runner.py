"""The one wrapper every job runs through: open a unit of work, time the run, record the
outcome (or the failure, with a reference id that is also logged) in `job_runs`."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from scheduler.jobs import JobRunContext, get_job
from store.db import Database
from store.models import utcnow
from store.review_models import JobRun

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunOutcome:
    job_id: str
    ok: bool
    summary: str
    duration_ms: int
    error_ref: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"{self.job_id}: {self.summary} ({self.duration_ms} ms)"
        return f"{self.job_id} failed: {self.summary} (reference {self.error_ref})"


def run_job(
    db: Database,
    config: OrgConfig,
    job_id: str,
    *,
    now: datetime | None = None,
    worker: str | None = None,
    data_dir: Path | None = None,
) -> RunOutcome:
    """Run one job now, optionally as if at `now`. The job's work commits as one unit, or not
    at all: a crash before the commit leaves everything claimable for the next run."""
    job = get_job(job_id)
    started = utcnow()
    as_of = now or started
    clock = time.perf_counter()
    try:
        with db.session() as session:
            if job.exclusive and not _only_runner(session, job_id):
                summary = "skipped: another replica is running it"
            else:
                run = JobRunContext(session, config, as_of, worker or worker_name(), data_dir)
                summary = job.run(run)
        outcome = RunOutcome(job_id, True, summary, _ms_since(clock))
    except Exception as exc:
        ref = uuid.uuid4().hex[:8]
        log.exception("job %s failed (reference %s)", job_id, ref)
        outcome = RunOutcome(job_id, False, f"{type(exc).__name__}: {exc}", _ms_since(clock), ref)
    _record(db, outcome, started, as_of)
    log.info("%s", outcome.describe())
    return outcome


def _only_runner(session: Session, job_id: str) -> bool:
    """A transaction-scoped Postgres lock per job id (SQLite already runs one writer at a time);
    released by the commit or rollback, so a crashed replica never holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    key = int.from_bytes(
        hashlib.sha256(f"aims-job:{job_id}".encode()).digest()[:8], "big", signed=True
    )
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def _ms_since(clock: float) -> int:
    return int((time.perf_counter() - clock) * 1000)


def _record(db: Database, outcome: RunOutcome, started: datetime, as_of: datetime) -> None:
    # A separate transaction: the job's own may have rolled back, and its record must not.
    try:
        with db.session() as session:
            session.add(
                JobRun(
                    job_id=outcome.job_id,
                    started_at=started,
                    as_of=as_of,
                    duration_ms=outcome.duration_ms,
                    ok=outcome.ok,
                    summary="" if not outcome.ok else outcome.summary[:2000],
                    error=None if outcome.ok else outcome.summary[:4000],
                    error_ref=outcome.error_ref,
                )
            )
    except Exception:
        log.exception("could not record the run of %s", outcome.job_id)


# --- the entry point APScheduler calls (by reference, so the job store can persist it) ------

_bound: tuple[Database, OrgConfig, Path | None] | None = None


def bind(db: Database, config: OrgConfig, data_dir: Path | None = None) -> None:
    """Give scheduled runs this process's database, config and data directory (set when the
    scheduler starts)."""
    global _bound
    _bound = (db, config, data_dir)


def run_scheduled(job_id: str) -> None:
    if _bound is None:
        log.error("job %s fired before the scheduler was bound to a database", job_id)
        return
    db, config, data_dir = _bound
    run_job(db, config, job_id, data_dir=data_dir)
