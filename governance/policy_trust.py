"""A governance lead vouches for a policy document whose passages read as instructions.

Ingestion withholds such passages from answers (retrieval.instructions). Some are meant: a
runbook for the support assistant really does say "you are the Acme support assistant". A
governance lead, and only a lead, can mark that version of the document trusted, in writing;
the passages are then answered from until the file changes. Withdrawing trust works the same.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import NotFoundError, PermissionDenied, ValidationProblem
from governance.policy_findings import flagged_passages
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import utcnow
from store.retrieval_models import PolicyDocument


def find_document(session: Session, name: str) -> PolicyDocument:
    """An ingested document by its path, file name or title (case-insensitive), if unique."""
    wanted = name.strip()
    documents = list(session.scalars(select(PolicyDocument).order_by(PolicyDocument.source)))
    resolved = str(Path(wanted).expanduser().resolve())
    exact = [d for d in documents if d.source in (wanted, resolved)]
    matches = exact or [
        d
        for d in documents
        if Path(d.source).name.casefold() == wanted.casefold()
        or d.title.casefold() == wanted.casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(
            f"no ingested policy document {wanted!r}; give its path, file name or title "
            "(`aims policies flagged` lists the documents with flagged passages)"
        )
    listed = ", ".join(d.source for d in matches)
    raise ValidationProblem(f"{wanted!r} matches several documents ({listed}); give the path")


def set_trust(
    session: Session,
    *,
    document: PolicyDocument,
    trusted: bool,
    actor: str,
    justification: str,
    config: OrgConfig,
    now: datetime | None = None,
) -> PolicyDocument:
    """Trust (or stop trusting) this version of the document, with the evidence saying who, why
    and which flagged sentences the decision covers."""
    leads = config.members("governance_leads")
    if actor not in leads:
        names = ", ".join(f"{config.display_name(lead)} ({lead})" for lead in leads)
        raise PermissionDenied(
            f"only a governance lead can mark a policy document trusted or untrusted: {names}"
        )
    text = justification.strip()
    if not text:
        raise ValidationProblem(
            "write a justification: why should this document's flagged passages be answered "
            "from (or no longer be)?"
        )
    moment = now or utcnow()
    covered = [
        p.model_dump(include={"section", "sentence", "reason"})
        for p in flagged_passages(session, include_trusted=True)
        if p.source == document.source
    ]
    document.trusted_sha256 = document.content_hash if trusted else None
    document.trusted_by = actor if trusted else None
    document.trust_changed_at = moment
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.POLICY_TRUSTED if trusted else EvidenceKind.POLICY_UNTRUSTED,
        subject=f"policy:{Path(document.source).name}"[:128],
        payload={
            "source": document.source,
            "title": document.title,
            "sha256": document.content_hash,
            "justification": text,
            "flagged": covered,
        },
        now=moment,
    )
    return document
