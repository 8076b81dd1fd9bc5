"""APScheduler 3 with its SQLAlchemy job store on the application database.

Restarts neither lose nor repeat work: next run times persist in the job store, a run missed
while the process was down still starts within the job's misfire grace, several missed runs
coalesce into one, and every job works out from the database what is still due. Several
replicas may each run a scheduler on the same store (APScheduler 3 does not coordinate them);
that is safe because each item of work is claimed in the database before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import text

from governance.config import OrgConfig
from governance.context import AppContext
from scheduler import runner
from scheduler.jobs import JOBS, Job
from store.db import Database

log = logging.getLogger(__name__)
JOBSTORE_TABLE = "apscheduler_jobs"
# Held while a scheduler creates its job store table and reconciles the stored jobs, so replicas
# starting together on one Postgres database do it one at a time (two concurrent CREATE TABLEs
# of the store's table fail the second replica's start-up with a unique violation).
START_LOCK_KEY = 4_242_001


def build_scheduler(db: Database, config: OrgConfig) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(config.organisation.timezone),
    )


def sync_jobs(scheduler: BaseScheduler, config: OrgConfig) -> list[str]:
    """Make the store match JOBS. A job whose schedule is unchanged keeps its stored next run
    time, which is how a run missed during downtime is still made up after a restart."""
    wanted = {job.id for job in JOBS}
    for stale in scheduler.get_jobs():
        if stale.id not in wanted:
            stale.remove()
    scheduled = []
    for job in JOBS:
        if _sync_one(scheduler, config, job):
            scheduled.append(job.id)
    return scheduled


def _sync_one(scheduler: BaseScheduler, config: OrgConfig, job: Job) -> bool:
    trigger = job.schedule(config)
    existing = scheduler.get_job(job.id)
    if trigger is None:
        if existing is not None:
            existing.remove()
        return False
    grace = int(job.misfire_grace.total_seconds())
    if existing is not None and str(existing.trigger) == str(trigger):
        if existing.misfire_grace_time != grace:
            existing.modify(misfire_grace_time=grace)
        return True
    scheduler.add_job(
        "scheduler.runner:run_scheduled",
        trigger=trigger,
        args=[job.id],
        id=job.id,
        name=job.description,
        misfire_grace_time=grace,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return True


def start(db: Database, config: OrgConfig, data_dir: Path | None = None) -> BackgroundScheduler:
    """Start the scheduler in background threads; `aims scheduler` then just waits."""
    runner.bind(db, config, data_dir)
    scheduler = build_scheduler(db, config)
    with _one_replica_at_a_time(db):
        # Paused first, so the stored jobs are reconciled with JOBS before any of them fires.
        scheduler.start(paused=True)
        names = sync_jobs(scheduler, config)
    scheduler.resume()
    log.warning("scheduler started with %d jobs: %s", len(names), ", ".join(names))
    return scheduler


@contextmanager
def _one_replica_at_a_time(db: Database) -> Iterator[None]:
    """A Postgres advisory lock for the duration (SQLite: one process, nothing to do)."""
    if not db.is_postgres:
        yield
        return
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": START_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": START_LOCK_KEY})
            connection.commit()


def next_runs(config: OrgConfig, now: datetime) -> dict[str, datetime | None]:
    """When each job would next run, computed from its schedule (no scheduler needed)."""
    runs: dict[str, datetime | None] = {}
    for job in JOBS:
        trigger = job.schedule(config)
        runs[job.id] = trigger.get_next_fire_time(None, now) if trigger is not None else None
    return runs


def start_for_context(ctx: AppContext) -> Callable[[], None]:
    """Start the scheduler for `aims run`; returns the function that stops it."""
    scheduler = start(ctx.db, ctx.config, ctx.data_dir)
    return lambda: scheduler.shutdown(wait=False)
