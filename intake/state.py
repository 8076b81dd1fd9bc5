"""One intake conversation's state: a JSON document saved on the Conversation row every turn."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

# A pasted document is kept in the transcript only this long; the requester is re-asked anyway.
TRANSCRIPT_TEXT_LIMIT = 2000


class Stage(StrEnum):
    COLLECTING = "collecting"
    CONFIRMING = "confirming"
    CHOOSING_EDIT = "choosing_edit"
    FILED = "filed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINISHED = {Stage.FILED, Stage.CANCELLED, Stage.EXPIRED}


class Line(BaseModel):
    who: str  # "requester" | "bot"
    text: str
    at: str


class Conflict(BaseModel):
    field: str
    rules: Any
    llm: Any


class IntakeState(BaseModel):
    stage: Stage = Stage.COLLECTING
    requester: str
    channel: str | None = None
    description: str = ""
    # Known field values in RecordFields' JSON form, and where each came from.
    fields: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    why: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    # Slots answered in order, so "back" can step to the previous one.
    history: list[str] = Field(default_factory=list)
    current: str | None = None
    # After an edit from the summary, go back to the summary once nothing is missing.
    editing: bool = False
    # Inferred facts that raise the risk, waiting for the requester's yes (values and quotes).
    pending: dict[str, Any] = Field(default_factory=dict)
    pending_why: dict[str, str] = Field(default_factory=dict)
    # Fields the requester said they don't know: unknown, listed for the reviewers.
    open_items: list[str] = Field(default_factory=list)
    # Catalogue tools a shared name ("Copilot") may mean; the tool question offers them.
    tool_choices: list[str] = Field(default_factory=list)
    # What the requester must know about the catalogue status of the tool they named.
    warnings: list[str] = Field(default_factory=list)
    suggested_areas: list[str] = Field(default_factory=list)
    suggested_practices: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    # Each LLM extraction: model, prompt template and hash, parsed output or error.
    llm_calls: list[dict[str, Any]] = Field(default_factory=list)
    retries: int = 0
    transcript: list[Line] = Field(default_factory=list)
    record_ref: str | None = None

    def say(self, who: str, text: str, now: datetime) -> None:
        shown = (
            text
            if len(text) <= TRANSCRIPT_TEXT_LIMIT
            else (f"{text[:TRANSCRIPT_TEXT_LIMIT]}… [{len(text):,} characters, truncated]")
        )
        self.transcript.append(Line(who=who, text=shown, at=now.isoformat()))

    def set(self, name: str, value: Any, source: str, why: str = "") -> None:
        self.fields[name] = value
        self.sources[name] = source
        if why:
            self.why[name] = why
        else:
            self.why.pop(name, None)
        if name in self.skipped:
            self.skipped.remove(name)
        if name in self.open_items:
            self.open_items.remove(name)

    def unset(self, name: str) -> None:
        for store in (self.fields, self.sources, self.why):
            store.pop(name, None)
        if name in self.open_items:
            self.open_items.remove(name)

    def unknown(self, name: str) -> None:
        """The requester doesn't know yet: no value is filed, the reviewers see an open item."""
        self.unset(name)
        self.open_items.append(name)

    def settled(self, name: str) -> bool:
        return name in self.fields or name in self.skipped or name in self.open_items
