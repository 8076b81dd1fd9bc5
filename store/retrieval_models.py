"""Ingested policy documents and their chunks: the state that makes ingestion incremental.

The database is the source of truth for which chunks exist; the vector and BM25 indexes are
derived from it and repaired from it (see retrieval.ingest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models import Base, utcnow


class PolicyDocument(Base):
    __tablename__ = "policy_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # SHA-256 of the file's bytes; `pipeline` names the chunker and embedding model that
    # produced the chunks, so a change to either re-ingests the document.
    content_hash: Mapped[str] = mapped_column(String(64))
    pipeline: Mapped[str] = mapped_column(String(300))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The instruction detector (retrieval.instructions.DETECTOR_VERSION) that screened the
    # chunks; NULL for documents ingested before screening existed.
    screened_with: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Trust is given to one version of a document: a governance lead vouches for these bytes,
    # so its passages flagged as instructions are answered from. A changed file is untrusted
    # until a lead looks again. Who and why are in the evidence ledger (policy.trusted).
    trusted_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    trusted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When trust was last given or withdrawn: part of the corpus fingerprint, so a running bot
    # sees the change without a re-ingest.
    trust_changed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    @property
    def trusted(self) -> bool:
        return self.trusted_sha256 is not None and self.trusted_sha256 == self.content_hash

    chunks: Mapped[list[PolicyChunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="PolicyChunk.ordinal"
    )


class PolicyChunk(Base):
    __tablename__ = "policy_chunks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("policy_documents.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    section_path: Mapped[list[Any]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Sentences that read as instructions to a system or model ([{sentence, reason}], see
    # retrieval.instructions); empty when none, NULL when the chunk was never screened.
    instruction_flags: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    document: Mapped[PolicyDocument] = relationship(back_populates="chunks")
