"""Wire retrieval to an AppContext: which embedding model, which vector index, ingestion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from retrieval.embeddings import Embedder, embedder_for
from retrieval.index import ChromaIndex, VectorIndex, chroma_client, collection_name
from retrieval.ingest import IngestReport, Progress, ingest

if TYPE_CHECKING:
    from bot.context import AppContext


def context_embedder(ctx: AppContext) -> Embedder:
    cached = ctx.extras.get("embedder")
    if cached is None:
        cached = ctx.extras["embedder"] = embedder_for(ctx.settings.embedding_model)
    return cached


def context_index(ctx: AppContext, embedder: Embedder) -> VectorIndex:
    key = f"vector_index:{embedder.name}"
    cached = ctx.extras.get(key)
    if cached is None:
        client = chroma_client(path=ctx.chroma_path, url=ctx.settings.chroma_url)
        cached = ctx.extras[key] = ChromaIndex(client, collection_name(embedder.name))
    return cached


def ingest_policies(
    ctx: AppContext,
    session: Session,
    *,
    paths: Sequence[Path] | None = None,
    actor: str = "system",
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest `paths`, or the organisation's configured policy sources when none are given."""
    embedder = context_embedder(ctx)
    return ingest(
        session,
        paths=list(paths) if paths else ctx.policy_paths(),
        embedder=embedder,
        index=context_index(ctx, embedder),
        actor=actor,
        prune=prune,
        progress=progress,
    )
