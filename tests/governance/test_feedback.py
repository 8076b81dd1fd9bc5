"""Feedback from people affected by an AI use (issue 17): anonymous unless they consent, told to
the record's owner, listed in the record's next review, and turned into a finding or an
incident by a governance lead."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from governance import feedback, incidents
from governance.audit.signing import DataDir
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.findings.service import get_finding
from governance.review_sweep import sweep_reviews
from store.db import Database
from store.evidence import iter_ledger, verify
from store.evidence_kinds import EvidenceKind
from store.improvement_models import Feedback
from store.models import EvidenceEvent
from store.outbox_kinds import OutboxKind
from store.review_models import ReviewCycle
from tests.scheduler.support import LEADS, OWNER, live_record, queued

REPORTER = "U0REPORT99"  # named nowhere in aims.yaml: any trace of it came from the feedback
SALT = b"s" * 32


def stored_text(db: Database) -> Iterator[tuple[str, str]]:
    """Every non-null value of every column of every row of every table, as (where, text)."""
    tables = MetaData()
    tables.reflect(bind=db.engine)
    with db.engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is not None:
                        yield f"{table.name}.{column.name}", str(value)


def traces_of(db: Database, user: str) -> list[str]:
    """Where the database holds `user`'s id (any case), in any column of any table."""
    return [where for where, text in stored_text(db) if user.lower() in text.lower()]


def give(db, config, now, *, consent=False, text="The chatbot keeps refusing refunds", ref=None):
    with db.session() as session:
        record_ref = ref or live_record(db, due=None, now=now - timedelta(days=30))
        row = feedback.record_feedback(
            session,
            config=config,
            record_ref=record_ref,
            text=text,
            reporter=REPORTER,
            consent=consent,
            salt=SALT,
            now=now,
        )
        return row.ref, record_ref


def events(db, kind):
    with db.session() as session:
        rows = session.scalars(select(EvidenceEvent).where(EvidenceEvent.kind == kind)).all()
        return [(e.actor, e.subject, json.loads(e.payload)) for e in rows]


def test_anonymous_feedback_stores_no_user_id_anywhere(db, sample_config, now):
    ref, record = give(db, sample_config, now)
    assert ref == "FB-0001"
    assert traces_of(db, REPORTER) == []
    with db.session() as session:
        row = feedback.get_feedback(session, ref)
        assert row.reporter is None and row.text == "The chatbot keeps refusing refunds"
        expected = hmac.new(SALT, REPORTER.encode(), hashlib.sha256).hexdigest()
        assert row.reporter_hash == expected
        assert verify(iter_ledger(session)).ok
    [(actor, subject, payload)] = events(db, EvidenceKind.FEEDBACK_RECEIVED)
    assert (actor, subject) == ("anonymous", ref)
    assert payload["anonymous"] is True and payload["reporter"] is None
    assert payload["record"] == record


def test_the_owner_is_told_the_words_but_not_who_unless_they_consented(db, sample_config, now):
    give(db, sample_config, now)
    [told] = queued(db, OutboxKind.FEEDBACK_RECEIVED)
    assert told.channel == OWNER
    assert "The chatbot keeps refusing refunds" in told.text
    assert "chose to stay anonymous" in told.text
    give(db, sample_config, now, consent=True, text="It quoted the wrong refund policy")
    named = queued(db, OutboxKind.FEEDBACK_RECEIVED)[-1]
    assert REPORTER in json.dumps(named.notice) and "anonymous" not in named.text


def test_consented_feedback_names_the_reporter_on_the_feedback_and_its_event(
    db, sample_config, now
):
    anonymous, _ = give(db, sample_config, now, text="The chatbot refused my refund again")
    ref, _ = give(db, sample_config, now, consent=True)
    with db.session() as session:
        named = feedback.get_feedback(session, ref)
        assert named.reporter == REPORTER
        # No hash beside the name: it would tie their anonymous feedback to them.
        assert named.reporter_hash is None
        assert feedback.get_feedback(session, anonymous).reporter_hash is not None
    [_, (actor, _, payload)] = events(db, EvidenceKind.FEEDBACK_RECEIVED)
    assert actor == REPORTER
    assert payload["reporter"] == REPORTER and payload["anonymous"] is False
    found = set(traces_of(db, REPORTER))
    assert {"feedback.reporter", "evidence_events.actor", "evidence_events.payload"} <= found


def test_repeats_by_one_person_can_be_told_apart_without_knowing_who(db, sample_config, now):
    first, record = give(db, sample_config, now)
    second, _ = give(db, sample_config, now, text="Still refusing", ref=record)
    with db.session() as session:
        other = feedback.record_feedback(
            session,
            config=sample_config,
            record_ref=record,
            text="Fine for me",
            reporter="U0SOMEONE1",
            consent=False,
            salt=SALT,
            now=now,
        )
        hashes = [feedback.get_feedback(session, r).reporter_hash for r in (first, second)]
        assert hashes[0] == hashes[1] != other.reporter_hash


def test_an_unknown_record_is_refused_saying_how_to_find_ids_and_nothing_is_stored(
    db, sample_config, now
):
    with db.session() as session, pytest.raises(NotFoundError) as refused:
        feedback.record_feedback(
            session,
            config=sample_config,
            record_ref="AIU-0099",
            text="Something is off",
            reporter=REPORTER,
            consent=False,
            salt=SALT,
            now=now,
        )
    assert "AIU-0099" in str(refused.value) and "/ai-feedback" in str(refused.value)
    with db.session() as session:
        assert session.scalars(select(Feedback)).all() == []
    assert events(db, EvidenceKind.FEEDBACK_RECEIVED) == [] and queued(db) == []


def test_empty_feedback_is_refused(db, sample_config, now):
    with pytest.raises(ValidationProblem, match="what concerns you"):
        give(db, sample_config, now, text="   ")
    with db.session() as session:
        assert session.scalars(select(Feedback)).all() == []


def test_feedback_on_a_record_without_an_owner_goes_to_the_leads(db, sample_config, now):
    record = live_record(db, due=None, now=now, owner="")
    give(db, sample_config, now, ref=record)
    assert sorted(m.channel for m in queued(db, OutboxKind.FEEDBACK_RECEIVED)) == LEADS


def test_a_lead_turns_feedback_into_a_finding_linked_to_it(db, sample_config, now):
    ref, record = give(db, sample_config, now)
    with db.session() as session:
        made = feedback.turn_into(
            session, config=sample_config, ref=ref, into="finding", actor=LEADS[0], now=now
        )
    with db.session() as session:
        finding = get_finding(session, made)
        assert (finding.source, finding.source_ref, finding.kind) == (
            "feedback",
            ref,
            "observation",
        )
        assert finding.records == [record] and finding.owner == OWNER
        assert "refusing refunds" in finding.title
        turned = feedback.get_feedback(session, ref)
        assert (turned.status, turned.turned_into) == ("finding", made)
        assert verify(iter_ledger(session)).ok
    [(actor, _, payload)] = events(db, EvidenceKind.FEEDBACK_TURNED_INTO)
    assert actor == LEADS[0] and payload == {"feedback": ref, "into": "finding", "ref": made}
    with db.session() as session, pytest.raises(ValidationProblem, match="already turned into"):
        feedback.turn_into(
            session, config=sample_config, ref=ref, into="incident", actor=LEADS[1], now=now
        )


def test_a_lead_turns_feedback_into_an_incident_about_the_record(db, sample_config, now):
    ref, record = give(db, sample_config, now)
    with db.session() as session:
        made = feedback.turn_into(
            session, config=sample_config, ref=ref, into="incident", actor=LEADS[1], now=now
        )
    with db.session() as session:
        incident = incidents.get_incident(session, made)
        assert incident.what_happened == "The chatbot keeps refusing refunds"
        assert incident.reported_by == LEADS[1] and incident.status == "open"
        assert feedback.get_feedback(session, ref).turned_into == made
    assert traces_of(db, REPORTER) == []  # an anonymous reporter stays so


def test_only_a_lead_can_turn_feedback_into_anything(db, sample_config, now):
    ref, _ = give(db, sample_config, now)
    with db.session() as session, pytest.raises(PermissionDenied, match="governance lead"):
        feedback.turn_into(
            session, config=sample_config, ref=ref, into="finding", actor=OWNER, now=now
        )
    with db.session() as session:
        assert feedback.get_feedback(session, ref).status == "open"
    assert events(db, EvidenceKind.FEEDBACK_TURNED_INTO) == []


def test_the_review_due_notice_lists_the_feedback_since_the_last_review(db, sample_config, now):
    record = live_record(db, due=now.date() - timedelta(days=1), now=now - timedelta(days=200))
    give(db, sample_config, now - timedelta(days=100), text="Before the last review", ref=record)
    with db.session() as session:
        record_row = feedback.find_record(session, record)
        session.add(
            ReviewCycle(
                ai_use_id=record_row.id,
                due_on=now.date() - timedelta(days=91),
                reminders_sent=0,
                outcome="continue",
                completed_by=OWNER,
                completed_at=now - timedelta(days=90),
            )
        )
    give(db, sample_config, now - timedelta(days=5), ref=record)
    with db.session() as session:
        sweep_reviews(session, config=sample_config, now=now)
    [due] = queued(db, OutboxKind.REVIEW_DUE)
    assert "Feedback since the last review (1)" in due.text
    assert "The chatbot keeps refusing refunds" in due.text
    assert "Before the last review" not in due.text


def test_the_salt_is_a_file_outside_the_database_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv(feedback.ENV_SALT_FILE, raising=False)
    place = DataDir(tmp_path / "data")
    salt = feedback.load_salt(place)
    path = tmp_path / "data" / feedback.SALT_FILE
    assert path.read_bytes() == salt and len(salt) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert feedback.load_salt(DataDir(tmp_path / "data")) == salt
    assert feedback.load_salt(DataDir(tmp_path / "other")) != salt
