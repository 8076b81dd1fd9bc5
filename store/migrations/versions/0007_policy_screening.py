"""policy screening: instruction flags on chunks, trusted documents

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # All nullable: existing rows were never screened (NULL), and the next ingest screens them
    # without re-embedding (see retrieval.ingest).
    op.add_column("policy_documents", sa.Column("screened_with", sa.String(40), nullable=True))
    op.add_column("policy_documents", sa.Column("trusted_sha256", sa.String(64), nullable=True))
    op.add_column("policy_documents", sa.Column("trusted_by", sa.String(64), nullable=True))
    op.add_column("policy_documents", sa.Column("trust_changed_at", UTCDateTime(), nullable=True))
    op.add_column("policy_chunks", sa.Column("instruction_flags", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: recreating policy_documents would
    # drop the old table, and its ON DELETE CASCADE would empty policy_chunks.
    op.drop_column("policy_chunks", "instruction_flags")
    for column in ("trust_changed_at", "trusted_by", "trusted_sha256", "screened_with"):
        op.drop_column("policy_documents", column)
