"""Hybrid search: dense (vector index) and BM25 rankings fused by reciprocal rank.

Reciprocal-rank fusion needs no score calibration between the two rankers, which matters
because cosine similarities and BM25 scores live on unrelated scales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrieval.corpus import ChunkRecord, Corpus
from retrieval.embeddings import Embedder, Vectors
from retrieval.index import VectorIndex

Method = Literal["hybrid", "bm25", "dense"]
METHODS: tuple[Method, ...] = ("hybrid", "bm25", "dense")
# A small k lets a passage ranked first by one method outweigh passages both methods rank
# middling (the usual k=60 favours such agreement, which on policies is mostly generic text).
RRF_K = 10
DEPTH = 40


@dataclass(frozen=True)
class Hit:
    chunk: ChunkRecord
    score: float
    dense: float | None
    bm25: float | None


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    query_vector: Vectors
    # The best cosine similarity among dense candidates, whatever the ranking method: the
    # coverage check uses it as one of its signals.
    best_dense: float


class Searcher:
    def __init__(
        self, embedder: Embedder, index: VectorIndex, corpus: Corpus, *, depth: int = DEPTH
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.corpus = corpus
        # How many nearest chunks to ask the index for (a corpus of one document asks for
        # every chunk, so none of that document's is ranked out by the others).
        self.depth = depth

    def search(self, query: str, *, k: int = 8, method: Method = "hybrid") -> SearchResult:
        vector = self.embedder.embed([query])[0]
        dense = [
            (chunk_id, sim)
            for chunk_id, sim in self.index.query(vector, self.depth)
            if chunk_id in self.corpus.chunks
        ]
        sparse = self.corpus.bm25.search(query, DEPTH) if method != "dense" else []
        best_dense = dense[0][1] if dense else 0.0
        ranked = _rank(dense if method != "bm25" else [], sparse, method)
        dense_scores, sparse_scores = dict(dense), dict(sparse)
        hits = [
            Hit(
                self.corpus.chunks[chunk_id],
                score,
                dense_scores.get(chunk_id),
                sparse_scores.get(chunk_id),
            )
            for chunk_id, score in ranked[:k]
        ]
        return SearchResult(hits=hits, query_vector=vector, best_dense=best_dense)


def _rank(
    dense: list[tuple[str, float]], sparse: list[tuple[str, float]], method: Method
) -> list[tuple[str, float]]:
    if method == "dense":
        return dense
    if method == "bm25":
        return sparse
    return reciprocal_rank_fusion([[i for i, _ in dense], [i for i, _ in sparse]])


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
