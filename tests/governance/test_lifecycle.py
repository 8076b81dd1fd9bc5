"""The register lifecycle: every listed transition works, anything else is refused by name."""

from __future__ import annotations

import pytest

from governance import register
from governance.errors import TransitionError
from governance.lifecycle import TRANSITIONS, allowed_from, check_transition
from governance.models import RecordFields, RecordStatus
from store import evidence

LISTED = [(source, target) for source, targets in TRANSITIONS.items() for target in targets]
UNLISTED = [
    (source, target)
    for source in RecordStatus
    for target in RecordStatus
    if target not in TRANSITIONS[source]
]


def test_every_status_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(RecordStatus)


@pytest.mark.parametrize(("source", "target"), LISTED, ids=lambda s: str(s))
def test_listed_transition_is_allowed(source, target):
    check_transition(source, target)  # no error


@pytest.mark.parametrize(("source", "target"), UNLISTED, ids=lambda s: str(s))
def test_unlisted_transition_is_refused_naming_the_possible_ones(source, target):
    with pytest.raises(TransitionError) as refused:
        check_transition(source, target)
    message = str(refused.value)
    assert f"cannot move a record from {source} to {target}" in message
    possible = ", ".join(allowed_from(source)) or "none (retired is final)"
    assert message.endswith(f"possible from {source}: {possible}")


def test_the_service_applies_every_listed_transition_with_evidence(db, now):
    with db.session() as session:
        for source, target in LISTED:
            record = register.create_record(
                session,
                fields=RecordFields(title=f"{source} to {target}"),
                actor="U0TEST0001",
                status=source,
                now=now,
            )
            register.transition(session, record=record, to=target, actor="U0TEST0001", now=now)
            assert record.status == target.value
    with db.session() as session:
        moves = [
            (line.subject, line.payload)
            for line in evidence.iter_ledger(session)
            if line.kind == "record.transitioned"
        ]
        assert evidence.verify(evidence.iter_ledger(session)).ok
    assert len(moves) == len(LISTED)
    assert all(
        f'"from":"{s}"' in p and f'"to":"{t}"' in p
        for (_, p), (s, t) in zip(moves, LISTED, strict=True)
    )


# One refused move per status (retired included), through the service a person's click reaches.
REFUSED_SAMPLE = [
    next((s, t) for s, t in UNLISTED if s == source and t != source) for source in RecordStatus
]


def test_the_service_refuses_unlisted_transitions_and_changes_nothing(db, now):
    with db.session() as session:
        for source, _ in REFUSED_SAMPLE:
            register.create_record(
                session, fields=RecordFields(title=str(source)), actor="u", status=source, now=now
            )
    for number, (source, target) in enumerate(REFUSED_SAMPLE, start=1):
        with pytest.raises(TransitionError, match=f"possible from {source}: "):
            with db.session() as session:
                record = register.get_record(session, register.format_ref(number))
                register.transition(session, record=record, to=target, actor="u")
    with db.session() as session:
        statuses = [record.status for record in register.list_records(session)]
        result = evidence.verify(evidence.iter_ledger(session))
    assert statuses == [source.value for source, _ in REFUSED_SAMPLE]
    assert result.ok and result.count == len(REFUSED_SAMPLE)  # only the creations
