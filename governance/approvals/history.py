"""Who approved which version, when, with which conditions: lines for `aims register show`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from governance.approvals.messages import when
from governance.approvals.models import Verdict
from governance.approvals.people import Names
from governance.approvals.service import decisions_of, requests_of, slots_of
from governance.config import OrgConfig
from store.approval_models import ApprovalDecision, ApprovalRequest
from store.models import AIUse


def approval_lines(session: Session, record: AIUse, config: OrgConfig) -> list[str]:
    lines: list[str] = []
    for request in requests_of(session, record):
        lines += _request_lines(session, request, config)
    return lines


def _request_lines(session: Session, request: ApprovalRequest, config: OrgConfig) -> list[str]:
    status = request.status.replace("_", " ")
    closed = f", closed {when(request.closed_at)}" if request.closed_at else ""
    lines = [
        f"v{request.version} (request #{request.id}, opened {when(request.opened_at)} by "
        f"{config.display_name(request.opened_by)}): {status}{closed}"
    ]
    decided = {decision.slot: decision for decision in decisions_of(session, request)}
    names = Names(config)  # plain text: people aims.yaml does not name keep their id
    for slot in slots_of(session, request):
        decision = decided.get(slot.key)
        if decision is None:
            lines.append(f"  {slot.key}: waiting for {names.any_of(slot.approvers)}")
        else:
            lines += _decision_lines(decision, names)
    return lines


def _decision_lines(decision: ApprovalDecision, names: Names) -> list[str]:
    who = names(decision.decided_by)
    if decision.on_behalf_of:
        who += f" as delegate for {names(decision.on_behalf_of)}"
    head = (
        f"  {decision.slot}: {Verdict(decision.verdict).label} by {who}, "
        f"{when(decision.decided_at)} (via {decision.via})"
    )
    lines = [head]
    lines += [f"    condition: {condition}" for condition in decision.conditions]
    if decision.reason and not decision.conditions:
        lines.append(f"    reason: {decision.reason}")
    return lines
