"""Real databases for tests: a SQLite file per test, or a fresh Postgres schema per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
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
    """A database at the latest revision: a copy of one migrated once per test process (the
    migrations themselves are tested on `empty_database`), so a thousand tests do not run
    every migration a thousand times."""
    with empty_database(backend, tmp_path) as database:
        if backend == "postgres":
            _copy_postgres_template(database)
        else:
            database.dispose()
            shutil.copyfile(_sqlite_template(), tmp_path / "aims.db")
        database.ensure_schema()  # a no-op on the copy; migrates if no copy could be made
        yield database


_TEMPLATES: dict[str, Path | str | None] = {}


def _sqlite_template() -> Path:
    template = _TEMPLATES.get("sqlite")
    if not isinstance(template, Path):
        folder = Path(tempfile.mkdtemp(prefix="aims-template-"))
        database = Database(sqlite_url(folder / "aims.db"))
        database.ensure_schema()
        database.dispose()
        template = _TEMPLATES["sqlite"] = folder / "aims.db"
    return template


def _copy_postgres_template(database: Database) -> None:
    """The template schema's DDL (pg_dump), replayed into this test's schema."""
    if "postgres" not in _TEMPLATES:
        _TEMPLATES["postgres"] = _postgres_template_ddl()
    ddl = _TEMPLATES["postgres"]
    if not isinstance(ddl, str):
        return  # no pg_dump here: ensure_schema migrates instead
    schema = database.engine.url.query["options"]
    schema = str(schema).removeprefix("-csearch_path=")
    with database.engine.begin() as connection:
        connection.exec_driver_sql(ddl.replace(_TEMPLATE_SCHEMA, schema))
        heads = _heads()
        for head in heads:
            connection.exec_driver_sql(
                f'INSERT INTO "{schema}".alembic_version (version_num) VALUES (%s)', (head,)
            )


_TEMPLATE_SCHEMA = f"aims_template_{uuid.uuid4().hex[:12]}"


def _postgres_template_ddl() -> str | None:
    if shutil.which("pg_dump") is None:
        return None
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{_TEMPLATE_SCHEMA}"'))
    try:
        url = make_url(postgres_url()).update_query_dict(
            {"options": f"-csearch_path={_TEMPLATE_SCHEMA}"}
        )
        template = Database(url.render_as_string(hide_password=False))
        template.ensure_schema()
        template.dispose()
        plain = make_url(postgres_url())
        dumped = subprocess.run(
            [
                "pg_dump",
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                f"--schema={_TEMPLATE_SCHEMA}",
                "--host",
                plain.host or "127.0.0.1",
                "--port",
                str(plain.port or 5432),
                "--username",
                plain.username or "postgres",
                plain.database or "test",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if dumped.returncode != 0:
            return None
        lines = [
            line
            for line in dumped.stdout.splitlines()
            # Session settings (an empty search_path) would outlive the DDL on a pooled
            # connection; every name in the dump is schema-qualified anyway.
            if not line.startswith(("CREATE SCHEMA", "--", "\\", "SET ", "SELECT pg_catalog"))
        ]
        return "\n".join(lines)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{_TEMPLATE_SCHEMA}" CASCADE'))
        admin.dispose()


def _heads() -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return list(ScriptDirectory.from_config(config).get_heads())


@contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema yet, for tests of the upgrades themselves."""
    with database_url_for(backend, tmp_path) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()
