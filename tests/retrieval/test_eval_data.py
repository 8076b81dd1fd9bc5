"""The labelled eval sets are big enough and every label points at a real document section."""

from __future__ import annotations

from evals.retrieval.harness import load_set
from retrieval.documents import parse_document


def _check(name: str) -> None:
    eval_set = load_set(name)
    assert len(eval_set.questions) >= 60 and len(eval_set.not_covered) >= 15
    documents = {path.name: parse_document(path, path.read_bytes()) for path in eval_set.files}
    for question in eval_set.questions:
        for target in question.targets:
            document = documents[target.doc]
            assert any(target.matches(document.source, s.path) for s in document.sections), (
                f"{name}: no section {target.section!r} in {target.doc} ({question.text})"
            )


def test_acme_labels_name_real_sections():
    _check("acme")


def test_shared_labels_name_real_sections(shared_dir):
    _check("shared")


def test_the_shared_set_skips_with_a_reason_when_shared_is_absent(monkeypatch, tmp_path):
    import evals.retrieval.harness as harness

    monkeypatch.setattr(harness, "REPO", tmp_path / "repo")
    eval_set = harness.load_set("shared")
    assert eval_set.skipped_reason and "not here" in eval_set.skipped_reason
    assert eval_set.files == []
