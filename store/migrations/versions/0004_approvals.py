"""approvals: requests per record version, the slots each needs, one decision per slot

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=False),
        sa.Column("record_ref", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("nudged_at", store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", store.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_approval_requests_ai_use_id", "approval_requests", ["ai_use_id"])
    op.create_index("ix_approval_requests_record_ref", "approval_requests", ["record_ref"])
    op.create_index("ix_approval_requests_status", "approval_requests", ["status"])
    op.create_index(
        "uq_approval_requests_open_per_record", "approval_requests", ["ai_use_id"], unique=True,
        sqlite_where=OPEN, postgresql_where=OPEN,
    )
    op.create_table(
        "approval_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"),
                  nullable=False),
        sa.Column("slot", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("require", sa.String(length=8), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "slot"),
    )
    op.create_index("ix_approval_slots_request_id", "approval_slots", ["request_id"])
    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"),
                  nullable=False),
        sa.Column("slot", sa.String(length=128), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("decided_at", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "slot", name="uq_approval_decision_slot"),
    )
    op.create_index("ix_approval_decisions_request_id", "approval_decisions", ["request_id"])


def downgrade() -> None:
    op.drop_table("approval_decisions")
    op.drop_table("approval_slots")
    op.drop_table("approval_requests")
