"""What an attacker can do to the ledger, in the database (with its triggers dropped) and in an
exported JSONL file. Each tampering returns nothing; the tests run `verify` and say what a
person must be told."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, insert, text

from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent

FORGED = {
    "actor": "U0MALLORY1",
    "kind": "record.approved",
    "subject": "AIU-0001",
    "payload": '{"approved":true}',
}
FORGED_AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def fill_ledger(db: Database, count: int, now: datetime) -> None:
    with db.session() as session:
        for number in range(1, count + 1):
            evidence.append(
                session,
                actor=f"U0TEST000{number % 3 + 1}",
                kind=EvidenceKind.RECORD_UPDATED,
                subject=f"AIU-{number:04d}",
                payload={
                    "version": number,
                    "changes": {"n": {"from": number - 1, "to": number}},
                    "reason": f"change {number}",
                },
                now=now,
            )


def drop_append_only_triggers(db: Database) -> None:
    """What someone with database access does first."""
    with db.engine.begin() as connection:
        if db.is_postgres:
            connection.execute(text("DROP TRIGGER evidence_append_only ON evidence_events"))
        else:
            connection.execute(text("DROP TRIGGER evidence_no_update"))
            connection.execute(text("DROP TRIGGER evidence_no_delete"))


def _hash_of(connection: Connection, seq: int) -> str:
    return str(
        connection.execute(
            text("SELECT hash FROM evidence_events WHERE seq = :seq"), {"seq": seq}
        ).scalar_one()
    )


def _move(connection: Connection, seq: int, to: int) -> None:
    connection.execute(
        text("UPDATE evidence_events SET seq = :to WHERE seq = :seq"), {"to": to, "seq": seq}
    )


def db_edit_payload(db: Database, seq: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_events SET payload = :p WHERE seq = :seq"),
            {"p": '{"n":999}', "seq": seq},
        )


def db_delete(db: Database, seq: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence_events WHERE seq = :seq"), {"seq": seq})


def db_swap(db: Database, first: int, second: int) -> None:
    with db.engine.begin() as connection:
        _move(connection, first, -1)
        _move(connection, second, first)
        _move(connection, -1, second)


def db_insert_after(db: Database, seq: int) -> None:
    """Renumber the later events and slot in a forged one that links to its predecessor."""
    with db.engine.begin() as connection:
        last = connection.execute(text("SELECT max(seq) FROM evidence_events")).scalar_one()
        for later in range(last, seq, -1):
            _move(connection, later, later + 1)
        _insert(connection, forged_line(seq + 1, _hash_of(connection, seq)))


def db_insert_forged(db: Database, seq: int, prev_hash: str) -> None:
    with db.engine.begin() as connection:
        _insert(connection, forged_line(seq, prev_hash))


def _insert(connection: Connection, forged: evidence.LedgerLine) -> None:
    connection.execute(
        insert(EvidenceEvent.__table__).values(
            seq=forged.seq,
            occurred_at=FORGED_AT,
            actor=forged.actor,
            kind=forged.kind,
            subject=forged.subject,
            payload=forged.payload,
            prev_hash=forged.prev_hash,
            hash=forged.hash,
        )
    )


def forged_line(seq: int, prev_hash: str) -> evidence.LedgerLine:
    occurred = evidence.timestamp(FORGED_AT)
    return evidence.LedgerLine(
        seq=seq,
        occurred_at=occurred,
        prev_hash=prev_hash,
        **FORGED,
        hash=evidence.event_hash(prev_hash=prev_hash, occurred_at=occurred, **FORGED),
    )


# --- the same in an exported file ------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def file_edit_payload(path: Path, seq: int) -> None:
    lines = _lines(path)
    event = json.loads(lines[seq - 1])
    event["payload"] = '{"n":999}'
    lines[seq - 1] = json.dumps(event)
    _write(path, lines)


def file_delete(path: Path, seq: int) -> None:
    lines = _lines(path)
    del lines[seq - 1]
    _write(path, lines)


def file_swap(path: Path, first: int, second: int) -> None:
    lines = _lines(path)
    lines[first - 1], lines[second - 1] = lines[second - 1], lines[first - 1]
    _write(path, lines)


def file_insert_after(path: Path, seq: int) -> None:
    lines = _lines(path)
    events = [evidence.LedgerLine(**json.loads(line)) for line in lines]
    forged = forged_line(seq + 1, events[seq - 1].hash)
    renumbered = [replace(event, seq=event.seq + 1) for event in events[seq:]]
    _write(path, [e.to_json() for e in [*events[:seq], forged, *renumbered]])
