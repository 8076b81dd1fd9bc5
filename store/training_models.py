"""Typed table for AI-literacy and other training completions (migration 0012).

One row per completion a person has of a course on a day: recording the same completion again
finds the row already there (unique person, course, day) and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class TrainingRecord(Base):
    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("person", "course", "completed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person: Mapped[str] = mapped_column(String(64), index=True)  # a Slack user id
    course: Mapped[str] = mapped_column(String(200))  # its name under training.courses
    completed_on: Mapped[date] = mapped_column(Date)
    evidence_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "cli", "slack" or "import:<file name>"
    source: Mapped[str] = mapped_column(String(300))
