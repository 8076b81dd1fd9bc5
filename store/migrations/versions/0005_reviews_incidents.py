"""reviews, incidents, scheduled claims and job runs

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DT = store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_cycles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("lapsed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("completed_at", UTC_DT, nullable=True),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ai_use_id", "due_on"),
    )
    op.create_index("ix_review_cycles_ai_use_id", "review_cycles", ["ai_use_id"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("ai_use_id", sa.Integer(), sa.ForeignKey("ai_uses.id"), nullable=True),
        sa.Column("unregistered_tool", sa.String(length=200), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_DT, nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("people_harmed", sa.Boolean(), nullable=False),
        sa.Column("harm_details", sa.Text(), nullable=False),
        sa.Column("serious_incident", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("follow_ups_sent", sa.Integer(), nullable=False),
        sa.Column("next_follow_up_at", UTC_DT, nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("corrective_action", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", UTC_DT, nullable=True),
        sa.Column("reported_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_index("ix_incidents_next_follow_up_at", "incidents", ["next_follow_up_at"])

    op.create_table(
        "scheduled_claims",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", UTC_DT, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )

    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC_DT, nullable=False),
        sa.Column("as_of", UTC_DT, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_ref", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_runs_job_id", "job_runs", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_id", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_table("scheduled_claims")
    op.drop_index("ix_incidents_next_follow_up_at", table_name="incidents")
    op.drop_index("ix_incidents_status", table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("ix_review_cycles_ai_use_id", table_name="review_cycles")
    op.drop_table("review_cycles")
