"""What an answer is made of; re-exported by retrieval.answer, where callers import them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    number: int
    document_title: str
    section_path: list[str]
    source: str
    chunk_id: str
    chunk_hash: str
    passage: str
    url: str | None = None

    @property
    def label(self) -> str:
        return " › ".join([self.document_title, *self.section_path])


class ToolMatch(BaseModel):
    """A catalogue tool named in the question, with what the catalogue says about it."""

    name: str
    vendor: str
    status: str
    verdict: str
    allowed_data: list[str] = Field(default_factory=list)
    blocked_data: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    policy_ref: str | None = None
    url: str | None = None


class PolicyAnswer(BaseModel):
    question: str
    text: str
    covered: bool
    mode: str
    citations: list[Citation] = Field(default_factory=list)
    tool_matches: list[ToolMatch] = Field(default_factory=list)
    unknown_tools: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    fallback_reason: str | None = None
    evidence_seq: int | None = None
    # Register records the answer is about (questions answered from the register).
    record_refs: list[str] = Field(default_factory=list)
