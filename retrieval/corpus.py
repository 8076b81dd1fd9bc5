"""The ingested chunks as the answerer sees them: loaded from the database, with BM25 on top.

The database is the source of truth, so every replica builds the same BM25 index, and a cheap
fingerprint query tells a long-running process when another process has re-ingested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrieval.bm25 import BM25Index
from retrieval.chunking import SECTION_SEPARATOR, keyword_text
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

    @property
    def heading(self) -> str:
        return SECTION_SEPARATOR.join([self.document_title, *self.section_path])


def corpus_fingerprint(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        select(
            func.count(PolicyDocument.id),
            func.max(PolicyDocument.ingested_at),
            func.coalesce(func.sum(PolicyDocument.chunk_count), 0),
        )
    ).one()
    return tuple(row)


class Corpus:
    def __init__(self, chunks: list[ChunkRecord], fingerprint: tuple[Any, ...]) -> None:
        self.chunks = {chunk.id: chunk for chunk in chunks}
        self.fingerprint = fingerprint
        self.bm25 = BM25Index(
            [chunk.id for chunk in chunks],
            [keyword_text(c.document_title, c.section_path, c.text) for c in chunks],
        )

    @classmethod
    def load(cls, session: Session) -> Corpus:
        fingerprint = corpus_fingerprint(session)
        rows = session.execute(
            select(PolicyChunk, PolicyDocument)
            .join(PolicyDocument, PolicyChunk.document_id == PolicyDocument.id)
            .order_by(PolicyDocument.source, PolicyChunk.ordinal)
        ).all()
        chunks = [
            ChunkRecord(
                id=chunk.id,
                content_hash=chunk.content_hash,
                document_title=doc.title,
                section_path=tuple(chunk.section_path),
                source=doc.source,
                url=doc.url,
                text=chunk.text,
            )
            for chunk, doc in rows
        ]
        return cls(chunks, fingerprint)

    def __len__(self) -> int:
        return len(self.chunks)
