"""A policy stored as ingest stores it (document and chunks, no vectors: campaigns read the
text, never search it), and the sample organisation with people who have a manager."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from retrieval.chunking import chunk_document
from retrieval.documents import parse_document
from store.retrieval_models import PolicyChunk, PolicyDocument

POLICIES = Path(__file__).resolve().parents[3] / "examples" / "acme" / "policies"
ACCEPTABLE_USE = POLICIES / "acceptable-use-of-ai-tools.md"


def store_policy(session: Session, path: Path, data: bytes | None = None) -> PolicyDocument:
    """Store `path` (or `data` as its new content) like `aims ingest` does, replacing an older
    version of the same source."""
    data = path.read_bytes() if data is None else data
    parsed = parse_document(path, data)
    document = session.scalar(select(PolicyDocument).where(PolicyDocument.source == str(path)))
    if document is None:
        document = PolicyDocument(source=str(path), title=parsed.title, url=parsed.url)
        session.add(document)
    else:
        session.execute(delete(PolicyChunk).where(PolicyChunk.document_id == document.id))
    document.content_hash = hashlib.sha256(data).hexdigest()
    document.pipeline = "test"
    session.flush()
    for chunk in chunk_document(parsed):
        session.add(
            PolicyChunk(
                id=chunk.id,
                document_id=document.id,
                ordinal=chunk.ordinal,
                section_path=list(chunk.section_path),
                text=chunk.text,
                content_hash=chunk.content_hash,
            )
        )
    session.flush()
    return document
