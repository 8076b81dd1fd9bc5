"""Each of the four tamperings is found, with the sequence number and the kind of damage a
person is told, in the database and in an exported file."""

from __future__ import annotations

import pytest

from store import evidence
from tests.store import tampering as t

EVENTS = 8

# (name, database tampering, file tampering, the sequence and damage verify must name)
CASES = [
    (
        "payload edited",
        lambda d: t.db_edit_payload(d, 3),
        lambda p: t.file_edit_payload(p, 3),
        3,
        "payload edited",
    ),
    (
        "event deleted",
        lambda d: t.db_delete(d, 3),
        lambda p: t.file_delete(p, 3),
        3,
        "event deleted",
    ),
    (
        "first event deleted",
        lambda d: t.db_delete(d, 1),
        lambda p: t.file_delete(p, 1),
        1,
        "event deleted",
    ),
    (
        "events reordered",
        lambda d: t.db_swap(d, 3, 5),
        lambda p: t.file_swap(p, 3, 5),
        3,
        "events reordered",
    ),
    (
        "neighbours reordered",
        lambda d: t.db_swap(d, 6, 7),
        lambda p: t.file_swap(p, 6, 7),
        6,
        "events reordered",
    ),
    (
        "event inserted",
        lambda d: t.db_insert_after(d, 3),
        lambda p: t.file_insert_after(p, 3),
        4,
        "event inserted",
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "tamper_db", "_file", "seq", "damage"), CASES, ids=IDS)
def test_tampering_in_the_database_is_found(db, now, name, tamper_db, _file, seq, damage):
    t.fill_ledger(db, EVENTS, now)
    with db.session() as session:
        assert evidence.verify(evidence.iter_ledger(session)).describe() == f"OK {EVENTS} events"
    t.drop_append_only_triggers(db)
    tamper_db(db)
    with db.session() as session:
        result = evidence.verify(evidence.iter_ledger(session))
    assert not result.ok
    assert (result.bad_seq, result.damage) == (seq, damage)
    assert result.describe().startswith(f"BROKEN at sequence {seq}: {damage} (")


@pytest.mark.parametrize(("name", "_db", "tamper_file", "seq", "damage"), CASES, ids=IDS)
def test_tampering_in_an_export_is_found(db, now, tmp_path, name, _db, tamper_file, seq, damage):
    t.fill_ledger(db, EVENTS, now)
    exported = tmp_path / "evidence.jsonl"
    with db.session() as session:
        assert evidence.export_jsonl(session, exported) == EVENTS
    assert evidence.verify(evidence.read_jsonl(exported)).ok
    tamper_file(exported)
    result = evidence.verify(evidence.read_jsonl(exported))
    assert (result.ok, result.bad_seq, result.damage) == (False, seq, damage)


def test_the_undamaged_events_before_the_break_are_counted(db, now):
    t.fill_ledger(db, EVENTS, now)
    t.drop_append_only_triggers(db)
    t.db_edit_payload(db, 5)
    with db.session() as session:
        result = evidence.verify(evidence.iter_ledger(session))
    assert result.count == 4
    assert "its content no longer matches its hash" in result.describe()


def test_a_forged_event_with_a_made_up_link_is_named_as_inserted(tmp_path, db, now):
    t.fill_ledger(db, 5, now)
    exported = tmp_path / "evidence.jsonl"
    with db.session() as session:
        evidence.export_jsonl(session, exported)
    lines = exported.read_text().splitlines()
    forged = t.forged_line(3, "f" * 64).to_json()
    renumbered = [
        line.replace(f'"seq":{n}', f'"seq":{n + 1}') for n, line in enumerate(lines[2:], start=3)
    ]
    exported.write_text("\n".join([*lines[:2], forged, *renumbered]) + "\n")
    result = evidence.verify(evidence.read_jsonl(exported))
    assert (result.bad_seq, result.damage) == (3, "event inserted")


def test_a_forged_first_event_numbered_zero_is_not_skipped(db, now):
    """Numbering a forged event 0 must not hide it from verify (or from an export)."""
    t.fill_ledger(db, 4, now)
    t.drop_append_only_triggers(db)
    t.db_insert_forged(db, seq=0, prev_hash=evidence.GENESIS)
    with db.session() as session:
        result = evidence.verify(evidence.iter_ledger(session))
    assert (result.ok, result.bad_seq, result.damage) == (False, 0, "event inserted")


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_next_link(db, now, tmp_path):
    """Recomputing the edited event's own hash does not help: its successor no longer links."""
    t.fill_ledger(db, 5, now)
    exported = tmp_path / "evidence.jsonl"
    with db.session() as session:
        evidence.export_jsonl(session, exported)
    lines = evidence.read_jsonl(exported)
    edited = t.forged_line(3, lines[1].hash)
    exported.write_text("".join(e.to_json() + "\n" for e in [*lines[:2], edited, *lines[3:]]))
    result = evidence.verify(evidence.read_jsonl(exported))
    assert (result.bad_seq, result.damage) == (4, "event deleted")
    assert "or event 3 was rewritten with a new hash" in result.detail
