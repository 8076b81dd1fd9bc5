"""Gateway keys: who may issue and revoke them, for which records, and that a key is stored
and recorded only as a hash and a prefix."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text

from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.gateway.keys import (
    KEY_MARK,
    KeyAlreadyRevoked,
    KeyNotIssuable,
    issue_key,
    list_keys,
    presented_prefix,
    revoke_key,
    set_restore_placeholders,
)
from governance.models import RecordStatus
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.gateway_models import GatewayKey, GatewayUseOption
from store.models import EvidenceEvent, OutboundMessage
from tests.governance.gateway.helpers import MARCUS, OLIVER, PRIYA, TOM, approved, record_in


def _kinds(session) -> list[str]:
    return [line.kind for line in evidence.iter_ledger(session)]


@pytest.mark.parametrize("actor", [OLIVER, PRIYA, TOM], ids=["owner", "lead", "other lead"])
def test_the_owner_or_a_governance_lead_gets_a_key_shown_once(db, sample_config, now, actor):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(
            session, record_ref=record.ref.lower(), actor=actor, config=sample_config, now=now
        )
    assert issued.key_id == "KEY-0001" and issued.record_ref == record.ref
    assert issued.key.startswith(KEY_MARK) and len(issued.key) >= len(KEY_MARK) + 40
    assert issued.prefix == issued.key[:12] and issued.shown == f"KEY-0001 ({issued.prefix}…)"
    assert issued.key not in repr(issued)
    with db.session() as session:
        [row] = list_keys(session, record.ref)
        assert row.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
        assert row.created_by == actor and row.revoked_at is None
        assert _kinds(session)[-1] == "gateway.key.issued"
        [told] = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "gateway.key.issued")
        ).all()
    assert told.channel == OLIVER  # the owner hears, whoever asked
    assert f"Gateway key KEY-0001 ({issued.prefix}…) was issued for {record.ref}" in told.text


def test_the_plain_key_is_nowhere_in_the_database(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        revoke_key(
            session, key_id=issued.key_id, actor=PRIYA, reason="leaked", config=sample_config
        )
    secret = issued.key[len(KEY_MARK) :]
    with db.engine.connect() as connection:
        tables = [
            "gateway_keys",
            "evidence_events",
            "outbox",
            "ai_uses",
            "ai_use_versions",
        ]
        for table in tables:
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
            dump = repr(rows)
            assert issued.key not in dump and secret not in dump, table
            assert secret[4:20] not in dump, table
    with db.session() as session:
        payloads = [row.payload for row in session.scalars(select(EvidenceEvent))]
    assert any(issued.prefix in payload for payload in payloads)


def test_someone_else_is_refused_and_nothing_is_written(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        before = len(_kinds(session))
    with pytest.raises(PermissionDenied, match="only the owner of AIU-0001"):
        with db.session() as session:
            issue_key(session, record_ref=record.ref, actor=MARCUS, config=sample_config)
    with db.session() as session:
        assert list_keys(session) == [] and len(_kinds(session)) == before


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (RecordStatus.DRAFT, "submit it for approval first"),
        (RecordStatus.REJECTED, "is rejected"),
        (RecordStatus.CHANGES_REQUESTED, "resubmit"),
        (RecordStatus.SUSPENDED, "is suspended"),
        (RecordStatus.RETIRED, "is retired"),
    ],
)
def test_a_record_that_is_not_approved_gets_no_key(db, sample_config, now, status, says):
    with db.session() as session:
        record = record_in(session, sample_config, now, status)
        ref = record.ref
    with pytest.raises(KeyNotIssuable, match=says) as refused:
        with db.session() as session:
            issue_key(session, record_ref=ref, actor=OLIVER, config=sample_config)
    assert "approved, approved-with-conditions or live" in str(refused.value)
    with db.session() as session:
        assert list_keys(session) == []


@pytest.mark.parametrize("status", [RecordStatus.APPROVED, RecordStatus.LIVE])
def test_approved_and_live_records_get_keys(db, sample_config, now, status):
    with db.session() as session:
        record = record_in(session, sample_config, now, status)
        assert issue_key(session, record_ref=record.ref, actor=PRIYA, config=sample_config)


def test_approved_with_conditions_gets_a_key_but_a_lapsed_review_does_not(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now, conditions=["No customer data"])
        assert record.status == "approved_with_conditions"
        issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
        record.review_lapsed = True
    with pytest.raises(KeyNotIssuable, match="missed its periodic review"):
        with db.session() as session:
            issue_key(session, record_ref="AIU-0001", actor=OLIVER, config=sample_config)


def test_revoking_needs_a_reason_the_right_person_and_happens_once(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=sample_config)
    with pytest.raises(ValidationProblem, match="say why KEY-0001 is revoked"):
        with db.session() as session:
            revoke_key(session, key_id="KEY-0001", actor=OLIVER, reason=" ", config=sample_config)
    with pytest.raises(PermissionDenied):
        with db.session() as session:
            revoke_key(session, key_id="KEY-0001", actor=MARCUS, reason="x", config=sample_config)
    with pytest.raises(NotFoundError, match="no gateway key 'KEY-0009'"):
        with db.session() as session:
            revoke_key(session, key_id="KEY-0009", actor=OLIVER, reason="x", config=sample_config)
    with db.session() as session:
        row = revoke_key(
            session, key_id="key-0001", actor=OLIVER, reason="rotated", config=sample_config
        )
        assert row.revoked_by == OLIVER and row.revoked_reason == "rotated"
    with pytest.raises(KeyAlreadyRevoked, match=r"KEY-0001 \(aims_sk_.{4}…\) was already revoked"):
        with db.session() as session:
            revoke_key(session, key_id="KEY-0001", actor=PRIYA, reason="x", config=sample_config)
    with db.session() as session:
        kinds = _kinds(session)
        told = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "gateway.key.revoked")
        ).all()
        [line] = [ln for ln in evidence.iter_ledger(session) if ln.kind == "gateway.key.revoked"]
    assert kinds.count("gateway.key.revoked") == 1 and len(told) == 1
    assert told[0].channel == OLIVER and "rotated" in told[0].text
    assert json.loads(line.payload) == {
        "key_id": "KEY-0001",
        "key_prefix": issued.prefix,
        "record_ref": record.ref,
        "reason": "rotated",
    }


def test_keys_are_listed_per_record_and_an_unknown_record_is_named(db, sample_config, now):
    with db.session() as session:
        first = approved(session, sample_config, now)
        second = approved(session, sample_config, now, title="Second use")
        for ref in (first.ref, second.ref, first.ref):
            issue_key(session, record_ref=ref, actor=PRIYA, config=sample_config)
    with db.session() as session:
        assert [k.key_id for k in list_keys(session)] == ["KEY-0001", "KEY-0002", "KEY-0003"]
        assert [k.key_id for k in list_keys(session, first.ref)] == ["KEY-0001", "KEY-0003"]
        with pytest.raises(NotFoundError, match="AIU-0099"):
            list_keys(session, "AIU-0099")


def test_restoring_placeholders_is_off_by_default_and_recorded_when_changed(db, sample_config, now):
    with db.session() as session:
        record = approved(session, sample_config, now)
        assert session.get(GatewayUseOption, record.id) is None
        on = {"record_ref": record.ref, "actor": OLIVER, "config": sample_config}
        assert set_restore_placeholders(session, on=True, **on) is True
        assert set_restore_placeholders(session, on=True, **on) is False  # already on
        assert set_restore_placeholders(session, on=False, **on) is True
        with pytest.raises(PermissionDenied):
            set_restore_placeholders(session, on=True, **{**on, "actor": MARCUS})
        changes = [
            json.loads(line.payload)
            for line in evidence.iter_ledger(session)
            if line.kind == "gateway.option.changed"
        ]
    assert changes == [
        {"record_ref": "AIU-0001", "option": "restore_placeholders", "from": False, "to": True},
        {"record_ref": "AIU-0001", "option": "restore_placeholders", "from": True, "to": False},
    ]


def test_what_is_recorded_of_a_presented_key_is_a_short_prefix():
    assert presented_prefix("aims_sk_3fQ9abcdefghijklmnop") == "aims_sk_3fQ9"
    assert presented_prefix("sk-proj-abcdefghijklmnop") == "sk-proj-"
    assert presented_prefix("ab\ncd") == "ab?cd"
    assert presented_prefix("") == ""


def test_a_key_in_any_payload_is_redacted_from_the_ledger(db, now):
    key = KEY_MARK + "x" * 43
    with db.session() as session:
        evidence.append(
            session,
            actor="U0",
            kind=EvidenceKind.SLACK_ERROR,
            subject="E1",
            payload={"error": f"boom {key}", "payload_type": "x"},
        )
    with db.session() as session:
        [row] = session.scalars(select(EvidenceEvent)).all()
    assert key not in row.payload and "[redacted]" in row.payload


def test_key_rows_hold_no_key_column():
    assert {c.name for c in GatewayKey.__table__.columns} >= {"key_hash", "prefix"}
    assert "key" not in {c.name for c in GatewayKey.__table__.columns}
