"""The evidence catalogue: the ledger records only the kinds store/evidence_kinds.py declares,
each with a payload of its declared shape, and product code names kinds by the catalogue."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from governance.notices import Notice
from store import evidence
from store.evidence_kinds import EvidenceKind, PayloadMismatch, UnknownEvidenceKind
from store.models import EvidenceEvent
from store.outbox_kinds import OutboxKind

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("governance", "intake", "retrieval", "scheduler", "store", "bot")
CATALOGUES = {ROOT / "store" / "evidence_kinds.py", ROOT / "store" / "outbox_kinds.py"}
# The standalone verifier audit packs carry cannot import the catalogue; it spells out the
# ledger's own kinds, and a test below holds them to the catalogue's.
STANDALONE = ROOT / "store" / "ledger_verify.py"
# Kinds already in ledgers in the field: renaming one would orphan (and, in the hash chain,
# fix forever) every event recorded under it. Add new kinds freely; never remove these.
RECORDED_KINDS = {
    "record.created",
    "record.updated",
    "record.transitioned",
    "record.retired",
    "record.tier_overridden",
    "record.imported",
    "review.due",
    "review.reminded",
    "review.escalated",
    "review.lapsed",
    "review.snoozed",
    "review.completed",
    "approval.requested",
    "approval.superseded",
    "approval.decided",
    "approval.refused",
    "approval.completed",
    "approval.nudged",
    "approval.escalated",
    "incident.reported",
    "incident.followed_up",
    "incident.closed",
    "intake.transcript",
    "intake.expired",
    "answer.given",
    "answer.feedback",
    "policies.ingested",
    "policy.conflict",
    "policy.trusted",
    "policy.untrusted",
    "catalogue.synced",
    "digest.queued",
    "slack.inbound",
    "slack.inbound.duplicate",
    "slack.outbound",
    "slack.error",
    "slack.rejected",
}
UPDATED = {"version": 2, "changes": {"owner": {"from": None, "to": "U0ACME0001"}}, "reason": "x"}


def _ledger(db) -> list[evidence.LedgerLine]:
    with db.session() as session:
        return list(evidence.iter_ledger(session))


def _one_event_recorded(db, now) -> None:
    with db.session() as session:
        evidence.append(
            session,
            actor="U0ACME0001",
            kind=EvidenceKind.RECORD_UPDATED,
            subject="AIU-0001",
            payload=UPDATED,
            now=now,
        )


@pytest.mark.parametrize("kind", ["llm.called", "Record.Created", "record.created ", ""])
def test_a_kind_outside_the_catalogue_is_refused_and_nothing_is_written(db, now, kind):
    _one_event_recorded(db, now)
    with pytest.raises(UnknownEvidenceKind, match="store/evidence_kinds.py") as refused:
        with db.session() as session:
            evidence.append(session, actor="U0ACME0001", kind=kind, subject="AIU-0001", now=now)
    assert isinstance(refused.value, ValueError)
    assert repr(kind) in str(refused.value)
    lines = _ledger(db)
    assert [line.kind for line in lines] == ["record.updated"]
    assert evidence.verify(lines).ok


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"version": 2, "changes": {}}, "reason: Field required"),
        ({**UPDATED, "api_key": "sk-live-0123456789abcdefXYZ"}, "api_key: Extra inputs"),
        ({**UPDATED, "version": "two"}, "version: Input should be a valid integer"),
        ({**UPDATED, "changes": {"owner": {"to": "U0ACME0001"}}}, "changes.owner.from"),
        ({"n": 1}, "version: Field required"),
    ],
    ids=["missing", "extra", "mistyped", "nested", "another shape"],
)
def test_a_payload_that_does_not_match_its_kind_is_refused_and_nothing_is_written(
    db, now, payload, named
):
    _one_event_recorded(db, now)
    with pytest.raises(PayloadMismatch) as refused:
        with db.session() as session:
            evidence.append(
                session,
                actor="U0ACME0001",
                kind=EvidenceKind.RECORD_UPDATED,
                subject="AIU-0001",
                payload=payload,
                now=now,
            )
    message = str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert "'record.updated'" in message and "RecordUpdated" in message and named in message
    assert "sk-live" not in message  # values (secrets among them) stay out of the error
    assert len(_ledger(db)) == 1 and evidence.verify(_ledger(db)).ok


def test_a_refused_append_leaves_the_callers_transaction_usable(db, now):
    with db.session() as session:
        with pytest.raises(ValueError):
            evidence.append(session, actor="U0", kind=EvidenceKind.SLACK_ERROR, subject="E1")
        evidence.append(
            session,
            actor="U0",
            kind=EvidenceKind.SLACK_ERROR,
            subject="E1",
            payload={"error": "RuntimeError('boom')", "payload_type": "SlashCommand"},
        )
    assert [(line.seq, line.kind) for line in _ledger(db)] == [(1, "slack.error")]


def test_the_stored_kind_is_the_plain_catalogue_string_so_existing_ledgers_verify(db, now):
    """A kind given as its catalogue string (as older callers did) and as the member store
    and hash identically: the chain hashes the same text it always did."""
    with db.session() as session:
        for kind in (EvidenceKind.RECORD_UPDATED, "record.updated"):
            evidence.append(
                session, actor="U0ACME0001", kind=kind, subject="AIU-0001", payload=UPDATED, now=now
            )
    with db.session() as session:
        stored = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.seq)).all()
        assert [type(row.kind) for row in stored] == [str, str]
        assert [row.kind for row in stored] == ["record.updated", "record.updated"]
    lines = _ledger(db)
    assert evidence.verify(lines).ok
    first = lines[0]
    assert first.hash == evidence.event_hash(
        prev_hash=evidence.GENESIS,
        occurred_at=first.occurred_at,
        actor="U0ACME0001",
        kind="record.updated",
        subject="AIU-0001",
        payload=first.payload,
    )


def test_no_kind_already_in_a_ledger_has_left_the_catalogue_or_been_renamed():
    missing = RECORDED_KINDS - {kind.value for kind in EvidenceKind}
    assert not missing, f"kinds recorded in existing ledgers are gone: {sorted(missing)}"


def test_every_kind_has_a_meaning_and_a_payload_model():
    assert len(EvidenceKind) >= len(RECORDED_KINDS)
    for kind in EvidenceKind:
        assert kind.meaning.strip() and "\n" not in kind.meaning, kind
        assert kind.meaning[0].isupper() and kind.meaning.endswith("."), kind
        assert issubclass(kind.payload_model, BaseModel), kind
    meanings = [kind.meaning for kind in EvidenceKind]
    assert len(set(meanings)) == len(meanings), "two kinds say they mean the same thing"


def test_the_standalone_verifier_names_the_ledgers_own_kinds_as_the_catalogue_does():
    from store import ledger_verify

    assert (ledger_verify.KEY_CREATED, ledger_verify.KEY_ROTATED, ledger_verify.DIGEST) == (
        EvidenceKind.LEDGER_KEY_CREATED,
        EvidenceKind.LEDGER_KEY_ROTATED,
        EvidenceKind.LEDGER_DIGEST,
    )


def test_every_outbox_kind_has_a_meaning_and_a_notice_refuses_any_other_kind():
    for kind in OutboxKind:
        assert kind.meaning.strip() and "\n" not in kind.meaning, kind
    assert (
        Notice(kind="review.due", subject="AIU-0001", title="Review").kind is OutboxKind.REVIEW_DUE
    )
    with pytest.raises(ValidationError, match="kind"):
        Notice(kind="review.overdue", subject="AIU-0001", title="Review")


# --- product code names kinds by the catalogue -----------------------------------------------


def _product_sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path not in {*CATALOGUES, STANDALONE}:
                yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _is_append(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "append") or (
        isinstance(func, ast.Name) and func.id == "append"
    )


def test_no_append_in_product_code_passes_a_string_literal_as_kind():
    found = [
        _where(path, node)
        for path, tree in _product_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _is_append(node)
        for keyword in node.keywords
        if keyword.arg == "kind" and _is_text(keyword.value)
    ]
    assert found == [], f"name the kind with EvidenceKind, not a string: {found}"


def test_no_product_code_spells_out_a_catalogued_kind_as_a_string():
    """Helpers that pass a kind on (`_log(session, "review.due", ...)`), notices, outbox rows
    and readers (`EvidenceEvent.kind == "answer.given"`) use the members too."""
    spelled = {kind.value for kind in EvidenceKind} | {kind.value for kind in OutboxKind}
    found = []
    for path, tree in _product_sources():
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{_where(path, node)} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and node.value in spelled
            and id(node) not in docstrings
        ]
    assert found == [], f"use EvidenceKind / OutboxKind members: {found}"


def test_the_source_walk_would_see_a_literal_kind():
    """The two checks above are only worth something if they notice the thing they forbid."""
    tree = ast.parse(
        'evidence.append(session, actor="a", kind="answer.given", subject="q")\n'
        'ledger.append(session, actor="a", kind=f"answer.{x}", subject="q")\n'
    )
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_append(node)]
    assert len(calls) == 2
    assert all(_is_text(k.value) for call in calls for k in call.keywords if k.arg == "kind")
    tree = ast.parse("evidence.append(session, kind=EvidenceKind.ANSWER_GIVEN)")
    [call] = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert not any(_is_text(k.value) for k in call.keywords if k.arg == "kind")
