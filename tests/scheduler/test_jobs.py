"""The job list, the wrapper and the scheduler's persistent store."""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from scheduler import service
from scheduler.jobs import JOBS
from scheduler.runner import run_job
from store.review_models import JobRun

# Ids key the persistent job store and `aims jobs run ID`: renaming one orphans stored state.
STABLE_IDS = [
    "review-sweep",
    "incident-follow-ups",
    "ack-reminders",
    "finding-actions",
    "approval-escalations",
    "intake-expiry",
    "weekly-digest",
    "management-review",
    "ledger-digest",
]


def test_jobs_are_registered_in_one_list_with_stable_ids():
    assert [job.id for job in JOBS] == STABLE_IDS


def test_the_digest_runs_at_the_configured_day_and_time_in_the_orgs_timezone(sample_config, now):
    runs = service.next_runs(sample_config, now)  # Tuesday 24 Nov 2026, 09:30 London
    assert runs["weekly-digest"].isoformat() == "2026-11-30T09:00:00+00:00"
    assert runs["review-sweep"].isoformat() == "2026-11-24T10:05:00+00:00"


def test_every_run_is_recorded_with_its_duration_and_summary(db, sample_config, now):
    outcome = run_job(db, sample_config, "incident-follow-ups", now=now)
    assert outcome.ok and outcome.summary == "0 incident follow-ups sent"
    with db.session() as session:
        [run] = session.scalars(select(JobRun)).all()
    assert (run.job_id, run.ok, run.as_of) == ("incident-follow-ups", True, now)


def test_the_scheduler_keeps_jobs_and_next_runs_in_the_database(db, sample_config):
    first = service.start(db, sample_config)
    try:
        stored = {job.id: job.next_run_time for job in first.get_jobs()}
    finally:
        first.shutdown(wait=False)
    assert set(stored) == set(STABLE_IDS)
    second = service.start(db, sample_config)  # a restart keeps the stored next run times
    try:
        assert {job.id: job.next_run_time for job in second.get_jobs()} == stored
        job = second.get_job("weekly-digest")
        assert job.coalesce and job.misfire_grace_time == timedelta(days=2).total_seconds()
    finally:
        second.shutdown(wait=False)


def test_a_run_missed_while_down_is_made_up_once_after_a_restart(db, sample_config):
    service.start(db, sample_config).shutdown(wait=False)
    # While the process is down, the stored next run passes (three hourly runs missed).
    _set_stored_next_run(db, "review-sweep", datetime.now(UTC) - timedelta(hours=3))
    second = service.start(db, sample_config)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _runs(db, "review-sweep"):
            time.sleep(0.05)
        time.sleep(0.3)  # room for a second (wrong) run to show up
        assert len(_runs(db, "review-sweep")) == 1
        assert second.get_job("review-sweep").next_run_time > datetime.now(UTC)
    finally:
        second.shutdown(wait=False)


def _runs(db, job_id):
    with db.session() as session:
        return session.scalars(select(JobRun).where(JobRun.job_id == job_id)).all()


def _set_stored_next_run(db, job_id, moment):
    query = text("SELECT job_state FROM apscheduler_jobs WHERE id = :id")
    with db.engine.begin() as connection:
        state = pickle.loads(connection.execute(query, {"id": job_id}).scalar_one())
        state["next_run_time"] = moment
        connection.execute(
            text(
                "UPDATE apscheduler_jobs SET job_state = :state, next_run_time = :at WHERE id = :id"
            ),
            {
                "state": pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                "at": moment.timestamp(),
                "id": job_id,
            },
        )
