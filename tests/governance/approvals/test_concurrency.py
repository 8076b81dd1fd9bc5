"""Two bot replicas on Postgres deciding at the same moment: one decision each, one outcome."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from governance.approvals.flows import decide
from governance.approvals.models import DecisionInput, Verdict
from governance.approvals.service import open_request_for
from governance.models import RiskTier
from store import evidence
from store.approval_models import ApprovalDecision
from tests.governance.approvals.helpers import OLIVER, PRIYA, TOM, act, submitted


def _race(db, config, decisions):
    """Run each decision in its own thread and session, released together."""
    start, results, errors = threading.Barrier(len(decisions)), [], []

    def run(decision):
        try:
            start.wait()
            with db.session() as session:
                results.append(decide(session, decision=decision, config=config))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


def test_racing_deciders_on_one_slot_leave_exactly_one_decision(pg_db, sample_config, now):
    with pg_db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        request_id = open_request_for(session, record.ref).id
    # Priya and Tom (each other's delegate) and Priya's double click, all at once.
    deciders = [(PRIYA, Verdict.APPROVE), (TOM, Verdict.REJECT), (PRIYA, Verdict.APPROVE)] * 2
    results = _race(
        pg_db,
        sample_config,
        [
            DecisionInput(
                request_id=request_id,
                slot="governance_leads",
                verdict=verdict,
                actor=actor,
                reason="race",
                version=1,
            )
            for actor, verdict in deciders
        ],
    )
    assert sum(result.accepted for result in results) == 1
    assert {r.refusal for r in results if not r.accepted} == {"already_decided"}
    with pg_db.session() as session:
        assert session.scalar(select(func.count()).select_from(ApprovalDecision)) == 1
        decided = [
            line for line in evidence.iter_ledger(session) if line.kind == "approval.decided"
        ]
        assert len(decided) == 1 and evidence.verify(evidence.iter_ledger(session)).ok


def test_the_last_two_slots_decided_at_once_close_the_request_exactly_once(
    pg_db, sample_config, now
):
    with pg_db.session() as session:
        record = submitted(session, sample_config, RiskTier.LIMITED, now)
        act(session, sample_config, record.ref, "privacy", "U0ACME0003")
        request_id = open_request_for(session, record.ref).id
    results = _race(
        pg_db,
        sample_config,
        [
            DecisionInput(
                request_id=request_id,
                slot="governance_leads",
                verdict=Verdict.APPROVE,
                actor=PRIYA,
                version=1,
            ),
            DecisionInput(
                request_id=request_id,
                slot="business_owner",
                verdict=Verdict.APPROVE,
                actor=OLIVER,
                version=1,
            ),
        ],
    )
    assert all(result.accepted for result in results)
    assert [r.outcome for r in results if r.outcome is not None] == ["approved"]
    with pg_db.session() as session:
        kinds = [line.kind for line in evidence.iter_ledger(session)]
    assert kinds.count("approval.completed") == 1
