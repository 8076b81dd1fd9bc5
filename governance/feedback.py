"""Feedback from the people an AI use affects (ISO/IEC 42001 A.8.3, 9.3; NIST AI RMF MEASURE
3.3): anyone may report a concern about a record, anonymously unless they say they may be named.

Anonymous means no user id is kept: the feedback row and its `feedback.received` event hold an
HMAC-SHA256 of the reporter under a salt, so repeats by one person can be told apart without
knowing who. The salt is a secret outside the database (a Slack id is easy to guess: the hash of
one without a secret is reversed by hashing every id of the workspace): 32 random bytes in
`<data dir>/feedback-salt` (0600), made on first use, or the file AIMS_FEEDBACK_SALT_FILE names
(several replicas must share one). The domain takes the salt as bytes; transports load it.

The record's owner (else the governance leads) is told, with the reporter's name only when they
consented. The record's next review lists it, the weekly digest counts it, and a governance lead
can turn it into a finding or an incident.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from governance import outbox
from governance.audit.signing import HasDataDir
from governance.config import OrgConfig
from governance.errors import ConfigError, NotFoundError, ValidationProblem
from governance.findings.models import FindingKind, FindingSource, NewFinding, finding_title
from governance.findings.service import raise_finding
from governance.incidents import IncidentReport, Severity, report_incident
from governance.notices import Line, Notice, Part, Style, Tone, person
from governance.reviews import fmt_day
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.improvement_models import Feedback
from store.models import AIUse
from store.outbox_kinds import OutboxKind
from store.review_models import ReviewCycle

log = logging.getLogger(__name__)

SALT_FILE = "feedback-salt"
ENV_SALT_FILE = "AIMS_FEEDBACK_SALT_FILE"
SALT_BYTES = 32
ANONYMOUS = "anonymous"  # the actor of an anonymous feedback's event
FEEDBACK_SINCE_REVIEW = "Feedback since the last review"
HOW_TO_FIND_IDS = (
    "AI use ids look like AIU-0007: send `/ai-feedback` alone to pick the use from a list "
    "(or run `aims register list`)"
)
Into = Literal["finding", "incident"]


# --- the salt and the pseudonym ----------------------------------------------------------------

_salts: dict[Path, bytes] = {}
_salt_lock = threading.Lock()


def salt_path(ctx: HasDataDir) -> Path:
    named = os.environ.get(ENV_SALT_FILE)
    return Path(named).expanduser() if named else ctx.data_dir / SALT_FILE


def load_salt(ctx: HasDataDir) -> bytes:
    """The salt, made on first use (32 random bytes, readable by its owner only). Two processes
    making it at once end up with the same one: it is written aside and linked into place."""
    path = salt_path(ctx)
    with _salt_lock:
        if path not in _salts:
            if not path.exists():
                _create_salt(path)
            _salts[path] = _read_salt(path)
        return _salts[path]


def _create_salt(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(SALT_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        aside.chmod(0o600)  # whatever the umask made of it
        try:
            os.link(aside, path)  # atomic, and never replaces a salt already there
        except FileExistsError:
            pass
    finally:
        aside.unlink(missing_ok=True)


def _read_salt(path: Path) -> bytes:
    salt = path.read_bytes()
    if len(salt) < 16:
        raise ConfigError(
            f"{path} holds {len(salt)} bytes; the feedback salt needs at least 16 (delete it to "
            "make a new one, which starts repeats by one person afresh)"
        )
    if path.stat().st_mode & 0o077:
        log.warning("the feedback salt %s can be read by other users; chmod 600 it", path)
    return salt


def reporter_hash(salt: bytes, reporter: str) -> str:
    """HMAC-SHA256 of the reporter's id under the salt: the same person, the same hash."""
    return hmac.new(salt, reporter.encode("utf-8"), hashlib.sha256).hexdigest()


# --- reading -------------------------------------------------------------------------------------


def format_feedback_ref(number: int) -> str:
    return f"FB-{number:04d}"


def get_feedback(session: Session, ref: str) -> Feedback:
    found = session.scalar(select(Feedback).where(Feedback.ref == ref.strip().upper()))
    if found is None:
        raise NotFoundError(f"no feedback {ref!r}; `aims feedback list` shows it")
    return found


def list_feedback(
    session: Session, *, record: AIUse | None = None, status: str | None = None
) -> Sequence[Feedback]:
    query = select(Feedback).order_by(Feedback.id)
    if record is not None:
        query = query.where(Feedback.ai_use_id == record.id)
    if status:
        query = query.where(Feedback.status == status)
    return session.scalars(query).all()


def feedback_for(session: Session, record: AIUse, since: datetime | None) -> Sequence[Feedback]:
    """The record's feedback received since `since` (all of it when None), oldest first."""
    query = select(Feedback).where(Feedback.ai_use_id == record.id).order_by(Feedback.id)
    if since is not None:
        query = query.where(Feedback.received_at >= since)
    return session.scalars(query).all()


def last_reviewed_at(session: Session, record: AIUse) -> datetime | None:
    return session.scalar(
        select(func.max(ReviewCycle.completed_at)).where(ReviewCycle.ai_use_id == record.id)
    )


def received_between(session: Session, since: datetime, until: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.received_at >= since, Feedback.received_at < until)
        )
        or 0
    )


def open_by_record(session: Session) -> list[tuple[AIUse, list[str]]]:
    """Each record with open feedback, and the refs of it, in register order."""
    rows = session.execute(
        select(AIUse, Feedback.ref)
        .join(Feedback, Feedback.ai_use_id == AIUse.id)
        .where(Feedback.status == "open")
        .order_by(AIUse.id, Feedback.id)
    ).all()
    grouped: dict[int, tuple[AIUse, list[str]]] = {}
    for record, ref in rows:
        grouped.setdefault(record.id, (record, []))[1].append(ref)
    return list(grouped.values())


# --- receiving -----------------------------------------------------------------------------------


def find_record(session: Session, ref: str) -> AIUse:
    record = session.scalar(select(AIUse).where(AIUse.ref == ref.strip().upper()))
    if record is None:
        shown = ref.strip() or "(none given)"
        raise NotFoundError(f"there is no AI use {shown} in the register. {HOW_TO_FIND_IDS}.")
    return record


def record_feedback(
    session: Session,
    *,
    config: OrgConfig,
    record_ref: str,
    text: str,
    reporter: str,
    consent: bool,
    salt: bytes,
    now: datetime,
) -> Feedback:
    """Keep someone's concern about an AI use and tell its owner. The reporter's id is kept
    only when `consent`; otherwise only its salted hash, and the event's actor is "anonymous"."""
    record = find_record(session, record_ref)
    words = text.strip()
    if not words:
        raise ValidationProblem(f"say what concerns you about {record.ref}")
    row = Feedback(
        ref=f"new-{uuid.uuid4().hex[:12]}",
        ai_use_id=record.id,
        text=words,
        reporter=reporter if consent else None,
        # A named reporter keeps no hash: it would tie every anonymous feedback they gave
        # to this one, which names them.
        reporter_hash=None if consent else reporter_hash(salt, reporter),
        status="open",
        turned_into=None,
        received_at=now,
    )
    session.add(row)
    session.flush()
    row.ref = format_feedback_ref(row.id)  # follows the id: two at once never race for a number
    evidence.append(
        session,
        actor=reporter if consent else ANONYMOUS,
        kind=EvidenceKind.FEEDBACK_RECEIVED,
        subject=row.ref,
        now=now,
        payload={
            "feedback": row.ref,
            "record": record.ref,
            "text": words,
            "anonymous": not consent,
            "reporter": reporter if consent else None,
        },
    )
    notice = received_notice(config, record, row)
    for who in _told(config, record):
        outbox.notify(session, notice, key=f"feedback.received:{row.ref}:{who}", to=who)
    return row


def _told(config: OrgConfig, record: AIUse) -> list[str]:
    return [record.owner] if record.owner else config.members("governance_leads")


def _named(record: AIUse) -> str:
    return f"{record.ref} \u201c{record.title}\u201d"


def received_notice(config: OrgConfig, record: AIUse, feedback: Feedback) -> Notice:
    """The owner's notice: the words, and who only when they agreed to be named."""
    who = (
        person("From", feedback.reporter, config.display_name(feedback.reporter))
        if feedback.reporter
        else Line(text="From someone it affects, who chose to stay anonymous.")
    )
    return Notice(
        kind=OutboxKind.FEEDBACK_RECEIVED,
        subject=feedback.ref,
        tone=Tone.NEWS,
        title=f"Feedback {feedback.ref} about {_named(record)}",
        parts=[
            Part(
                lines=[
                    Line(text=feedback.text, style=Style.QUOTE),
                    who,
                    Line(
                        text="It is listed in the record's next review; a governance lead can "
                        "turn it into a finding or an incident."
                    ),
                ]
            )
        ],
    )


def with_feedback(notice: Notice, session: Session, record: AIUse) -> Notice:
    """The review notice with the record's feedback since its last review (as it was when
    there is none). Nobody is named: the reviewer reads what was said."""
    received = feedback_for(session, record, last_reviewed_at(session, record))
    if not received:
        return notice
    lines = [
        Line(
            label=f"{f.ref}, {fmt_day(f.received_at.date())}",
            text=f.text[:300] + (f" (now {f.turned_into})" if f.turned_into else ""),
            style=Style.BULLET,
        )
        for f in received
    ]
    heading = f"{FEEDBACK_SINCE_REVIEW} ({len(received)})"
    return notice.model_copy(update={"parts": [*notice.parts, Part(heading=heading, lines=lines)]})


# --- a lead turns it into a finding or an incident ----------------------------------------------


def turn_into(
    session: Session,
    *,
    config: OrgConfig,
    ref: str,
    into: Into,
    actor: str,
    now: datetime,
    severity: Severity = Severity.MEDIUM,
    people_harmed: bool = False,
) -> str:
    """A governance lead turns open feedback into a finding (an observation about the record,
    owned by its owner) or an incident about the record; the new finding's or incident's ref."""
    config.require_lead(actor, "turn feedback into a finding or incident")
    if into not in ("finding", "incident"):
        raise ValidationProblem(f"turn feedback into a finding or an incident, not {into!r}")
    feedback = get_feedback(session, ref)
    record = session.get_one(AIUse, feedback.ai_use_id)
    # Conditional, so two leads turning it at once turn it once.
    moved = session.execute(
        update(Feedback)
        .where(Feedback.id == feedback.id, Feedback.status == "open")
        .values(status=into)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.refresh(feedback)
        raise ValidationProblem(
            f"{feedback.ref} was already turned into {feedback.turned_into or feedback.status}"
        )
    made = (
        _finding(session, config, feedback, record, actor, now, severity)
        if into == "finding"
        else _incident(session, config, feedback, record, actor, now, severity, people_harmed)
    )
    session.refresh(feedback)
    feedback.turned_into = made
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.FEEDBACK_TURNED_INTO,
        subject=feedback.ref,
        now=now,
        payload={"feedback": feedback.ref, "into": into, "ref": made},
    )
    return made


def _title(feedback: Feedback, record: AIUse) -> str:
    first = feedback.text.splitlines()[0].strip() if feedback.text.strip() else ""
    return finding_title(f"Feedback on {record.ref}: {first}")


def _finding(
    session: Session,
    config: OrgConfig,
    feedback: Feedback,
    record: AIUse,
    actor: str,
    now: datetime,
    severity: Severity,
) -> str:
    finding = NewFinding(
        kind=FindingKind.OBSERVATION,
        source=FindingSource.FEEDBACK,
        source_ref=feedback.ref,
        title=_title(feedback, record),
        description=feedback.text,
        records=[record.ref],
        severity=severity,
        owner=record.owner or actor,
    )
    return raise_finding(session, config=config, finding=finding, actor=actor, now=now).ref


def _incident(
    session: Session,
    config: OrgConfig,
    feedback: Feedback,
    record: AIUse,
    actor: str,
    now: datetime,
    severity: Severity,
    people_harmed: bool,
) -> str:
    report = IncidentReport(
        ai_use_ref=record.ref,
        what_happened=feedback.text if len(feedback.text) >= 3 else f"{feedback.text} (feedback)",
        occurred_at=feedback.received_at,
        severity=severity,
        people_harmed=people_harmed,
        serious_incident="unsure" if people_harmed else "no",
    )
    return report_incident(session, config=config, report=report, actor=actor, now=now).ref
