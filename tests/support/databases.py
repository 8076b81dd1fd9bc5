"""Real databases for tests: a SQLite file per test, or a fresh Postgres schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store.db import Database, sqlite_url

DEFAULT_POSTGRES = "postgresql+psycopg://root@127.0.0.1:5432/test"


def backend_under_test() -> str:
    """The suite runs once per backend (.ci/run): AIMS_TEST_BACKEND=sqlite|postgres."""
    return os.environ.get("AIMS_TEST_BACKEND", "sqlite")


def postgres_url() -> str:
    return os.environ.get("AIMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def postgres_available() -> bool:
    try:
        engine = create_engine(postgres_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Create a uniquely named schema and yield a URL whose search_path points at it."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database_url_for(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgres":
        with postgres_schema() as url:
            yield url
    else:
        yield sqlite_url(tmp_path / "aims.db")


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database at the latest revision."""
    with empty_database(backend, tmp_path) as database:
        database.ensure_schema()
        yield database


@contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema yet, for tests of the upgrades themselves."""
    with database_url_for(backend, tmp_path) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()
