"""Embedding similarity between a description and the EU AI Act categories' descriptions.

It uses the context's embedder (the bundled MiniLM unless AIMS_EMBEDDING_MODEL names another),
so the process holds one model. Similarity only *suggests* a category: the requester confirms
it, because a near miss must never file a record as prohibited. The thresholds were tuned on
evals/intake with MiniLM; another model may want its own.
"""

from __future__ import annotations

import logging
import os
import re
import threading

import numpy as np

from governance.ports import Embedder, Vectors
from governance.tiering_rules import ANNEX_III_AREAS, ARTICLE_5_PRACTICES, Category

log = logging.getLogger(__name__)

# Cosine similarity at which a category is worth asking about (tuned on evals/intake).
AREA_THRESHOLD = 0.45
PRACTICE_THRESHOLD = 0.5


def enabled() -> bool:
    """AIMS_INTAKE_EMBEDDINGS=0 turns similarity off (rules only), e.g. on tiny machines."""
    return os.environ.get("AIMS_INTAKE_EMBEDDINGS", "1") not in ("0", "false", "no")


class CategorySimilarity:
    """Suggests Annex III areas and Article 5 practices close to a description."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: tuple[list[Category], Vectors] | None = None
        self._lock = threading.Lock()

    def _category_vectors(self) -> tuple[list[Category], Vectors]:
        with self._lock:
            if self._vectors is None:
                categories = [*ARTICLE_5_PRACTICES, *ANNEX_III_AREAS]
                texts = [example for c in categories for example in c.examples]
                owners = [c for c in categories for _ in c.examples]
                self._vectors = owners, self.embedder.embed(texts)
            return self._vectors

    def scores(self, text: str) -> dict[str, float]:
        """The best cosine similarity of any sentence of `text` to each category id."""
        sentences = [s for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if len(s.strip()) > 3]
        if not sentences:
            return {}
        owners, vectors = self._category_vectors()
        sims = np.asarray(self.embedder.embed(sentences[:20])) @ np.asarray(vectors).T
        best: dict[str, float] = {}
        for column, category in enumerate(owners):
            value = float(sims[:, column].max())
            best[category.id] = max(best.get(category.id, -1.0), value)
        return best

    def suggest(self, text: str) -> tuple[list[str], list[str]]:
        """(Annex III area ids, Article 5 practice ids) similar enough to ask about."""
        if not enabled():
            return [], []
        try:
            best = self.scores(text)
        except Exception:  # a missing or broken model must not stop a registration
            log.warning(
                "embedding similarity unavailable; continuing with rules only", exc_info=True
            )
            return [], []
        areas = [c.id for c in ANNEX_III_AREAS if best.get(c.id, 0.0) >= AREA_THRESHOLD]
        practices = [c.id for c in ARTICLE_5_PRACTICES if best.get(c.id, 0.0) >= PRACTICE_THRESHOLD]
        return areas, practices
