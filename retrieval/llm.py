"""The optional LLM answer: numbered passages in, an answer with checked citations out.

The model sees the (redacted) question and the passages as quoted JSON data, through the
templates in prompts/. Every `[n]` it writes is checked against the passages it was given:
invented numbers are removed and reported, and the caller falls back to the extractive answer
when no valid citation is left.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from string import Template

from governance.ports import ChatModel
from prompts import load_prompt

SYSTEM_PROMPT = "policy_answer.system"
USER_PROMPT = "policy_answer.user"
NOT_COVERED = "NOT COVERED"
_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class Passage:
    number: int
    document: str
    section: str
    text: str


@dataclass
class LLMOutcome:
    model_id: str
    prompt_sha256: str
    raw: str = ""
    text: str = ""
    cited: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    not_covered: bool = False
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None and not self.not_covered and bool(self.cited)


def prompt_sha256() -> str:
    """One hash for the pair of templates an answer was produced with."""
    parts = [load_prompt(SYSTEM_PROMPT).sha256, load_prompt(USER_PROMPT).sha256]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def build_messages(question: str, passages: list[Passage]) -> tuple[str, str]:
    """(system, user): the passages and the question go in as quoted data, never as
    instructions."""
    data = [
        {
            "number": p.number,
            "document": p.document,
            "section": p.section,
            "text": p.text.replace("```", "'''"),
        }
        for p in passages
    ]
    user = Template(load_prompt(USER_PROMPT).text).substitute(
        passages=json.dumps(data, ensure_ascii=False, indent=1),
        question=question.replace("```", "'''"),
    )
    return load_prompt(SYSTEM_PROMPT).text, user


def ask(chat_model: ChatModel, *, question: str, passages: list[Passage]) -> LLMOutcome:
    outcome = LLMOutcome(model_id=chat_model.model_id, prompt_sha256=prompt_sha256())
    try:
        outcome.raw = chat_model.reply(*build_messages(question, passages))
    except Exception as exc:  # any provider failure: the caller falls back, evidence says why
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    if outcome.raw.strip().upper().rstrip(".") == NOT_COVERED:
        outcome.not_covered = True
        return outcome
    outcome.text, outcome.cited, outcome.rejected = check_citations(
        outcome.raw, {p.number for p in passages}
    )
    return outcome


def check_citations(text: str, valid: set[int]) -> tuple[str, list[int], list[int]]:
    """Keep citations of passages that were given; strip the rest from the text."""
    cited: list[int] = []
    rejected: list[int] = []

    def _keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        good = [n for n in numbers if n in valid]
        rejected.extend(n for n in numbers if n not in valid and n not in rejected)
        cited.extend(n for n in good if n not in cited)
        return "".join(f"[{n}]" for n in good)

    cleaned = _CITATION.sub(_keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", cleaned).strip()
    return cleaned, cited, rejected
