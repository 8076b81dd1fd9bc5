"""Schema upgrades: a database stamped at any released revision reaches the latest one."""

from __future__ import annotations

from sqlalchemy import inspect, text

from store.db import Database


def _revision(database: Database) -> str:
    with database.engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())


def test_a_database_stamped_at_the_retired_empty_revision_still_upgrades(
    unmigrated_db: Database,
) -> None:
    unmigrated_db.upgrade("0005")
    with unmigrated_db.engine.begin() as connection:  # as a release that shipped 0006 left it
        connection.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    assert not unmigrated_db.is_current()
    unmigrated_db.ensure_schema()
    assert unmigrated_db.is_current() and _revision(unmigrated_db) != "0006"
    with unmigrated_db.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("policy_documents")}
    assert "trusted_sha256" in columns  # 0007 ran


def test_a_fresh_database_is_created_at_the_latest_revision(unmigrated_db: Database) -> None:
    assert not unmigrated_db.is_current()
    unmigrated_db.ensure_schema()
    assert unmigrated_db.is_current()
