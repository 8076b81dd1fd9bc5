"""Embedding suggestions from the bundled MiniLM model (loaded once for the module)."""

from __future__ import annotations

import pytest

from intake.similarity import CategorySimilarity
from retrieval.embeddings import SentenceTransformerEmbedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def similarity() -> CategorySimilarity:
    return CategorySimilarity(SentenceTransformerEmbedder())


def test_a_recruitment_use_is_closest_to_employment(
    similarity: CategorySimilarity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "1")
    scores = similarity.scores(
        "Shortlist the best applicants for our graduate jobs from their application forms"
    )
    assert max(scores, key=lambda k: scores[k]) == "employment"


def test_an_ordinary_use_suggests_nothing(
    similarity: CategorySimilarity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "1")
    assert similarity.suggest("Summarise our internal project meeting notes") == ([], [])


def test_turned_off_it_suggests_nothing(
    similarity: CategorySimilarity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "0")
    assert similarity.suggest("screen CVs and rank job candidates") == ([], [])


class CountingEmbedder:
    """A configured embedder (AIMS_EMBEDDING_MODEL) stands in for the default one."""

    def __init__(self) -> None:
        self.inner = SentenceTransformerEmbedder()
        self.calls = 0

    @property
    def name(self) -> str:
        return "counting"

    def embed(self, texts, *, batch_size: int = 32):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner.embed(texts, batch_size=batch_size)


def test_it_uses_the_embedder_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "1")
    embedder = CountingEmbedder()
    CategorySimilarity(embedder).suggest("screen CVs and rank job candidates")
    assert embedder.calls == 2  # the categories once, then the description
