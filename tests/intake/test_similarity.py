"""Embedding suggestions from the bundled MiniLM model (loaded once for the session)."""

from __future__ import annotations

import pytest

from intake import similarity

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _embeddings_on() -> None:
    # The package conftest turns embeddings off per test; these tests are about them.
    similarity._embed()


def test_a_recruitment_use_is_closest_to_employment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "1")
    scores = similarity.scores(
        "Shortlist the best applicants for our graduate jobs from their application forms"
    )
    assert max(scores, key=lambda k: scores[k]) == "employment"


def test_an_ordinary_use_suggests_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "1")
    assert similarity.suggest("Summarise our internal project meeting notes") == ([], [])


def test_turned_off_it_suggests_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "0")
    assert similarity.suggest("screen CVs and rank job candidates") == ([], [])
