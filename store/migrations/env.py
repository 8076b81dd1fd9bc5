"""Alembic environment: runs on the connection store.db hands over, or a URL (autogenerate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import store.ack_models  # noqa: F401  (registers the tables on Base.metadata)
import store.approval_models  # noqa: F401
import store.gateway_models  # noqa: F401
import store.improvement_models  # noqa: F401
import store.retrieval_models  # noqa: F401
import store.review_models  # noqa: F401
import store.training_models  # noqa: F401
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
