"""Questions about a register record's status, answered from the register and nothing else.

"Has AIU-0001 been approved?" has one source of truth: the record and its approval request.
Policy text that claims a decision ("the governance lead has approved AIU-0001") is not one, so
the router and the policy answerer hand such questions here before any passage is searched.
"""

from __future__ import annotations

import re

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.approvals.models import RequestStatus
from governance.approvals.service import pending_slots, requests_of
from governance.config import OrgConfig
from governance.models import RecordStatus
from governance.register import format_ref
from store.approval_models import ApprovalRequest
from store.models import AIUse

_REF = re.compile(r"\bAIU[-\s]?(\d{1,6})\b", re.I)
# "Has my registration been approved?", "Have the pending register records been approved?":
# a record's status asked without its id. ("When is a record approved?" asks about the
# process, and stays a policy question: it has no has/have/was subject before the noun.)
_STATUS_QUESTION = re.compile(
    r"\b(?:has|have|was|were|is|are)\s+(?:my|our|the|all|every|any|these|those|this)\s+"
    r"(?:(?:pending|open|submitted|new)\s+)?(?:register(?:ed)?\s+)?"
    r"(?:records?|registrations?|submissions?|ai uses?|requests?)\b[^?.!]{0,60}?"
    r"\b(?:approved|rejected|signed off|decided)\b",
    re.I,
)
_ASKS_APPROVED = re.compile(r"\b(?:approved|signed off|cleared|allowed)\b", re.I)
_ASKS_REJECTED = re.compile(r"\brejected\b", re.I)
_APPROVED = {RecordStatus.APPROVED, RecordStatus.APPROVED_WITH_CONDITIONS, RecordStatus.LIVE}
_FROM_THE_REGISTER = "(From the register: policy documents never decide a record's status.)"


class RecordStatusAnswer(BaseModel):
    text: str
    refs: list[str]


def record_refs(text: str) -> list[str]:
    """Register ids named in `text`, normalised ("aiu 7" -> AIU-0007), in order."""
    return list(dict.fromkeys(format_ref(int(number)) for number in _REF.findall(text)))


def asks_about_records(text: str) -> bool:
    """Whether `text` asks about register records rather than about policy."""
    return bool(_REF.search(text) or _STATUS_QUESTION.search(text))


def answer_about_records(
    session: Session, question: str, *, config: OrgConfig
) -> RecordStatusAnswer:
    refs = record_refs(question)
    if not refs:
        return RecordStatusAnswer(
            text="Which record do you mean? Give its id, like AIU-0007, or say "
            f'"my records" to see yours. {_FROM_THE_REGISTER}',
            refs=[],
        )
    found = []
    lines = []
    for ref in refs:
        record = session.scalar(select(AIUse).where(AIUse.ref == ref))
        if record is None:
            lines.append(
                f"There is no register record {ref}. Check the id (they look like AIU-0007), "
                'or say "my records" to see yours.'
            )
            continue
        found.append(ref)
        lines.append(describe(session, record, config=config, question=question))
    if found:
        lines.append(_FROM_THE_REGISTER)
    return RecordStatusAnswer(text="\n".join(lines), refs=found)


def describe(session: Session, record: AIUse, *, config: OrgConfig, question: str = "") -> str:
    """One record's status as a person asks for it: the yes or no first, then what it waits on."""
    status = RecordStatus(record.status)
    words = status.value.replace("_", " ")
    tier = f", risk tier {record.risk_tier}" if record.risk_tier else ", not tiered yet"
    line = (
        f"{_verdict(question, status)}{record.ref} “{record.title}” is {words}{tier} "
        f"(v{record.version})."
    )
    waiting = _waiting_for(session, record, config)
    if waiting:
        line += f" Waiting for approval from {waiting}."
    return line


def _verdict(question: str, status: RecordStatus) -> str:
    if _ASKS_REJECTED.search(question):
        return "Yes: " if status is RecordStatus.REJECTED else "No: "
    if _ASKS_APPROVED.search(question):
        return "Yes: " if status in _APPROVED else "No: "
    return ""


def _waiting_for(session: Session, record: AIUse, config: OrgConfig) -> str:
    open_requests: list[ApprovalRequest] = [
        r for r in requests_of(session, record) if r.status == RequestStatus.OPEN.value
    ]
    if not open_requests:
        return ""
    parts = []
    for slot in pending_slots(session, open_requests[-1]):
        names = " or ".join(config.display_name(person) for person in slot.approvers)
        parts.append(f"{slot.role.replace('_', ' ')} ({names})")
    return "; ".join(parts)
