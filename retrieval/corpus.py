"""The ingested chunks as the answerer sees them: loaded from the database, with BM25 on top.

The database is the source of truth, so every replica builds the same BM25 index, and a cheap
fingerprint query tells a long-running process when another process has re-ingested (or a
governance lead has trusted a document).

Chunks flagged as instructions to a system (retrieval.instructions) are withheld: they are not
searchable, so no answer quotes them and no LLM reads them, unless their document is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrieval.bm25 import BM25Index
from retrieval.chunking import SECTION_SEPARATOR, keyword_text
from retrieval.instructions import DETECTOR_VERSION, Flag, flag_instructions, flags_from_json
from store.retrieval_models import PolicyChunk, PolicyDocument


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    content_hash: str
    document_title: str
    section_path: tuple[str, ...]
    source: str
    url: str | None
    text: str
    flags: tuple[Flag, ...] = ()

    @property
    def heading(self) -> str:
        return SECTION_SEPARATOR.join([self.document_title, *self.section_path])


def corpus_fingerprint(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        select(
            func.count(PolicyDocument.id),
            func.max(PolicyDocument.ingested_at),
            func.coalesce(func.sum(PolicyDocument.chunk_count), 0),
            func.max(PolicyDocument.trust_changed_at),
        )
    ).one()
    return tuple(row)


class Corpus:
    def __init__(
        self,
        chunks: list[ChunkRecord],
        fingerprint: tuple[Any, ...],
        withheld: list[ChunkRecord] | None = None,
    ) -> None:
        self.chunks = {chunk.id: chunk for chunk in chunks}
        # Flagged as instructions and not trusted: kept for listing, never searched.
        self.withheld = {chunk.id: chunk for chunk in withheld or []}
        self.fingerprint = fingerprint
        self.bm25 = BM25Index(
            [chunk.id for chunk in chunks],
            [keyword_text(c.document_title, c.section_path, c.text) for c in chunks],
        )

    @classmethod
    def load(cls, session: Session) -> Corpus:
        fingerprint = corpus_fingerprint(session)
        answerable, withheld = load_chunks(session)
        return cls(answerable, fingerprint, withheld)

    def __len__(self) -> int:
        return len(self.chunks)

    def of_document(self, source: str) -> Corpus:
        """The answerable chunks of one document only (a question about that policy)."""
        return Corpus([c for c in self.chunks.values() if c.source == source], self.fingerprint)


def load_chunks(session: Session) -> tuple[list[ChunkRecord], list[ChunkRecord]]:
    """Every ingested chunk, split into answerable and withheld ones."""
    rows = session.execute(
        select(PolicyChunk, PolicyDocument)
        .join(PolicyDocument, PolicyChunk.document_id == PolicyDocument.id)
        .order_by(PolicyDocument.source, PolicyChunk.ordinal)
    ).all()
    answerable: list[ChunkRecord] = []
    withheld: list[ChunkRecord] = []
    for chunk, doc in rows:
        record = ChunkRecord(
            id=chunk.id,
            content_hash=chunk.content_hash,
            document_title=doc.title,
            section_path=tuple(chunk.section_path),
            source=doc.source,
            url=doc.url,
            text=chunk.text,
            flags=tuple(chunk_flags(chunk, doc)),
        )
        (withheld if record.flags and not doc.trusted else answerable).append(record)
    return answerable, withheld


def chunk_flags(chunk: PolicyChunk, document: PolicyDocument) -> list[Flag]:
    """The chunk's stored flags, or a fresh screening when it was screened by older rules (or
    never): a database not re-ingested since the rules changed is still screened."""
    if document.screened_with == DETECTOR_VERSION and chunk.instruction_flags is not None:
        return flags_from_json(chunk.instruction_flags)
    return flag_instructions(chunk.text)
