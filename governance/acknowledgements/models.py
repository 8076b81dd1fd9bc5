"""What a campaign is started with, what a click carries back, and what a campaign reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AudienceKind(StrEnum):
    CHANNEL = "channel"  # a Slack channel's members
    USERGROUP = "usergroup"  # a Slack user group
    PEOPLE = "people"  # everyone under people in aims.yaml


class Audience(BaseModel):
    """Who a campaign asks: what the lead chose and the people it resolved to when it started.
    Slack resolves channels and user groups (bot/slack); aims.yaml people resolve here."""

    model_config = ConfigDict(frozen=True)

    kind: AudienceKind
    ref: str = ""  # the channel or user group id; empty for aims.yaml people
    label: str = ""  # as the lead would say it: "#all-staff", "@risk-team", "everyone"
    members: list[str] = Field(default_factory=list)


class CampaignStart(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy: str = Field(min_length=1)  # the document's title (or its source path)
    audience: Audience
    due_on: date
    summary: str = ""  # what changed, in the lead's words


class AckChoice(BaseModel):
    """What the buttons of one person's request carry back: whose request, which version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign: str
    person: str
    version: str  # the first 12 hex digits of the document version asked for


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"  # a double click or a replay: counted once, nothing new recorded
    REFUSED = "refused"


class AckResult(BaseModel):
    """What a click did, for the transport to tell the clicker."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    message: str
    # A refused click on a superseded version: the request for the current one, when this
    # person has one, so the transport can offer it.
    current: AckChoice | None = None


class CampaignFigures(BaseModel):
    """Completion of one campaign, as of one day."""

    model_config = ConfigDict(frozen=True)

    ref: str
    document: str
    version: str  # first 12 hex digits
    audience: str
    due_on: date
    status: str
    started_at: datetime
    asked: int  # everyone still in the audience
    acknowledged: int
    pending: int
    overdue: int  # pending, past the due date
    withdrawn: int  # left the audience
    # The document changed after this campaign's version: nobody can acknowledge it any more.
    stale: bool = False

    @property
    def done_share(self) -> float:
        return self.acknowledged / self.asked if self.asked else 0.0


class PersonAck(BaseModel):
    """One request as its addressee sees it (App Home, `aims ack status`)."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    document: str
    version: str
    status: str  # pending | acknowledged | withdrawn
    due_on: date
    acknowledged_at: datetime | None = None
    # True when the document changed after this version: a done acknowledgement of an
    # earlier version, or a pending one that can no longer be given.
    superseded: bool = False
    choice: AckChoice | None = None  # pending and current: what its button carries
