"""Approval requests, the approvals each one needs (slots) and the decisions taken on them.

Exactly-once lives in the schema: one decision per (request, slot), and at most one open request
per record, so double clicks, Slack retries and racing replicas cannot add a second one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class ApprovalRequest(Base):
    """One round of approval for one version of a register record."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        # A record has at most one open request: a second submission supersedes the first.
        Index(
            "uq_approval_requests_open_per_record",
            "ai_use_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), index=True)
    record_ref: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="open", index=True)
    requester: Mapped[str] = mapped_column(String(64), default="")
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    nudged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ApprovalSlot(Base):
    """One approval a request needs: a role ("any" member) or one named person ("all")."""

    __tablename__ = "approval_slots"
    __table_args__ = (UniqueConstraint("request_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    slot: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(64))
    require: Mapped[str] = mapped_column(String(8))
    approvers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ApprovalDecision(Base):
    """A named approver's (or their delegate's) decision on one slot of one request."""

    __tablename__ = "approval_decisions"
    # The exactly-once guarantee: a second decision on the same slot fails at insert.
    __table_args__ = (UniqueConstraint("request_id", "slot", name="uq_approval_decision_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    slot: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[str] = mapped_column(String(32))
    decided_by: Mapped[str] = mapped_column(String(64))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    via: Mapped[str] = mapped_column(String(16), default="slack")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
