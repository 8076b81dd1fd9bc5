"""The vector index: Chroma, embedded (PersistentClient) by default or a server (HttpClient).

We always pass our own embeddings; collections have no embedding function, so Chroma never
loads or downloads a model of its own. One collection per embedding model: vectors of different
models must never be compared. A chunk has several vectors (the whole chunk and its sentence
windows, see retrieval.chunking); each carries its chunk id in its metadata, and the index
speaks in chunk ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from retrieval.embeddings import Vectors

BATCH = 1000
# Vectors fetched per wanted chunk: several windows of one chunk often rank together.
OVERFETCH = 4


@dataclass(frozen=True)
class ChunkVectors:
    """The vectors of one chunk: the chunk's own first, then its windows."""

    chunk_id: str
    vectors: Vectors
    metadata: dict[str, Any]


class VectorIndex(Protocol):
    def chunk_ids(self) -> set[str]: ...

    def upsert(self, items: Sequence[ChunkVectors]) -> None: ...

    def delete(self, chunk_ids: Sequence[str]) -> None: ...

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunks with their best cosine similarity, best first."""
        ...


def collection_name(model_name: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", model_name.rsplit("/", 1)[-1]).strip("-").lower()
    return f"aims-policy-{slug or 'model'}"[:60].rstrip("-")


class ChromaIndex:
    def __init__(self, client: Any, name: str) -> None:
        self._collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def chunk_ids(self) -> set[str]:
        found = self._collection.get(include=["metadatas"])
        return {
            _owner(vector_id, metadata)
            for vector_id, metadata in zip(found["ids"], found["metadatas"] or [], strict=True)
        }

    def upsert(self, items: Sequence[ChunkVectors]) -> None:
        ids: list[str] = []
        vectors: list[Any] = []
        metadatas: list[dict[str, Any]] = []
        for item in items:
            for n, vector in enumerate(item.vectors):
                ids.append(item.chunk_id if n == 0 else f"{item.chunk_id}#w{n}")
                vectors.append(vector)
                metadatas.append({**item.metadata, "chunk_id": item.chunk_id, "view": n})
        for start in range(0, len(ids), BATCH):
            end = start + BATCH
            self._collection.upsert(
                ids=ids[start:end], embeddings=vectors[start:end], metadatas=metadatas[start:end]
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), BATCH):
            batch = list(chunk_ids[start : start + BATCH])
            if batch:
                self._collection.delete(ids=batch)  # also vectors written before windows
                self._collection.delete(where={"chunk_id": {"$in": batch}})

    def query(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        count = self._collection.count()
        if count == 0:
            return []
        result = self._collection.query(
            query_embeddings=vector.reshape(1, -1),
            n_results=min(k * OVERFETCH, count),
            include=["distances", "metadatas"],
        )
        best: dict[str, float] = {}
        metadatas = result["metadatas"][0] if result["metadatas"] else []
        distances = result["distances"][0] if result["distances"] else []
        for vector_id, metadata, distance in zip(
            result["ids"][0], metadatas, distances, strict=True
        ):
            # Results come best first: a chunk's first vector is its best.
            best.setdefault(_owner(vector_id, metadata), 1.0 - float(distance))
        return list(best.items())[:k]


def _owner(vector_id: str, metadata: Any) -> str:
    """The chunk a vector belongs to (vectors from before windows carry no chunk_id)."""
    if metadata and "chunk_id" in metadata:
        return str(metadata["chunk_id"])
    return vector_id.split("#", 1)[0]


def chroma_client(*, path: Path, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)
