"""Who must have which course (`training.required` in aims.yaml), which completions still
count (`valid_for_days`), coverage per course, and who a record's review should chase."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.models import RecordStatus
from governance.notices import Line, Notice, Part, Style
from governance.reviews import local_today
from store.models import AIUse
from store.training_models import TrainingRecord

# Records whose tier's courses their owner and requester need: in use, or on the way there.
IN_USE_OR_HEADING = (
    RecordStatus.SUBMITTED,
    RecordStatus.IN_REVIEW,
    RecordStatus.APPROVED,
    RecordStatus.APPROVED_WITH_CONDITIONS,
    RecordStatus.LIVE,
)
MISSING_TRAINING = "Missing training"


@dataclass(frozen=True)
class CourseCoverage:
    course: str
    required: int  # people who need it
    trained: int  # of those, people with a completion that still counts
    missing: list[str]  # the others' Slack ids, by display name

    @property
    def percent(self) -> int:
        return round(100 * self.trained / self.required) if self.required else 100


def _names(config: OrgConfig, courses: Iterable[str]) -> set[str]:
    """The courses as aims.yaml lists them under training.courses (any case or spacing)."""
    return {found.name for name in courses if (found := config.training.course(name))}


def _personal_needs(config: OrgConfig, person: str) -> set[str]:
    """What `person` needs whatever records they have: everyone's courses, their roles'."""
    required = config.training.required
    needs = set(required.everyone) if config.person(person) is not None else set()
    for role, courses in required.roles.items():
        if person in config.members(role):
            needs.update(courses)
    return _names(config, needs)


def _tier_courses(config: OrgConfig) -> dict[str, set[str]]:
    return {
        tier.value: _names(config, courses)
        for tier, courses in config.training.required.tiers.items()
    }


def required_courses(config: OrgConfig, session: Session) -> dict[str, set[str]]:
    """Each person who needs training -> the courses they need: everyone under people, the
    members of each role named, and the owner and requester of every record of a tier that is
    in use or heading there (submitted, in review, approved, live)."""
    people = {person.slack_id for person in config.people}
    people.update(m for role in config.training.required.roles for m in config.members(role))
    needs = {person: _personal_needs(config, person) for person in people}
    by_tier = _tier_courses(config)
    if by_tier:
        rows = session.execute(
            select(AIUse.risk_tier, AIUse.owner, AIUse.requester).where(
                AIUse.status.in_([status.value for status in IN_USE_OR_HEADING]),
                AIUse.risk_tier.in_(list(by_tier)),
            )
        )
        for tier, owner, requester in rows:
            for who in {owner, requester} - {""}:
                needs.setdefault(who, set()).update(by_tier[tier or ""])
    return {person: courses for person, courses in needs.items() if courses}


def valid_completions(
    session: Session, config: OrgConfig, now: datetime, *, people: Collection[str] | None = None
) -> dict[str, set[str]]:
    """Each person -> the courses they completed recently enough to count on `now` (a course
    with `valid_for_days` counts that many days from the completion day; one without, for
    ever). Only courses still listed in aims.yaml; only `people`, when given."""
    today = local_today(config, now)
    query = select(
        TrainingRecord.person, TrainingRecord.course, func.max(TrainingRecord.completed_on)
    ).group_by(TrainingRecord.person, TrainingRecord.course)
    if people is not None:
        query = query.where(TrainingRecord.person.in_(list(people)))
    done: dict[str, set[str]] = {}
    for person, name, last in session.execute(query):
        course = config.training.course(name)
        if course is None:
            continue
        if course.valid_for_days is None or last + timedelta(days=course.valid_for_days) > today:
            done.setdefault(person, set()).add(course.name)
    return done


def coverage(session: Session, config: OrgConfig, now: datetime) -> list[CourseCoverage]:
    """Per course anyone needs, in aims.yaml's order: how many need it, how many have it, and
    who is missing it."""
    needs = required_courses(config, session)
    done = valid_completions(session, config, now)
    rows = []
    for course in config.training.courses:
        people = [person for person, courses in needs.items() if course.name in courses]
        if not people:
            continue
        missing = [person for person in people if course.name not in done.get(person, set())]
        missing.sort(key=lambda person: (config.display_name(person).casefold(), person))
        rows.append(CourseCoverage(course.name, len(people), len(people) - len(missing), missing))
    return rows


def missing_for_record(
    session: Session, config: OrgConfig, record: AIUse, now: datetime
) -> list[tuple[str, list[str]]]:
    """The record's owner and requester, each with the courses they need and lack (everyone's,
    their roles', and the record's tier's), in aims.yaml's order; nobody when all is done."""
    people = list(dict.fromkeys(who for who in (record.owner, record.requester) if who))
    tier_courses = _tier_courses(config).get(record.risk_tier or "", set())
    done = valid_completions(session, config, now, people=people)
    found = []
    for person in people:
        needs = _personal_needs(config, person) | tier_courses
        lacking = [
            course.name
            for course in config.training.courses
            if course.name in needs and course.name not in done.get(person, set())
        ]
        if lacking:
            found.append((person, lacking))
    return found


def with_missing_training(
    notice: Notice, session: Session, config: OrgConfig, record: AIUse, now: datetime
) -> Notice:
    """The notice with a "Missing training" part (a line per person: their courses), or as it
    was when the record's people have all they need."""
    missing = missing_for_record(session, config, record, now)
    if not missing:
        return notice
    lines = [
        Line(label=config.display_name(person), text=", ".join(courses), style=Style.BULLET)
        for person, courses in missing
    ]
    unnamed = [person for person, _ in missing if config.person(person) is None]
    return notice.model_copy(
        update={
            "parts": [*notice.parts, Part(heading=MISSING_TRAINING, lines=lines)],
            "mentions": list(dict.fromkeys([*notice.mentions, *unnamed])),
        }
    )
