"""Two scheduler replicas on one Postgres database, firing the same jobs at the same instant,
send nothing twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from governance.incidents import IncidentReport, Severity, report_incident
from scheduler.jobs import JOBS as ALL_JOBS
from scheduler.runner import run_job
from store import evidence
from store.db import Database
from store.models import OutboundMessage
from tests.scheduler.support import live_record

pytestmark = pytest.mark.postgres
JOBS = [job.id for job in ALL_JOBS]  # every job, so none can fail when raced


def seed(db, config, now, records=25, incidents=5):
    for number in range(records):
        live_record(db, due=now.date() - timedelta(days=number % 3), now=now, title=f"Use {number}")
    with db.session() as session:
        for number in range(incidents):
            report_incident(
                session,
                config=config,
                actor="U0ACME0012",
                now=now - timedelta(days=8),
                report=IncidentReport(
                    unregistered_tool=f"Tool {number}",
                    what_happened="Wrong answer sent",
                    occurred_at=now - timedelta(days=8),
                    severity=Severity.MEDIUM,
                    people_harmed=False,
                ),
            )


def race(databases, config, job_id, when):
    """Each replica waits at the barrier, then both run the job as if at the same instant."""
    barrier = threading.Barrier(len(databases))
    outcomes = []

    def replica(db, name):
        barrier.wait()
        outcomes.append(run_job(db, config, job_id, now=when, worker=name))

    threads = [
        threading.Thread(target=replica, args=(db, f"replica-{i}"))
        for i, db in enumerate(databases)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_replicas_running_the_same_jobs_at_once_send_nothing_twice(pg_db, sample_config, now):
    seed(pg_db, sample_config, now)
    other = Database(pg_db.url)
    try:
        outcomes = [
            outcome
            for day in (0, 7, 14, 30)
            for job_id in JOBS
            for outcome in race([pg_db, other], sample_config, job_id, now + timedelta(days=day))
        ]
    finally:
        other.dispose()
    assert [o.describe() for o in outcomes if not o.ok] == []
    with pg_db.session() as session:
        messages = session.scalars(select(OutboundMessage)).all()
        same = Counter((m.kind, m.channel, m.subject, m.text) for m in messages)
        events = list(evidence.iter_ledger(session))
    duplicates = {key: n for key, n in same.items() if n > 1}
    assert duplicates == {}
    kinds = Counter(m.kind for m in messages)
    # 25 owners told once each; reminders, escalations to 2 leads, lapses to owner + 2 leads.
    assert kinds["review.due"] == 25 and kinds["review.escalation"] == 50
    assert kinds["review.lapsed"] == 75 and kinds["digest.weekly"] == 4  # one per week
    assert kinds["incident.follow_up"] == 5 * 3 * 4  # 5 incidents, 3 people, 4 follow-ups
    assert evidence.verify(events).ok
    logged = Counter((e.kind, e.subject, e.payload) for e in events)
    assert {key: n for key, n in logged.items() if n > 1} == {}
