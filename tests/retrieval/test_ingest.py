"""Incremental ingestion: add, change, remove; bad files skipped by name; indexes kept in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from retrieval.corpus import Corpus
from retrieval.index import ChromaIndex, chroma_client
from retrieval.ingest import ingest
from store.models import EvidenceEvent
from store.retrieval_models import PolicyChunk, PolicyDocument
from tests.retrieval.conftest import FakeEmbedder, write_corpus


@pytest.fixture
def index(tmp_path: Path) -> ChromaIndex:
    return ChromaIndex(chroma_client(path=tmp_path / "chroma", url=None), "aims-policy-test")


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    return write_corpus(tmp_path / "policies")


def _run(db, paths, embedder, index, **options):
    with db.session() as session:
        return ingest(session, paths=list(paths), embedder=embedder, index=index, **options)


def _chunk_ids(db, source: Path | None = None) -> set[str]:
    with db.session() as session:
        query = select(PolicyChunk.id).join(PolicyDocument)
        if source is not None:
            query = query.where(PolicyDocument.source == str(source))
        return set(session.scalars(query))


def _ingest_events(db) -> list[dict]:
    with db.session() as session:
        rows = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == "policies.ingested")
        ).all()
        return [json.loads(row.payload) for row in rows]


def test_every_format_is_ingested_with_titles_sections_and_hashes(db, corpus, index):
    embedder = FakeEmbedder()
    report = _run(db, [corpus["md"].parent], embedder, index)
    assert sorted(Path(s).name for s in report.added) == sorted(p.name for p in corpus.values())
    assert report.total_chunks == report.chunks_embedded > 0
    assert index.chunk_ids() == _chunk_ids(db)
    with db.session() as session:
        chunks = Corpus.load(session).chunks.values()
    assert {chunk.document_title for chunk in chunks} == {
        "Meeting Assistants",
        "AI Vendor Checks",
        "Remote Work and AI",
        "Image Generation Rules",
        "Travel Booking With AI",
    }
    vendor = next(c for c in chunks if "ISO 27001" in c.text)
    assert vendor.section_path == ("2. Security",) and vendor.source.endswith("vendors.pdf")
    assert len(vendor.content_hash) == 64
    [event] = _ingest_events(db)
    assert len(event["added"]) == 5 and all(len(a["sha256"]) == 64 for a in event["added"])


def test_an_unchanged_corpus_is_skipped_without_embedding(db, corpus, index):
    embedder = FakeEmbedder()
    _run(db, [corpus["md"].parent], embedder, index)
    calls = embedder.calls
    report = _run(db, [corpus["md"].parent], embedder, index)
    assert len(report.unchanged) == 5 and not (report.added or report.changed or report.removed)
    assert report.chunks_embedded == 0 and embedder.calls == calls
    assert len(_ingest_events(db)) == 1  # nothing changed, nothing to record


def test_a_changed_document_replaces_its_chunks_everywhere(db, corpus, index):
    embedder = FakeEmbedder()
    _run(db, [corpus["md"].parent], embedder, index)
    before = _chunk_ids(db, corpus["md"])
    corpus["md"].write_text(
        corpus["md"].read_text().replace("30 days", "90 days"), encoding="utf-8"
    )
    report = _run(db, [corpus["md"].parent], embedder, index)
    assert report.changed == [str(corpus["md"])] and len(report.unchanged) == 4
    after = _chunk_ids(db, corpus["md"])
    assert after != before and index.chunk_ids() == _chunk_ids(db)
    with db.session() as session:
        texts = " ".join(c.text for c in Corpus.load(session).chunks.values())
    assert "90 days" in texts and "30 days" not in texts


def test_a_removed_document_leaves_every_index(db, corpus, index):
    embedder = FakeEmbedder()
    _run(db, [corpus["md"].parent], embedder, index)
    gone = _chunk_ids(db, corpus["txt"])
    corpus["txt"].unlink()
    report = _run(db, [corpus["md"].parent], embedder, index)
    assert report.removed == [str(corpus["txt"])]
    assert not gone & index.chunk_ids() and not gone & _chunk_ids(db)
    with db.session() as session:
        hits = Corpus.load(session).bm25.search("company card details chatbots", 5)
    assert not {chunk_id for chunk_id, _ in hits} & gone


def test_unreadable_and_empty_files_are_named_and_the_rest_ingests(db, corpus, index):
    folder = corpus["md"].parent
    (folder / "empty.md").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = _run(db, [folder, folder / "missing.md"], FakeEmbedder(), index)
    reasons = {Path(source).name: reason for source, reason in report.skipped}
    assert set(reasons) == {"empty.md", "broken.pdf", "missing.md"}
    assert "empty" in reasons["empty.md"] and "PDF" in reasons["broken.pdf"]
    assert len(report.added) == 5


def test_vectors_lost_from_the_index_are_re_embedded(db, corpus, index):
    embedder = FakeEmbedder()
    _run(db, [corpus["md"].parent], embedder, index)
    index.delete(sorted(_chunk_ids(db, corpus["html"])))
    report = _run(db, [corpus["md"].parent], embedder, index)
    assert report.changed == [str(corpus["html"])]
    assert index.chunk_ids() == _chunk_ids(db)


def test_a_new_embedding_model_re_embeds_everything(db, corpus, index):
    _run(db, [corpus["md"].parent], FakeEmbedder(), index)
    other = FakeEmbedder()
    other.name = "another-model"
    report = _run(db, [corpus["md"].parent], other, index)
    assert len(report.changed) == 5


def test_prune_removes_documents_from_elsewhere_only_when_asked(db, corpus, index, tmp_path):
    extra = tmp_path / "elsewhere.md"
    extra.write_text("# Extra\n\n## Note\n\nAn extra policy note with enough words.\n")
    embedder = FakeEmbedder()
    _run(db, [corpus["md"].parent, extra], embedder, index)
    kept = _run(db, [corpus["md"].parent], embedder, index)
    assert kept.removed == []
    pruned = _run(db, [corpus["md"].parent], embedder, index, prune=True)
    assert pruned.removed == [str(extra)]


def test_a_chroma_url_switches_to_the_http_client(monkeypatch):
    import chromadb

    calls: list[dict] = []
    monkeypatch.setattr(chromadb, "HttpClient", lambda **kwargs: calls.append(kwargs) or "client")
    assert chroma_client(path=Path("unused"), url="https://chroma.internal:8443") == "client"
    assert calls[0]["host"] == "chroma.internal" and calls[0]["port"] == 8443
    assert calls[0]["ssl"] is True
    assert calls[0]["settings"].anonymized_telemetry is False
