"""Keyword ranking (BM25 via bm25s) over the same chunks as the vector index."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from retrieval.text import terms


class BM25Index:
    """Built in memory from the chunk texts: a few thousand chunks index in well under a second."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import and logs every index build.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._ids = list(ids)
        self._bm25 = bm25s.BM25()
        if self._ids:
            self._bm25.index([terms(text) or ["_"] for text in texts], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict or {}) if self._ids else set()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        query_terms = [term for term in terms(query) if term in self._vocab]
        if not query_terms:
            return []
        scores = np.asarray(self._bm25.get_scores(query_terms))
        order = np.argsort(-scores)[:k]
        return [(self._ids[i], float(scores[i])) for i in order if scores[i] > 0]
