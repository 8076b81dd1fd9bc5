"""Incremental ingestion: new and changed files are chunked and embedded, removed ones deleted.

A document is unchanged when its bytes hash the same, it was produced by the same pipeline
(chunker version and embedding model) and every one of its chunks is still in the vector index;
anything else re-ingests it. The vector index is repaired from the database, never the reverse.

Every chunk is screened for text addressed to a system rather than to staff (see
retrieval.instructions); the flags are stored with the chunk. A document screened by older rules
is screened again without re-embedding. Trust given by a governance lead covers one version of
a document: it survives a re-chunk of the same bytes and lapses when the file changes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from retrieval.chunking import (
    CHUNKER_VERSION,
    SECTION_SEPARATOR,
    Chunk,
    chunk_document,
    context_text,
    window_texts,
)
from retrieval.documents import SUPPORTED_SUFFIXES, DocumentError, ParsedDocument, parse_document
from retrieval.embeddings import Embedder
from retrieval.index import ChunkVectors, VectorIndex
from retrieval.instructions import DETECTOR_VERSION, Flag, flag_instructions
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import utcnow
from store.retrieval_models import PolicyChunk, PolicyDocument

EMBED_BATCH = 32
# ("files", n) once, ("read", 1) per file, ("texts", n) once (chunks and their sentence
# windows to embed), ("embedded", n) per batch.
Progress = Callable[[str, int], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Documents a governance lead had trusted whose file has changed since.
    trust_lapsed: list[str] = field(default_factory=list)
    # Set by retrieval.runtime: passages that contradict the tool catalogue.
    conflicts: list[Any] = field(default_factory=list)
    # Open acknowledgement campaigns that ask for a version a changed document no longer has
    # (refs); the governance leads have been told.
    stale_campaigns: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class _Plan:
    path: Path
    content_hash: str
    document: ParsedDocument
    chunks: list[Chunk]
    previous: PolicyDocument | None
    flags: list[list[Flag]] = field(default_factory=list)  # per chunk


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest (folders searched recursively, hidden files ignored) and missing paths."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append((str(raw), "no such file or folder"))
    return list(dict.fromkeys(files)), missing


def ingest(
    session: Session,
    *,
    paths: Sequence[Path],
    embedder: Embedder,
    index: VectorIndex,
    actor: str = "system",
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the database and the vector index in line with the files under `paths`.

    Documents previously ingested from under `paths` whose files are gone are removed; with
    `prune`, every document not under `paths` is removed too.
    """
    started = time.perf_counter()
    notify = progress or (lambda _event, _amount: None)
    report = IngestReport()
    files, report.skipped = discover(paths)
    notify("files", len(files))
    pipeline = f"{CHUNKER_VERSION}|{embedder.name}"
    existing = {doc.source: doc for doc in session.scalars(select(PolicyDocument))}
    indexed = index.chunk_ids()
    stored_ids = _chunk_ids_by_document(session)
    plans: list[_Plan] = []
    for path in files:
        plan = _plan_file(path, existing.get(str(path)), pipeline, indexed, stored_ids, report)
        if plan is not None:
            plans.append(plan)
        notify("read", 1)
    vectors = _embed_all(plans, embedder, notify)
    for plan, plan_vectors in zip(plans, vectors, strict=True):
        _apply(session, plan, plan_vectors, pipeline, index, stored_ids, report)
    for source in report.unchanged:
        _rescreen(existing[source])
    seen = {str(path) for path in files}
    roots = [Path(p).resolve() for p in paths]
    for source, doc in existing.items():
        if source not in seen and (prune or _under(Path(source), roots)):
            _remove(session, doc, index, stored_ids, report)
    session.flush()
    _collect_strays(session, index)
    report.total_chunks = sum(len(ids) for ids in _chunk_ids_by_document(session).values())
    if report.changed_anything:
        _record(session, report, pipeline, plans, actor)
    report.seconds = time.perf_counter() - started
    return report


def _chunk_ids_by_document(session: Session) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for chunk_id, document_id in session.execute(select(PolicyChunk.id, PolicyChunk.document_id)):
        result.setdefault(document_id, set()).add(chunk_id)
    return result


def _plan_file(
    path: Path,
    previous: PolicyDocument | None,
    pipeline: str,
    indexed: set[str],
    stored_ids: dict[int, set[str]],
    report: IngestReport,
) -> _Plan | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.skipped.append((str(path), f"cannot read it ({exc.strerror or exc})"))
        return None
    content_hash = hashlib.sha256(data).hexdigest()
    if (
        previous is not None
        and previous.content_hash == content_hash
        and previous.pipeline == pipeline
        and stored_ids.get(previous.id, set()) <= indexed
    ):
        report.unchanged.append(str(path))
        return None
    try:
        document = parse_document(path, data)
    except DocumentError as exc:
        report.skipped.append((str(path), str(exc)))
        return None
    chunks = chunk_document(document)
    if not chunks:
        report.skipped.append((str(path), "no passage long enough to index"))
        return None
    flags = [flag_instructions(chunk.text) for chunk in chunks]
    return _Plan(path, content_hash, document, chunks, previous, flags)


def _embed_all(plans: list[_Plan], embedder: Embedder, notify: Progress) -> list[list[Any]]:
    """Vectors per plan and chunk: the chunk's own first, then its windows'."""
    texts: list[str] = []
    owners: list[tuple[int, int]] = []
    for p_index, plan in enumerate(plans):
        title = plan.document.title
        for c_index, chunk in enumerate(plan.chunks):
            path = chunk.section_path
            views = [context_text(title, path, chunk.text), *window_texts(title, path, chunk.text)]
            texts.extend(views)
            owners.extend([(p_index, c_index)] * len(views))
    notify("texts", len(texts))
    # Batches of similar length: a batch is padded to its longest text, and a two-sentence
    # window padded to a full chunk's length costs as much as the chunk.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list[Any] = [None] * len(texts)
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start : start + EMBED_BATCH]
        embedded = embedder.embed([texts[i] for i in batch], batch_size=EMBED_BATCH)
        for i, vector in zip(batch, embedded, strict=True):
            vectors[i] = vector
        notify("embedded", len(batch))
    result: list[list[Any]] = [[[] for _ in plan.chunks] for plan in plans]
    for (p_index, c_index), vector in zip(owners, vectors, strict=True):
        result[p_index][c_index].append(vector)  # texts are in chunk order: the chunk first
    return result


def _apply(
    session: Session,
    plan: _Plan,
    vectors: Any,
    pipeline: str,
    index: VectorIndex,
    stored_ids: dict[int, set[str]],
    report: IngestReport,
) -> None:
    doc = plan.document
    new_ids = [chunk.id for chunk in plan.chunks]
    index.upsert(
        [
            ChunkVectors(chunk.id, np.asarray(chunk_vectors), _metadata(doc, chunk))
            for chunk, chunk_vectors in zip(plan.chunks, vectors, strict=True)
        ]
    )
    report.chunks_embedded += len(new_ids)
    if plan.previous is not None:
        stale = stored_ids.get(plan.previous.id, set()) - set(new_ids)
        index.delete(sorted(stale))
        session.delete(plan.previous)
        session.flush()  # old chunk rows go before new ones may reuse their ids
        report.changed.append(doc.source)
    else:
        report.added.append(doc.source)
    document = PolicyDocument(
        source=doc.source,
        title=doc.title[:500],
        url=doc.url,
        content_hash=plan.content_hash,
        pipeline=pipeline,
        chunk_count=len(plan.chunks),
        ingested_at=utcnow(),
        screened_with=DETECTOR_VERSION,
        chunks=[
            PolicyChunk(
                id=c.id,
                ordinal=c.ordinal,
                section_path=list(c.section_path),
                text=c.text,
                content_hash=c.content_hash,
                instruction_flags=[flag.as_json() for flag in flags],
            )
            for c, flags in zip(plan.chunks, plan.flags, strict=True)
        ],
    )
    _carry_trust(plan, document, report)
    session.add(document)
    session.flush()


def _carry_trust(plan: _Plan, document: PolicyDocument, report: IngestReport) -> None:
    """Keep a lead's trust across a re-chunk of the same bytes; report it lapsed otherwise."""
    previous = plan.previous
    if previous is None or previous.trusted_sha256 is None:
        return
    if previous.trusted_sha256 == plan.content_hash:
        document.trusted_sha256 = previous.trusted_sha256
        document.trusted_by = previous.trusted_by
        document.trust_changed_at = previous.trust_changed_at
    else:
        report.trust_lapsed.append(document.source)


def _rescreen(document: PolicyDocument) -> None:
    """Screen an unchanged document's chunks with the current rules (no re-embedding)."""
    if document.screened_with == DETECTOR_VERSION:
        return
    for chunk in document.chunks:
        chunk.instruction_flags = [flag.as_json() for flag in flag_instructions(chunk.text)]
    document.screened_with = DETECTOR_VERSION


def _metadata(doc: ParsedDocument, chunk: Chunk) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "source": doc.source,
        "document_title": doc.title,
        "section": SECTION_SEPARATOR.join(chunk.section_path),
        "content_hash": chunk.content_hash,
    }
    if doc.url:
        metadata["url"] = doc.url
    return metadata


def _remove(
    session: Session,
    doc: PolicyDocument,
    index: VectorIndex,
    stored_ids: dict[int, set[str]],
    report: IngestReport,
) -> None:
    index.delete(sorted(stored_ids.get(doc.id, set())))
    session.delete(doc)
    report.removed.append(doc.source)


def _collect_strays(session: Session, index: VectorIndex) -> None:
    """Vectors with no chunk row (an interrupted run, a rolled-back transaction) are dropped."""
    known = set(session.scalars(select(PolicyChunk.id)))
    strays = index.chunk_ids() - known
    if strays:
        index.delete(sorted(strays))


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _record(
    session: Session, report: IngestReport, pipeline: str, plans: list[_Plan], actor: str
) -> None:
    hashes = {str(plan.path): plan.content_hash for plan in plans}
    evidence.append(
        session,
        actor=actor,
        kind=EvidenceKind.POLICIES_INGESTED,
        subject="policies",
        payload={
            "pipeline": pipeline,
            "added": [{"source": s, "sha256": hashes.get(s)} for s in report.added],
            "changed": [{"source": s, "sha256": hashes.get(s)} for s in report.changed],
            "removed": report.removed,
            "unchanged": len(report.unchanged),
            "skipped": [{"source": s, "reason": r} for s, r in report.skipped],
            "flagged": [
                {"source": str(plan.path), "section": list(chunk.section_path), **flag.as_json()}
                for plan in plans
                for chunk, flags in zip(plan.chunks, plan.flags, strict=True)
                for flag in flags
            ],
            "trust_lapsed": report.trust_lapsed,
            "chunks_embedded": report.chunks_embedded,
            "total_chunks": report.total_chunks,
        },
    )
