"""findings, corrective actions, management reviews and feedback; the ledger indexed by time

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_DT = store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_ref", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("controls", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("verified_at", UTC_DT, nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", UTC_DT, nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_findings_owner", "findings", ["owner"])
    op.create_index("ix_findings_status", "findings", ["status"])
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column(
            "finding_id",
            sa.Integer(),
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("done_at", UTC_DT, nullable=True),
        sa.Column("nudged_before_on", sa.Date(), nullable=True),
        sa.Column("nudged_after_on", sa.Date(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_corrective_actions_finding_id", "corrective_actions", ["finding_id"])
    op.create_index("ix_corrective_actions_owner", "corrective_actions", ["owner"])
    op.create_index("ix_corrective_actions_due_on", "corrective_actions", ["due_on"])
    op.create_index("ix_corrective_actions_status", "corrective_actions", ["status"])
    op.create_table(
        "management_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("findings.id"), nullable=True),
        sa.Column("prepared_by", sa.String(length=64), nullable=False),
        sa.Column("prepared_at", UTC_DT, nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=True),
        sa.Column("reporter_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("turned_into", sa.String(length=20), nullable=True),
        sa.Column("received_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_feedback_ai_use_id", "feedback", ["ai_use_id"])
    # Reports over a period (the management review) select the ledger by time.
    op.create_index("ix_evidence_events_occurred_at", "evidence_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_evidence_events_occurred_at", table_name="evidence_events")
    op.drop_table("feedback")
    op.drop_table("management_reviews")
    op.drop_table("corrective_actions")
    op.drop_table("findings")
