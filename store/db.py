"""Engine and unit of work. SQLite by default, Postgres when the URL says so.

Every transaction on SQLite starts with BEGIN IMMEDIATE, so concurrent writers (threads or
processes) queue for the write lock instead of failing half-way; on Postgres the evidence
ledger takes an advisory lock instead (see store.evidence).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# Held while migrating a Postgres database, so replicas starting together upgrade it once.
SCHEMA_LOCK_KEY = 4_242_000
# Revisions that were released but changed nothing, mapped to the revision they equal. Their
# files are gone, so a database stamped at one is re-stamped before Alembic reads it.
RETIRED_REVISIONS = {"0006": "0005"}  # 0006 was an empty placeholder


# The unit of work open in this thread (or task), for the one caller that must write into it
# rather than open a second transaction: AIMS Bot's own LLM calls record their gateway decision
# in the transaction of the answer or intake turn they belong to (SQLite has one writer, and
# that transaction holds it). See governance/gateway/guard.py.
_OPEN_SESSION: ContextVar[Session | None] = ContextVar("aims_open_session", default=None)


def open_session(database: Database) -> Session | None:
    """The session `database.session()` has open in this context, if any."""
    session = _OPEN_SESSION.get()
    if session is None or session.get_bind() is not database.engine:
        return None
    return session


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Hand transaction control to SQLAlchemy's "begin" event below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """One per process: the engine, schema upgrades and the unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def upgrade(self, revision: str = "head") -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if self.is_postgres:
                # Alembic reads the current revision after this, so the second of two replicas
                # waits here and then finds nothing left to do. (SQLite: BEGIN IMMEDIATE.)
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
                )
            _restamp_retired(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def ensure_schema(self) -> None:
        """A fresh database is created at the latest revision on first use."""
        if not self.is_current():
            self.upgrade()

    def is_current(self) -> bool:
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(config).get_heads())
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return False
            current = set(MigrationContext.configure(connection).get_current_heads())
        return current == heads

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The unit of work: commit the change and its evidence together, or neither."""
        session = self._sessions()
        token = _OPEN_SESSION.set(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _OPEN_SESSION.reset(token)
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _restamp_retired(connection: Connection) -> None:
    if not inspect(connection).has_table("alembic_version"):
        return
    for retired, same_as in RETIRED_REVISIONS.items():
        connection.execute(
            text("UPDATE alembic_version SET version_num = :same WHERE version_num = :retired"),
            {"same": same_as, "retired": retired},
        )
