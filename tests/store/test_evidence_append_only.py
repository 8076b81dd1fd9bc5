"""Evidence can be added, never changed: through the ORM, in bulk, or with raw SQL while the
database's triggers are in place. Secrets never reach it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, exc, text, update

from governance import register
from governance.models import RecordFields
from store import evidence
from store.evidence import AppendOnlyViolation
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent
from tests.store.tampering import fill_ledger


def _ledger_unchanged(db, count: int) -> None:
    with db.session() as session:
        result = evidence.verify(evidence.iter_ledger(session))
    assert result.describe() == f"OK {count} events"


def test_updating_an_event_through_the_orm_is_refused(db, now):
    fill_ledger(db, 3, now)
    with pytest.raises(AppendOnlyViolation, match="append-only"), db.session() as session:
        session.get(EvidenceEvent, 2).payload = '{"n":999}'
    _ledger_unchanged(db, 3)


def test_deleting_an_event_through_the_orm_is_refused(db, now):
    fill_ledger(db, 3, now)
    with pytest.raises(AppendOnlyViolation), db.session() as session:
        session.delete(session.get(EvidenceEvent, 2))
    _ledger_unchanged(db, 3)


@pytest.mark.parametrize(
    "statement",
    [update(EvidenceEvent).values(actor="U0MALLORY1"), delete(EvidenceEvent)],
    ids=["bulk update", "bulk delete"],
)
def test_bulk_orm_statements_are_refused(db, now, statement):
    fill_ledger(db, 3, now)
    with pytest.raises(AppendOnlyViolation), db.session() as session:
        session.execute(statement)
    _ledger_unchanged(db, 3)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE evidence_events SET payload = '{}' WHERE seq = 2",
        "UPDATE evidence_events SET seq = 99 WHERE seq = 3",
        "DELETE FROM evidence_events WHERE seq = 2",
        "DELETE FROM evidence_events",
    ],
    ids=["edit", "renumber", "delete one", "delete all"],
)
def test_raw_sql_is_refused_by_the_database_triggers(db, now, sql):
    fill_ledger(db, 3, now)
    with pytest.raises(exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(sql))
    _ledger_unchanged(db, 3)


def test_secrets_and_tokens_in_payloads_are_redacted(db, now):
    payload = {
        "slack_bot_token": "xoxb-1111-2222-abcdefABCDEF",
        "request": {"headers": {"Authorization": "Bearer abc.def.ghi-jkl"}},
        "note": "pasted xoxp-123-456-789-abcdef and sk-ant-api03-AbCdEf0123456789xyz by mistake",
        "steps": [{"api_key": "k-123"}, "hook https://hooks.slack.com/services/T0/B0/XYZ"],
        "usage": {"prompt_tokens": 812, "completion_tokens": 64},
        "has_token": True,
    }
    with db.session() as session:
        evidence.append(
            session,
            actor="U0TEST0001",
            kind=EvidenceKind.SLACK_INBOUND,  # a Slack body is where tokens arrive
            subject="AIU-0001",
            payload=payload,
            now=now,
        )
    with db.session() as session:
        stored = session.get(EvidenceEvent, 1).payload
    for secret in ("xoxb-1111", "abc.def.ghi", "xoxp-123", "sk-ant-api03", "k-123", "T0/B0/XYZ"):
        assert secret not in stored
    assert stored.count("[redacted]") == 6
    assert '"prompt_tokens":812' in stored and '"has_token":true' in stored
    assert "pasted [redacted] and [redacted] by mistake" in stored


def test_a_token_in_a_record_field_does_not_reach_the_evidence(db, now):
    fields = RecordFields(title="Bot", purpose="Calls Slack with xoxb-9999-8888-secretvalue")
    with db.session() as session:
        register.create_record(session, fields=fields, actor="U0TEST0001", now=now)
    with db.session() as session:
        payloads = [line.payload for line in evidence.iter_ledger(session)]
    assert payloads and not any("xoxb-9999" in payload for payload in payloads)


def test_truncating_the_ledger_on_postgres_is_refused(db, now):
    if not db.is_postgres:
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is refused above")
    fill_ledger(db, 3, now)
    with pytest.raises(exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("TRUNCATE evidence_events"))
    _ledger_unchanged(db, 3)


def test_slack_response_urls_never_reach_the_ledger():
    """Whoever holds a response URL can post as the bot, so it counts as a secret."""
    url = "https://hooks.slack.com/commands/T0ACME/1234/AbCdEf123"
    cleaned = evidence.redact_secrets(
        {"response_url": url, "response_urls": [{"response_url": url}], "text": f"see {url}"}
    )
    assert url not in evidence.canonical_json(cleaned)
    assert cleaned["response_url"] == evidence.REDACTED
