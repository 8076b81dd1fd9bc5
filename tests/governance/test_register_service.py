from __future__ import annotations

from datetime import timedelta

import pytest

from governance import register
from governance.errors import TransitionError, ValidationProblem
from governance.models import DataCategory, RecordFields, RecordStatus
from store import evidence


def _new(session, now, title="Copilot drafts complaint replies"):
    return register.create_record(
        session, fields=RecordFields(title=title, owner="U0ACME0001"), actor="U0ACME0002", now=now
    )


def test_created_record_gets_a_ref_a_first_version_and_evidence(db, now):
    with db.session() as session:
        record = _new(session, now)
    with db.session() as session:
        record = register.get_record(session, "aiu-0001")
        assert record.title == "Copilot drafts complaint replies"
        assert [v.version for v in register.versions(session, record)] == [1]
        result = evidence.verify(evidence.iter_ledger(session))
    assert result.ok and result.count == 1


def test_every_change_keeps_the_previous_version_with_who_when_and_why(db, now):
    with db.session() as session:
        record = _new(session, now)
        register.update_record(
            session,
            record=record,
            changes={"data_categories": [DataCategory.PERSONAL]},
            actor="U0ACME0003",
            reason="uses customer names",
            now=now + timedelta(hours=1),
        )
    with db.session() as session:
        record = register.get_record(session, "AIU-0001")
        history = register.versions(session, record)
        assert record.version == 2
        assert history[0].snapshot["data_categories"] == []
        assert history[1].snapshot["data_categories"] == ["personal"]
        assert (history[1].changed_by, history[1].reason) == ("U0ACME0003", "uses customer names")
        kinds = [line.kind for line in evidence.iter_ledger(session)]
    assert kinds == ["record.created", "record.updated"]


def test_an_update_without_a_reason_is_refused_and_changes_nothing(db, now):
    with db.session() as session:
        record = _new(session, now)
    with pytest.raises(ValidationProblem, match="reason"), db.session() as session:
        record = register.get_record(session, "AIU-0001")
        register.update_record(
            session, record=record, changes={"title": "x"}, actor="u", reason=" "
        )
    with db.session() as session:
        assert register.get_record(session, "AIU-0001").version == 1


def test_listed_transitions_are_allowed(db, now):
    path = [
        RecordStatus.SUBMITTED,
        RecordStatus.IN_REVIEW,
        RecordStatus.APPROVED,
        RecordStatus.LIVE,
        RecordStatus.SUSPENDED,
        RecordStatus.RETIRED,
    ]
    with db.session() as session:
        record = _new(session, now)
        for status in path:
            register.transition(session, record=record, to=status, actor="U0ACME0001")
    with db.session() as session:
        assert register.get_record(session, "AIU-0001").status == "retired"


def test_a_refused_transition_names_the_possible_ones_and_changes_nothing(db, now):
    with db.session() as session:
        _new(session, now)
    with pytest.raises(TransitionError) as refused, db.session() as session:
        record = register.get_record(session, "AIU-0001")
        register.transition(session, record=record, to=RecordStatus.LIVE, actor="U0ACME0001")
    assert "possible from draft: submitted, retired" in str(refused.value)
    with db.session() as session:
        assert register.get_record(session, "AIU-0001").status == "draft"
        assert evidence.verify(evidence.iter_ledger(session)).count == 1


def test_retired_is_final(db, now):
    with db.session() as session:
        record = _new(session, now)
        register.transition(session, record=record, to=RecordStatus.RETIRED, actor="u")
        with pytest.raises(TransitionError, match="retired is final"):
            register.transition(session, record=record, to=RecordStatus.DRAFT, actor="u")
