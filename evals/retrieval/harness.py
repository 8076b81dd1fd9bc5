"""Shared by the retrieval eval and the answer bench: labelled sets, a scratch organisation,
and the rule for whether a retrieved passage is the labelled one."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SAMPLE_CONFIG = REPO / "examples" / "acme" / "aims.yaml"
SETS = ("acme", "shared")


@dataclass(frozen=True)
class Target:
    doc: str
    section: str

    def matches(self, source: str, section_path: tuple[str, ...] | list[str]) -> bool:
        if Path(source).name != self.doc:
            return False
        pattern = re.compile(rf"(?<!\w){re.escape(self.section)}(?!\w)", re.I)
        return any(pattern.search(heading) for heading in section_path)


@dataclass(frozen=True)
class Question:
    text: str
    targets: tuple[Target, ...]

    def matches(self, source: str, section_path: tuple[str, ...] | list[str]) -> bool:
        return any(target.matches(source, section_path) for target in self.targets)


@dataclass
class EvalSet:
    name: str
    corpus: Path
    files: list[Path]
    questions: list[Question]
    not_covered: list[str]
    skipped_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_set(name: str) -> EvalSet:
    data = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    corpus = (REPO / data["corpus"]).resolve()
    questions = [
        Question(
            text=item["q"],
            targets=tuple(
                Target(t["doc"], str(t["section"]))
                for t in [{"doc": item["doc"], "section": item["section"]}, *item.get("also", [])]
            ),
        )
        for item in data["questions"]
    ]
    result = EvalSet(name, corpus, [], questions, list(data.get("not_covered", [])))
    if not corpus.is_dir():
        result.skipped_reason = f"{corpus} is not here (it exists in the team checkout and CI only)"
        return result
    excluded = set(data.get("exclude", []))
    result.files = sorted(
        p for p in corpus.iterdir() if p.is_file() and p.suffix == ".md" and p.name not in excluded
    )
    return result


@contextmanager
def scratch_context(eval_set: EvalSet, *, keep_catalogue: bool) -> Iterator[Any]:
    """An AppContext in a temporary folder: the sample organisation's people, with its tool
    catalogue only when the corpus is the sample's own policies."""
    from bot.context import build_context
    from bot.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix=f"aims-eval-{eval_set.name}-"))
    try:
        config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
        if not keep_catalogue:
            config["catalogue"] = []
        config["policy_sources"] = [str(p) for p in eval_set.files]
        (folder / "aims.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        # The eval measures the offline answer: no LLM, no Chroma server, a scratch database.
        settings = Settings(data_dir=folder / "data", llm=None, chroma_url=None, database_url=None)
        ctx = build_context(folder / "aims.yaml", settings)
        yield ctx
        ctx.db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
