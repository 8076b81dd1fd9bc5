"""Typed tables for periodic reviews, incidents and scheduled work (migration 0005)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class ReviewCycle(Base):
    """One periodic review of one record, for one due date.

    The columns say which notices went out, so a sweep that runs again (another replica, a
    restart, a manual run) works out from here what is still owed instead of repeating it.
    """

    __tablename__ = "review_cycles"
    __table_args__ = (UniqueConstraint("ai_use_id", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    snoozed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    notified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    lapsed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Incident(Base):
    """An AI incident, from report to closure (root cause and corrective action)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    ai_use_id: Mapped[int | None] = mapped_column(ForeignKey("ai_uses.id"), nullable=True)
    unregistered_tool: Mapped[str] = mapped_column(String(200), default="")
    reported_by: Mapped[str] = mapped_column(String(64))
    what_happened: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column()
    severity: Mapped[str] = mapped_column(String(16))
    people_harmed: Mapped[bool] = mapped_column(Boolean, default=False)
    harm_details: Mapped[str] = mapped_column(Text, default="")
    serious_incident: Mapped[str] = mapped_column(String(8), default="no")  # yes | no | unsure
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    follow_ups_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_follow_up_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledClaim(Base):
    """A once-only piece of scheduled work (a weekly digest), claimed by inserting its key.

    The insert and the work commit together: a second replica's insert waits and then finds
    the key taken; a crash rolls the claim back, so the next run does the work.
    """

    __tablename__ = "scheduled_claims"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """One run of a scheduled job: when, how long, what it did, or why it failed."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column()
    as_of: Mapped[datetime] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_ref: Mapped[str | None] = mapped_column(String(16), nullable=True)
