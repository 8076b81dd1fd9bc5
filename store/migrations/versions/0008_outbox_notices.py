"""outbox notices: transport-free notices on outbox rows; thread and target indexes

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows queued before this carry their Slack text and blocks, and are sent as they
    # are; notices are rendered by the sender.
    op.add_column("outbox", sa.Column("notice", sa.JSON(), nullable=True))
    # A row is claimed only when no earlier row of its thread (or update target) is unsent.
    op.create_index("ix_outbox_thread_of", "outbox", ["thread_of"])
    op.create_index("ix_outbox_target_of", "outbox", ["target_of"])


def downgrade() -> None:
    op.drop_index("ix_outbox_target_of", table_name="outbox")
    op.drop_index("ix_outbox_thread_of", table_name="outbox")
    op.drop_column("outbox", "notice")
