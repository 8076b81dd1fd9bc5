"""policy acknowledgement campaigns and the people each asks

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC_DT = store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ack_campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("document_source", sa.String(length=1000), nullable=False),
        sa.Column("document_title", sa.String(length=500), nullable=False),
        sa.Column("document_url", sa.String(length=1000), nullable=True),
        sa.Column("version_sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("key_rules", sa.JSON(), nullable=False),
        sa.Column("audience_kind", sa.String(length=16), nullable=False),
        sa.Column("audience_ref", sa.String(length=64), nullable=False),
        sa.Column("audience_label", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("superseded_by", sa.String(length=20), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_ack_campaigns_document_source", "ack_campaigns", ["document_source"])
    op.create_index("ix_ack_campaigns_status", "ack_campaigns", ["status"])
    op.create_table(
        "ack_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("ack_campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shown_sha256", sa.String(length=64), nullable=False),
        sa.Column("asked_at", UTC_DT, nullable=False),
        sa.Column("delivered_at", UTC_DT, nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC_DT, nullable=True),
        sa.Column("next_step_at", UTC_DT, nullable=True),
        sa.Column("acknowledged_at", UTC_DT, nullable=True),
        sa.Column("withdrawn_at", UTC_DT, nullable=True),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "person"),
    )
    op.create_index("ix_ack_requests_campaign_id", "ack_requests", ["campaign_id"])
    op.create_index("ix_ack_requests_person", "ack_requests", ["person"])
    op.create_index("ix_ack_requests_status", "ack_requests", ["status"])
    op.create_index("ix_ack_requests_next_step_at", "ack_requests", ["next_step_at"])


def downgrade() -> None:
    op.drop_table("ack_requests")
    op.drop_table("ack_campaigns")
