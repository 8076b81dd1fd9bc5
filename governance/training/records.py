"""Recording one training completion: a known person, a listed course, a day not in the future;
recording the same completion again changes nothing. Each new completion is evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.config import OrgConfig, TrainingCourse
from governance.errors import ValidationProblem
from governance.reviews import local_today
from store import evidence
from store.ack_models import AckRequest
from store.evidence_kinds import EvidenceKind
from store.models import AIUse
from store.training_models import TrainingRecord

MAX_URL = 1000


@dataclass(frozen=True)
class Recorded:
    record: TrainingRecord
    new: bool  # False: this completion was already on record, nothing changed


def known_people(session: Session, config: OrgConfig) -> set[str]:
    """Everyone training can be recorded for: the people in aims.yaml, the owners and
    requesters of register records, and the people asked to acknowledge a policy."""
    people = {person.slack_id for person in config.people}
    for column in (AIUse.owner, AIUse.requester):
        people.update(session.scalars(select(column).distinct().where(column != "")))
    people.update(session.scalars(select(AckRequest.person).distinct()))
    return people


def resolve_person(config: OrgConfig, known: set[str], given: str) -> str | None:
    """The Slack user id `given` names: an id (any case) or an email address from aims.yaml,
    or the id of someone the register or a campaign knows; None if nobody."""
    text = given.strip()
    folded = text.casefold()
    for person in config.people:
        if person.slack_id == text.upper() or (person.email and person.email.casefold() == folded):
            return person.slack_id
    for candidate in (text, text.upper()):
        if candidate and candidate in known:
            return candidate
    return None


def find_course(config: OrgConfig, name: str) -> TrainingCourse | None:
    return config.training.course(name)


def unknown_course(config: OrgConfig, name: str) -> str:
    known = [course.name for course in config.training.courses]
    if not known:
        return (
            f"{name!r} is not a course: no courses are listed under training.courses in aims.yaml"
        )
    return f"{name!r} is not a course; known courses: {', '.join(known)}"


def future_date(completed_on: date) -> str:
    return f"{completed_on.isoformat()} is in the future"


def bad_url(url: str) -> str | None:
    if not url.startswith(("http://", "https://")):
        return f"{url!r} is not a web address (it starts with http:// or https://)"
    if len(url) > MAX_URL:
        return f"a link of at most {MAX_URL} characters, please (this one has {len(url)})"
    return None


def record_training(
    session: Session,
    *,
    config: OrgConfig,
    person: str,
    course: str,
    completed_on: date,
    evidence_url: str | None,
    actor: str,
    now: datetime,
    source: str,
) -> Recorded:
    """Record that `person` (a Slack id or an email in aims.yaml) completed `course` on
    `completed_on`; ValidationProblem, nothing recorded, for an unknown person or course, a
    day in the future or a link that is not one."""
    who = resolve_person(config, known_people(session, config), person)
    if who is None:
        raise ValidationProblem(
            f"{person} is not a known person: name someone listed under people in aims.yaml "
            "(Slack id or email), or an owner or requester in the register"
        )
    listed = find_course(config, course)
    if listed is None:
        raise ValidationProblem(unknown_course(config, course))
    if completed_on > local_today(config, now):
        raise ValidationProblem(
            f"the completion date {future_date(completed_on)}; give the day it was completed"
        )
    url = (evidence_url or "").strip() or None
    if url is not None and (problem := bad_url(url)) is not None:
        raise ValidationProblem(f"the evidence link: {problem}")
    return store_completion(
        session,
        person=who,
        course=listed.name,
        completed_on=completed_on,
        evidence_url=url,
        actor=actor,
        now=now,
        source=source,
    )


def store_completion(
    session: Session,
    *,
    person: str,
    course: str,
    completed_on: date,
    evidence_url: str | None,
    actor: str,
    now: datetime,
    source: str,
    row: int | None = None,
) -> Recorded:
    """The row and its evidence, for values already checked; an existing completion (also one
    another writer committed a moment ago) is returned unchanged."""
    existing = _existing(session, person, course, completed_on)
    if existing is not None:
        return Recorded(existing, new=False)
    record = TrainingRecord(
        person=person,
        course=course,
        completed_on=completed_on,
        evidence_url=evidence_url,
        recorded_by=actor,
        recorded_at=now,
        source=source,
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        raced = _existing(session, person, course, completed_on)
        assert raced is not None
        return Recorded(raced, new=False)
    payload: dict[str, Any] = {
        "person": person,
        "course": course,
        "completed_on": completed_on.isoformat(),
        "evidence_url": evidence_url,
        "source": source,
    }
    if row is not None:
        payload["row"] = row
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.TRAINING_RECORDED,
        subject=person,
        now=now,
        payload=payload,
    )
    return Recorded(record, new=True)


def _existing(session: Session, person: str, course: str, day: date) -> TrainingRecord | None:
    return session.scalar(
        select(TrainingRecord).where(
            TrainingRecord.person == person,
            TrainingRecord.course == course,
            TrainingRecord.completed_on == day,
        )
    )
