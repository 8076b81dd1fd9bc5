"""A ledger with something in every section of the audit pack, made by the domain's own
services (approvals, incidents, reviews, gateway keys) plus answer and gateway events written
as their writers write them. Text a person typed carries HTML, to show the pack escapes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.config import OrgConfig
from governance.gateway.keys import issue_key
from governance.incidents import IncidentReport, Severity, report_incident
from governance.models import RiskTier
from governance.register import get_record
from governance.reviews import ReviewAnswers, ReviewOutcome, complete_review
from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind
from tests.governance.approvals.helpers import REQUESTER, submitted
from tests.governance.gateway.helpers import OLIVER, approved

HOSTILE_TITLE = '<img src=x onerror="alert(1)"> Claims </td></tr> triage & more'
HOSTILE_INCIDENT = "<script>alert('pwned')</script> the bot quoted a customer's balance"
CONDITION = "Only <b>anonymised</b> claims data"


@dataclass(frozen=True)
class Ledger:
    approved: str  # approved with a condition, reviewed since
    hostile: str  # approved, with a title full of HTML
    waiting: str  # submitted, waiting for its approvers
    overdue: str  # approved more than a year ago, never reviewed
    incident: str


def _answer(question: str, covered: bool, unknown: list[str]) -> dict[str, Any]:
    return {
        "question": question,
        "question_sha256": "0" * 64,
        "answer": "See the AI use policy.",
        "covered": covered,
        "mode": "extractive",
        "retrieval": {"method": "hybrid", "confidence": 0.5},
        "citations": [],
        "tools": [],
        "unknown_tools": unknown,
    }


def _decision(ref: str | None, outcome: str, **changes: Any) -> dict[str, Any]:
    return {
        "key_id": "KEY-0001" if ref else None,
        "key_prefix": "aims_sk_abcd",
        "record_ref": ref,
        "version": 1 if ref else None,
        "model": "gpt-4o-mini",
        "outcome": outcome,
        "reason": None if outcome != "refuse" else "unknown_key",
        "message": "",
        "found": {},
        "redacted": {},
        "prompt_sha256_received": "a" * 64,
        "prompt_sha256_forwarded": None if outcome == "refuse" else "a" * 64,
        "upstream": None if outcome == "refuse" else "openai",
        "upstream_status": None,
        "latency_ms": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "via": "http",
        **changes,
    }


def fill(db: Database, config: OrgConfig, now: datetime) -> Ledger:
    """A month of activity ending at `now`."""
    start = now - timedelta(days=30)
    with db.session() as session:
        overdue = approved(session, config, now - timedelta(days=400), title="Old translator").ref
        first = approved(session, config, start, conditions=[CONDITION]).ref
        hostile = approved(session, config, start, title=HOSTILE_TITLE).ref
        waiting = submitted(session, config, RiskTier.HIGH, start + timedelta(days=1)).ref
        issue_key(session, record_ref=first, actor=OLIVER, config=config, now=start)
        complete_review(
            session,
            record=get_record(session, first),
            config=config,
            actor=OLIVER,
            answers=ReviewAnswers(
                still_in_use=True, changed=False, incidents=False, performing=True
            ),
            outcome=ReviewOutcome.CONTINUE,
            now=start + timedelta(days=2),
        )
        incident = report_incident(
            session,
            config=config,
            actor=REQUESTER,
            now=start + timedelta(days=3),
            report=IncidentReport(
                ai_use_ref=first,
                what_happened=HOSTILE_INCIDENT,
                occurred_at=start + timedelta(days=3),
                severity=Severity.HIGH,
                people_harmed=False,
            ),
        ).ref
        for day, (question, covered, unknown) in enumerate(
            [
                ("Can I use ChatGPT?", True, []),
                ("Is Gamma allowed?", False, ["Gamma"]),
                ("Can I use <Tome>?", False, ["<Tome>", "gamma"]),
            ]
        ):
            evidence.append(
                session,
                actor=REQUESTER,
                kind=EvidenceKind.ANSWER_GIVEN,
                subject=f"question:{day}",
                payload=_answer(question, covered, unknown),
                now=start + timedelta(days=4 + day),
            )
        for payload in [
            _decision(first, "allow"),
            _decision(first, "redact", redacted={"EMAIL_ADDRESS": 1}),
            _decision(None, "refuse"),
        ]:
            evidence.append(
                session,
                actor=payload["key_id"] or "gateway",
                kind=EvidenceKind.GATEWAY_DECISION,
                subject=payload["record_ref"] or "gateway",
                payload=payload,
                now=start + timedelta(days=8),
            )
    return Ledger(
        approved=first, hostile=hostile, waiting=waiting, overdue=overdue, incident=incident
    )
