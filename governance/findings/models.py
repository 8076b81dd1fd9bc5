"""What a finding and a corrective action are made of, as people give them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from governance.incidents import Severity

TITLE_MAX = 300  # a finding's title (store.improvement_models.Finding.title)


def finding_title(text: str, limit: int = TITLE_MAX) -> str:
    """`text` on one line, cut to `limit` with an ellipsis: a title made from what someone
    wrote (an incident, a review's finding, feedback)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


class FindingKind(StrEnum):
    NONCONFORMITY = "nonconformity"  # a requirement not met
    OBSERVATION = "observation"  # not (yet) a nonconformity, worth watching
    OPPORTUNITY = "opportunity"  # an opportunity for improvement


class FindingSource(StrEnum):
    INCIDENT = "incident"
    REVIEW = "review"
    MANAGEMENT_REVIEW = "management_review"
    LEAD = "lead"
    FEEDBACK = "feedback"


class FindingStatus(StrEnum):
    OPEN = "open"
    ACTIONS_PLANNED = "actions_planned"
    ACTIONS_DONE = "actions_done"
    VERIFIED = "verified"
    CLOSED = "closed"


class NewFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    source: FindingSource
    source_ref: str = ""  # INC-0003, AIU-0007's review, MR-2026-Q4, FB-0002
    title: str = Field(min_length=3, max_length=TITLE_MAX)
    description: str = ""
    records: list[str] = Field(default_factory=list)  # AIU refs
    controls: list[str] = Field(default_factory=list)  # Annex A ids, e.g. A.6.2.6
    severity: Severity = Severity.MEDIUM
    owner: str = Field(min_length=1)  # a person (Slack id)
    root_cause: str = ""


class NewAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str = Field(min_length=3)
    owner: str = Field(min_length=1)
    due_on: date
