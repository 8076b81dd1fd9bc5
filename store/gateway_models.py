"""Gateway keys and per-use gateway options (migration 0009).

A key is stored only as the SHA-256 of the whole key and a short prefix to recognise it by; the
key itself is shown once when issued and never kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class GatewayKey(Base):
    """A key one AI use calls models with through the gateway."""

    __tablename__ = "gateway_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(20), unique=True)  # KEY-0001
    prefix: Mapped[str] = mapped_column(String(16))  # aims_sk_3fQ9
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # SHA-256 hex
    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), index=True)
    record_ref: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")


class GatewayUseOption(Base):
    """Gateway options of one AI use; a use without a row has the defaults."""

    __tablename__ = "gateway_use_options"

    ai_use_id: Mapped[int] = mapped_column(ForeignKey("ai_uses.id"), primary_key=True)
    # Map placeholders in the provider's answer back to the originals before the caller gets it.
    restore_placeholders: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
