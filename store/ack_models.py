"""Typed tables for policy acknowledgement campaigns (migration 0011).

A campaign asks an audience to acknowledge one version of one policy document: the version is
the SHA-256 of the document's bytes when the campaign started, so an acknowledgement is always
of the text that was in force, and a later change of the document never rewrites it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class AckCampaign(Base):
    __tablename__ = "ack_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    # The document by its source (its path or URL), title and version as ingested when the
    # campaign started: the document row may later change or go away, the campaign does not.
    document_source: Mapped[str] = mapped_column(String(1000), index=True)
    document_title: Mapped[str] = mapped_column(String(500))
    document_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    version_sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The key rules shown to everyone: [{text, section, chunk_id}], quoted from the document.
    key_rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Who it is for: "channel" (a Slack channel's members), "usergroup" or "people" (aims.yaml).
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience_ref: Mapped[str] = mapped_column(String(64), default="")
    audience_label: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date] = mapped_column(Date)
    # open, or superseded once a lead asked the same audience for the document's new version
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # The campaign that asks for the document's next version, once a lead started one.
    superseded_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class AckRequest(Base):
    """One person asked, in one campaign: sent, reminded, escalated, acknowledged or withdrawn.

    The columns say which messages went out, so a sweep that runs again (another replica, a
    restart) works out from here what is still owed instead of repeating it."""

    __tablename__ = "ack_requests"
    __table_args__ = (UniqueConstraint("campaign_id", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("ack_campaigns.id", ondelete="CASCADE"), index=True
    )
    person: Mapped[str] = mapped_column(String(64), index=True)
    # pending | acknowledged | withdrawn (left the audience)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # SHA-256 of the exact words of the message the person was sent (what they were shown).
    shown_sha256: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the reminder sweep next looks at this request (NULL once nothing more is owed).
    next_step_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(nullable=True)
    questions: Mapped[int] = mapped_column(Integer, default=0)
