"""open items: register fields the requester did not know yet, listed for the reviewers

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_uses") as batch:
        batch.add_column(sa.Column("open_items", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("ai_uses") as batch:
        batch.drop_column("open_items")
