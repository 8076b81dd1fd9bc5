"""`aims ingest` and `aims ask` as a user runs them (a fake embedder keeps this fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.retrieval.conftest import FakeEmbedder


@pytest.fixture
def embedder_loads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Replace the embedding model with the fake one; records each time a model is loaded."""
    loads: list[str | None] = []

    def fake_embedder_for(name: str | None) -> FakeEmbedder:
        loads.append(name)
        return FakeEmbedder()

    monkeypatch.setattr("retrieval.runtime.embedder_for", fake_embedder_for)
    for variable in ("AIMS_LLM", "AIMS_CHROMA_URL", "AIMS_DATABASE_URL", "AIMS_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return loads


def _aims(org: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["--config", str(org / "aims.yaml"), *args], input=stdin)


def test_ingest_shows_a_summary_and_names_skipped_files(org_dir, embedder_loads):
    (org_dir / "policies" / "empty.md").write_text("")
    first = _aims(org_dir, "ingest")
    assert first.exit_code == 0, first.output
    assert "Documents: 5 added, 0 changed, 0 unchanged, 0 removed, 1 skipped." in first.output
    assert "empty.md: the file is empty" in first.output
    again = _aims(org_dir, "ingest")
    assert "0 added, 0 changed, 5 unchanged, 0 removed" in again.output
    assert "Chunks: 0 embedded" in again.output


def test_ask_json_gives_the_answer_citations_and_coverage(org_dir, embedder_loads):
    _aims(org_dir, "ingest")
    result = _aims(org_dir, "ask", "Can I paste customer data into ChatGPT?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["covered"] is True and answer["mode"] == "extractive"
    assert answer["tool_matches"][0]["name"] == "ChatGPT Enterprise"
    citation = answer["citations"][0]
    assert citation["document_title"] == "Acceptable Use of AI Tools"
    assert citation["section_path"][-1] == "4.2 ChatGPT Enterprise"
    assert citation["source"].endswith("acceptable-use-of-ai-tools.md") and citation["chunk_id"]


def test_ask_reads_questions_from_stdin_and_loads_the_model_once(org_dir, embedder_loads):
    _aims(org_dir, "ingest")
    loads_before = len(embedder_loads)
    result = _aims(
        org_dir,
        "ask",
        "--json",
        stdin="Is DeepSeek allowed?\n\nCan I use Otter for meeting notes?\n",
    )
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert [line["tool_matches"][0]["name"] for line in lines] == ["DeepSeek", "Otter.ai"]
    assert len(embedder_loads) == loads_before + 1


def test_ask_prints_the_answer_and_its_sources(org_dir, embedder_loads):
    _aims(org_dir, "ingest")
    result = _aims(org_dir, "ask", "Is Cursor allowed?")
    assert result.exit_code == 0, result.output
    assert "Not yet: Cursor is under review" in result.output
    assert "Sources:" in result.output and "5.8 Tools under review" in result.output
