"""gateway: keys (stored as SHA-256 hashes) and per-use gateway options

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DT = store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gateway_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=False),
        sa.Column("record_ref", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("revoked_at", UTC_DT, nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    op.create_index("ix_gateway_keys_key_hash", "gateway_keys", ["key_hash"], unique=True)
    op.create_index("ix_gateway_keys_ai_use_id", "gateway_keys", ["ai_use_id"])
    op.create_index("ix_gateway_keys_record_ref", "gateway_keys", ["record_ref"])

    op.create_table(
        "gateway_use_options",
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=False),
        sa.Column("restore_placeholders", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("ai_use_id"),
    )


def downgrade() -> None:
    op.drop_table("gateway_use_options")
    op.drop_index("ix_gateway_keys_record_ref", table_name="gateway_keys")
    op.drop_index("ix_gateway_keys_ai_use_id", table_name="gateway_keys")
    op.drop_index("ix_gateway_keys_key_hash", table_name="gateway_keys")
    op.drop_table("gateway_keys")
