"""What the governance leads must fix in the policy documents: passages withheld from answers
because they read as instructions to a system, and passages that contradict the tool catalogue.

Both are read from the database as ingestion and answering left it (retrieval/ writes the flags
and the policy.conflict events), so `aims ingest`, `aims policies` and the weekly digest list
the same things.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.reviews import fmt_day
from governance.text import esc
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent
from store.retrieval_models import PolicyChunk, PolicyDocument


class FlaggedPassage(BaseModel):
    """One sentence that reads as an instruction to a system, and where it is."""

    source: str
    document: str
    section: str
    sentence: str
    reason: str
    trusted: bool

    @property
    def place(self) -> str:
        return f"{self.document} § {self.section}" if self.section else self.document


class PolicyConflict(BaseModel):
    """A passage that contradicts the catalogue about a tool, as first recorded."""

    tool: str
    catalogue_status: str
    passage_says: str
    place: str
    source: str
    sentence: str
    first_seen: datetime


def flagged_passages(session: Session, *, include_trusted: bool = False) -> list[FlaggedPassage]:
    """Flagged sentences, document by document; those of trusted documents only if asked."""
    rows = session.execute(
        select(PolicyDocument, PolicyChunk.section_path, PolicyChunk.instruction_flags)
        .join(PolicyChunk, PolicyChunk.document_id == PolicyDocument.id)
        .order_by(PolicyDocument.source, PolicyChunk.ordinal)
    ).all()
    found: list[FlaggedPassage] = []
    for document, section_path, flags in rows:
        if not flags or (document.trusted and not include_trusted):
            continue
        for flag in flags:
            found.append(
                FlaggedPassage(
                    source=document.source,
                    document=document.title,
                    section=(section_path or [""])[-1],
                    sentence=str(flag.get("sentence", "")),
                    reason=str(flag.get("reason", "")),
                    trusted=document.trusted,
                )
            )
    return found


def open_conflicts(session: Session, *, config: OrgConfig) -> list[PolicyConflict]:
    """Recorded conflicts that still hold: the passage is still ingested, unchanged, and the
    catalogue still gives the tool the status it was found to contradict. Each is listed once,
    however often it was met."""
    statuses = {tool.name: tool.status.value for tool in config.catalogue}
    present = {
        (source, content_hash)
        for source, content_hash in session.execute(
            select(PolicyDocument.source, PolicyChunk.content_hash).join(
                PolicyChunk, PolicyChunk.document_id == PolicyDocument.id
            )
        )
    }
    events = session.scalars(
        select(EvidenceEvent)
        .where(EvidenceEvent.kind == EvidenceKind.POLICY_CONFLICT)
        .order_by(EvidenceEvent.seq)
    )
    found: dict[str, PolicyConflict] = {}
    for event in events:
        payload = json.loads(event.payload)
        if event.subject in found or not isinstance(payload, dict):
            continue
        tool, status = str(payload.get("tool")), str(payload.get("catalogue_status"))
        source = str(payload.get("source"))
        if statuses.get(tool) != status or (source, payload.get("chunk_hash")) not in present:
            continue
        found[event.subject] = PolicyConflict(
            tool=tool,
            catalogue_status=status,
            passage_says=str(payload.get("passage_says")),
            place=str(payload.get("place")),
            source=source,
            sentence=str(payload.get("sentence")),
            first_seen=event.occurred_at,
        )
    return list(found.values())


# --- as the digest shows them (Slack mrkdwn) ---------------------------------------------------


def conflict_line(conflict: PolicyConflict) -> str:
    status = conflict.catalogue_status.replace("_", " ")
    return (
        f"{conflict.tool}: the catalogue says {status}; {esc(conflict.place)} "
        f"{conflict.passage_says} it (“{_quote(conflict.sentence)}”), since "
        f"{fmt_day(conflict.first_seen.date())}"
    )


def withheld_line(passage: FlaggedPassage) -> str:
    return f"{esc(passage.place)}: “{_quote(passage.sentence)}” ({passage.reason})"


def _quote(text: str, limit: int = 160) -> str:
    """Policy text quoted into mrkdwn: shortened, and never read as a mention or a link (a
    planted passage must not ping the channel)."""
    short = text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"
    return esc(short)
