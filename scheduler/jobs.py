"""Every scheduled job, in one explicit list. Jobs are thin: each calls a governance service
that works out from the database what is due, so running one twice (a restart, a second
replica, `aims jobs run`) never repeats work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.digest import publish_digest
from governance.incidents import sweep_incident_follow_ups
from governance.review_sweep import sweep_reviews
from store.outbox_kinds import OutboxKind


@dataclass(frozen=True)
class JobRunContext:
    session: Session
    config: OrgConfig
    now: datetime
    worker: str
    data_dir: Path | None = None  # where the ledger's signing key and digest log live


@dataclass(frozen=True)
class Job:
    id: str  # stable: it keys the persistent job store and `aims jobs run ID`
    description: str
    schedule: Callable[[OrgConfig], BaseTrigger | None]  # None: not configured, not scheduled
    run: Callable[[JobRunContext], str]  # returns a one-line summary
    # How late a missed run may still start after downtime; the runs it missed are coalesced
    # into one, which is safe because each job derives what is due from the database.
    misfire_grace: timedelta = timedelta(hours=12)
    # For services that do not claim their rows: one replica at a time runs the job.
    exclusive: bool = False


def _tz(config: OrgConfig) -> str:
    return config.organisation.timezone


def _working_hours(minute: int) -> Callable[[OrgConfig], BaseTrigger]:
    # People get nudges in their working day, not at midnight.
    return lambda config: CronTrigger(
        day_of_week="mon-fri", hour="9-17", minute=minute, timezone=_tz(config)
    )


def _digest_trigger(config: OrgConfig) -> BaseTrigger | None:
    if config.digest is None:
        return None
    return CronTrigger(
        day_of_week=config.digest.day[:3],
        hour=config.digest.time.hour,
        minute=config.digest.time.minute,
        timezone=_tz(config),
    )


def _reviews(job: JobRunContext) -> str:
    return sweep_reviews(job.session, config=job.config, now=job.now).summary()


def _incidents(job: JobRunContext) -> str:
    return sweep_incident_follow_ups(job.session, config=job.config, now=job.now).summary()


def _acknowledgements(job: JobRunContext) -> str:
    from governance.acknowledgements.reminders import sweep_ack_reminders

    return sweep_ack_reminders(job.session, config=job.config, now=job.now).summary()


def _finding_actions(job: JobRunContext) -> str:
    from governance.findings.nudges import sweep_action_nudges

    return sweep_action_nudges(job.session, config=job.config, now=job.now).summary()


def _approvals(job: JobRunContext) -> str:
    from governance.approvals.escalation import escalate_overdue

    return f"{escalate_overdue(job.session, job.config, job.now)} approval nudges or escalations"


def _intake(job: JobRunContext) -> str:
    from intake.flow import expire_stale

    notes = expire_stale(job.session, job.now, config=job.config)
    for note in notes:
        # The note's key names the registration, so a later expiry in the same thread is sent too.
        outbox.enqueue(
            job.session,
            key=note.key,
            channel=note.channel or note.user,
            text=note.text,
            kind=OutboxKind.INTAKE_EXPIRED,
            subject=note.user,
        )
    return f"{len(notes)} unfinished registrations expired"


def _digest(job: JobRunContext) -> str:
    from scheduler.digest_chart import render_chart

    return publish_digest(
        job.session, config=job.config, now=job.now, worker=job.worker, chart=render_chart
    )


def _management_review_trigger(config: OrgConfig) -> BaseTrigger | None:
    """The first working days after each period ends (quarterly: January, April, July,
    October), at 09:00 where the organisation is; the first run prepares the review, the
    others find it done. Nothing is scheduled without a channel to post it to."""
    from governance.management_review.queries import review_channel

    if review_channel(config) is None:
        return None
    every = config.management_review.every_months
    return CronTrigger(
        month=",".join(str(month) for month in range(1, 13, every)),
        day="1-7",
        day_of_week="mon-fri",
        hour=9,
        minute=0,
        timezone=_tz(config),
    )


def _management_review(job: JobRunContext) -> str:
    from governance.management_review.service import prepare_due_review
    from scheduler.digest_chart import render_review_chart

    return prepare_due_review(
        job.session, config=job.config, now=job.now, worker=job.worker, chart=render_review_chart
    )


def _ledger_digest(job: JobRunContext) -> str:
    from governance.audit.digests import digest_now
    from governance.audit.signing import DataDir

    if job.data_dir is None:
        return "skipped: the scheduler was not given the data directory"
    place = DataDir(job.data_dir)
    return digest_now(job.session, place, now=job.now, actor=job.worker).summary


# The one list. A test checks ids are unique and stable; add a job here and nowhere else.
JOBS: tuple[Job, ...] = (
    Job(
        "review-sweep",
        "Periodic reviews: due notices, reminders, escalations, lapses",
        _working_hours(5),
        _reviews,
    ),
    Job(
        "incident-follow-ups",
        "Follow up open incidents every N days until closed",
        _working_hours(10),
        _incidents,
    ),
    Job(
        "ack-reminders",
        "Remind people of policies they have not acknowledged, then tell their manager or the "
        "leads (outside quiet hours)",
        _working_hours(15),
        _acknowledgements,
    ),
    Job(
        "finding-actions",
        "Nudge corrective actions' owners before and after the due date, then tell the leads",
        _working_hours(20),
        _finding_actions,
    ),
    Job(
        "approval-escalations",
        "Nudge, then escalate, approvals past their deadline",
        lambda config: CronTrigger(minute="*/30", timezone=_tz(config)),
        _approvals,
    ),
    Job(
        "intake-expiry",
        "Expire abandoned intake conversations",
        lambda config: CronTrigger(minute=45, timezone=_tz(config)),
        _intake,
        exclusive=True,
    ),
    Job(
        "weekly-digest",
        "Weekly digest to the governance leads' channel",
        _digest_trigger,
        _digest,
        misfire_grace=timedelta(days=2),
    ),
    Job(
        "management-review",
        "Prepare the management review's inputs for the period just ended and post them",
        _management_review_trigger,
        _management_review,
        misfire_grace=timedelta(days=3),
    ),
    Job(
        "ledger-digest",
        "Sign a digest of the evidence ledger (when events were added and a key exists)",
        lambda config: CronTrigger(minute=0, timezone=_tz(config)),
        _ledger_digest,
        misfire_grace=timedelta(hours=1),
        exclusive=True,
    ),
)


def get_job(job_id: str) -> Job:
    for job in JOBS:
        if job.id == job_id:
            return job
    known = ", ".join(job.id for job in JOBS)
    from governance.errors import NotFoundError

    raise NotFoundError(f"no job {job_id!r}; the jobs are: {known}")
