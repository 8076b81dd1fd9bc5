"""Wire retrieval to an AppContext: which embedding model, which vector index, ingestion."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from governance.acknowledgements.policy_changes import tell_leads_of_changes
from governance.context import AppContext, Providers
from governance.gateway.guard import SelfUseGuard
from governance.ports import Answerer, ChatModel
from retrieval.chat_model import LangChainChatModel
from retrieval.conflicts import conflicts_in, record_conflicts
from retrieval.corpus import load_chunks
from retrieval.embeddings import Embedder, embedder_for
from retrieval.index import (
    ChromaIndex,
    ChromaServer,
    VectorIndex,
    chroma_client,
    collection_name,
    legacy_collection_name,
)
from retrieval.ingest import IngestReport, Progress, ingest
from store.models import utcnow


def _embedder(ctx: AppContext) -> Embedder:
    return embedder_for(ctx.settings.embedding_model)


def collection_names(ctx: AppContext) -> list[str]:
    """The collection the policy index lives in (the organisation's, for the embedding model and
    AIMS_CHROMA_NAMESPACE), then, for an embedded index without a namespace, the name an
    install made before collections were named by organisation: it keeps using that one while
    it exists and the first does not."""
    settings = ctx.settings
    model = ctx.embedder.name
    namespace = settings.chroma_namespace or None
    names = [collection_name(model, ctx.config.organisation.name, namespace)]
    if namespace is None and not settings.chroma_url:
        names.append(legacy_collection_name(model))
    return names


def _vector_index(ctx: AppContext) -> VectorIndex:
    """On the server at AIMS_CHROMA_URL, connected on first use (and again after an outage);
    else embedded, in the data folder."""
    name, *older = collection_names(ctx)
    if ctx.settings.chroma_url:
        return ChromaIndex(ChromaServer(ctx.settings.chroma_url), name)
    client = chroma_client(path=ctx.chroma_path, url=None)
    return ChromaIndex(client, name, legacy_name=older[0] if older else None)


def _chat_model(ctx: AppContext) -> ChatModel | None:
    """AIMS_LLM's model, every call decided and recorded under AIMS Bot's own record."""
    if not ctx.settings.llm:
        return None
    guard = SelfUseGuard(ctx.db, ctx.config, ctx.settings.llm)
    return LangChainChatModel(ctx.settings.llm, guard=guard)


def _answerer(ctx: AppContext) -> Answerer:
    from retrieval.answer import PolicyAnswerer  # answer.py builds on this module

    return PolicyAnswerer(ctx)


def retrieval_providers() -> Providers:
    """The real services: the configured sentence-transformers model, Chroma (embedded, or a
    server at AIMS_CHROMA_URL), the configured LangChain chat model, the policy answerer."""
    return Providers(
        embedder=_embedder,
        vector_index=_vector_index,
        chat_model=_chat_model,
        answerer=_answerer,
    )


def context_embedder(ctx: AppContext) -> Embedder:
    return ctx.embedder


def context_index(ctx: AppContext, embedder: Embedder | None = None) -> VectorIndex:
    return ctx.vector_index


def ingest_policies(
    ctx: AppContext,
    session: Session,
    *,
    paths: Sequence[Path] | None = None,
    actor: str = "system",
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest `paths`, or the organisation's configured policy sources when none are given.

    Afterwards every answerable passage is checked against the tool catalogue, so a passage
    that contradicts it is on record (and in the weekly digest) before anyone asks about it;
    and the governance leads are told of open acknowledgement campaigns whose document changed
    (once per new version), with a button to ask the same people for the new one.
    """
    embedder = context_embedder(ctx)
    report = ingest(
        session,
        paths=list(paths) if paths else ctx.policy_paths(),
        embedder=embedder,
        index=context_index(ctx, embedder),
        actor=actor,
        prune=prune,
        progress=progress,
    )
    answerable, _ = load_chunks(session)
    report.conflicts = conflicts_in(answerable, ctx.config.catalogue)
    record_conflicts(session, report.conflicts, actor=actor)
    report.stale_campaigns = tell_leads_of_changes(session, config=ctx.config, now=utcnow())
    return report
