"""Typed tables for the improvement loop (migration 0013): findings and their corrective
actions (ISO/IEC 42001 10.2), management reviews (9.3), and feedback from people affected by an
AI use.

A finding and an action keep in their columns which nudges went out, so a sweep that runs again
(another replica, a restart) works out what is still owed instead of repeating it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    # nonconformity | observation | opportunity (for improvement)
    kind: Mapped[str] = mapped_column(String(16))
    # incident | review | management_review | lead | feedback, and the ref it came from
    source: Mapped[str] = mapped_column(String(24))
    source_ref: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    records: Mapped[list[Any]] = mapped_column(JSON, default=list)  # AIU refs concerned
    controls: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Annex A ids concerned
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    owner: Mapped[str] = mapped_column(String(64), index=True)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    # open | actions_planned | actions_done | verified | closed
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    verification: Mapped[str] = mapped_column(Text, default="")
    verified_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)


class CorrectiveAction(Base):
    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | done
    done_note: Mapped[str] = mapped_column(Text, default="")
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Which nudges went out: before the due date, after it, and the escalation to the leads.
    nudged_before_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    nudged_after_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    escalated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManagementReview(Base):
    """One management review: the inputs prepared for a period, then the minutes."""

    __tablename__ = "management_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)  # MR-2026-Q4
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    # The evidence the inputs summarise: ledger sequence numbers first..last (inclusive).
    first_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="prepared")  # prepared | held
    attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decisions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{text, by, at}]
    # The finding its actions hang on (an opportunity for improvement), once there is one.
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), nullable=True)
    prepared_by: Mapped[str] = mapped_column(String(64))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Feedback(Base):
    """A concern about an AI use from someone it affects. Anonymous unless they consented:
    then only a salted hash of who they are is kept (so repeats can be told apart), never their
    id; with consent, their id and no hash (a hash would link their anonymous feedback to it)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    reporter: Mapped[str | None] = mapped_column(String(64), nullable=True)  # only if consented
    reporter_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | finding | incident
    turned_into: Mapped[str | None] = mapped_column(String(20), nullable=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
