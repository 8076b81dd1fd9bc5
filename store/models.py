"""SQLAlchemy 2.0 typed mappings. Plain data: no Slack, no LLM, no domain rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class AIUse(Base):
    """A register record: one AI use, at its current version."""

    __tablename__ = "ai_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    business_unit: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(64), default="", index=True)
    requester: Mapped[str] = mapped_column(String(64), default="", index=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    tool: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(200), default="")
    third_party: Mapped[bool] = mapped_column(Boolean, default=False)
    deployment: Mapped[str | None] = mapped_column(String(32), nullable=True)
    affected_people: Mapped[list[Any]] = mapped_column(JSON, default=list)
    data_categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decisions_about_people: Mapped[str] = mapped_column(Text, default="")
    decision_stakes: Mapped[str] = mapped_column(Text, default="")
    human_oversight: Mapped[str | None] = mapped_column(String(32), nullable=True)
    autonomy: Mapped[str] = mapped_column(Text, default="")
    permissions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    agent_write_access: Mapped[bool] = mapped_column(Boolean, default=False)
    provenance: Mapped[str] = mapped_column(Text, default="")
    data_location: Mapped[str] = mapped_column(String(200), default="")
    contract_dpa: Mapped[str] = mapped_column(String(200), default="")
    logging_arrangements: Mapped[str] = mapped_column(Text, default="")
    escalation_route: Mapped[str] = mapped_column(Text, default="")
    eu_ai_act_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    annex_iii_areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    article_5_practices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    risk_tier: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    tier_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tier_override: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    open_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    next_review: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    review_lapsed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[AIUseVersion]] = relationship(
        back_populates="ai_use", order_by="AIUseVersion.version"
    )


class AIUseVersion(Base):
    """Change control: the record as it stood at each version, with who, when and why."""

    __tablename__ = "ai_use_versions"
    __table_args__ = (UniqueConstraint("ai_use_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")

    ai_use: Mapped[AIUse] = relationship(back_populates="versions")


class CatalogueEntry(Base):
    """The approved-tool catalogue, synced from aims.yaml so queries and exports can join on it."""

    __tablename__ = "tool_catalogue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(32))
    allowed_data: Mapped[list[Any]] = mapped_column(JSON, default=list)
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    policy_ref: Mapped[str | None] = mapped_column(String(400), nullable=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """One conversation's state, saved after every turn so a restart loses nothing."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("workspace", "user_id", "thread"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    thread: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32), default="intake")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceEvent(Base):
    """One link of the hash chain. Rows are never updated or deleted (see store.evidence)."""

    __tablename__ = "evidence_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Indexed for reports over a period (the management review's evidence range).
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboundMessage(Base):
    """The outbox: a message the domain wants sent, written in the same transaction as the change
    that caused it, then claimed by one sender (exactly once across replicas) and sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # One row per intended effect ("approval:AIU-0007:v2:dm:U0ACME0003"); duplicates are dropped.
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    # post, update, ephemeral or upload
    op: Mapped[str] = mapped_column(String(16), default="post")
    channel: Mapped[str] = mapped_column(String(64))  # a channel id, or a user id for a DM
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # ephemeral target
    # The parent's dedupe_key; a thread's messages are sent in the order they were queued.
    thread_of: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # The message to update; updates of one message are applied in the order they were queued.
    target_of: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)  # plain text (a notice's as_text), or Slack text
    blocks: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)  # raw Block Kit
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A governance.notices.Notice: what to say, transport-free; the sender renders it.
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    slack_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedDelivery(Base):
    """Inbound idempotency: one row per Slack event id / retry / click we have acted on."""

    __tablename__ = "processed_deliveries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
