"""Shared fixtures: real databases, the sample organisation, an injected clock."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.context import AppContext, build_context
from bot.settings import Settings
from governance.config import OrgConfig, load_config
from store.db import Database
from tests.support.databases import (
    backend_under_test,
    empty_database,
    fresh_database,
    postgres_available,
)

# Nothing in the suite may reach a model hub or the internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Never find (or create) the developer's own demo organisation from a test.
os.environ.setdefault(
    "AIMS_DEMO_DIR", str(Path(tempfile.gettempdir()) / f"aims-demo-tests-{os.getpid()}")
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "acme"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def backend() -> str:
    chosen = backend_under_test()
    if chosen == "postgres" and not postgres_available():
        pytest.skip("AIMS_TEST_BACKEND=postgres but no Postgres server answers")
    return chosen


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A fresh database at the latest revision, on the backend this run tests."""
    with fresh_database(backend, tmp_path) as database:
        yield database


@pytest.fixture
def unmigrated_db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema yet, on the backend this run tests (for upgrade tests)."""
    with empty_database(backend, tmp_path) as database:
        yield database


@pytest.fixture
def pg_db(tmp_path: Path) -> Iterator[Database]:
    """Postgres whatever the run's backend, for tests about concurrency across replicas."""
    if not postgres_available():
        pytest.skip("no Postgres server answers at AIMS_TEST_POSTGRES_URL / 127.0.0.1:5432")
    with fresh_database("postgres", tmp_path) as database:
        yield database


@pytest.fixture(scope="session")
def sample_config() -> OrgConfig:
    return load_config(SAMPLE / "aims.yaml")


@pytest.fixture
def org_dir(tmp_path: Path) -> Path:
    """A copy of the sample organisation in a temporary folder."""
    target = tmp_path / "org"
    target.mkdir()
    shutil.copy2(SAMPLE / "aims.yaml", target / "aims.yaml")
    shutil.copytree(SAMPLE / "policies", target / "policies")
    return target


@pytest.fixture
def app_context(org_dir: Path, db: Database) -> AppContext:
    """The sample organisation wired to this test's database."""
    context = build_context(org_dir / "aims.yaml", Settings(database_url=db.url))
    context.__dict__["db"] = db
    return context


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not here (it exists in the team's checkout and CI only)")
    return SHARED


_BACKEND_FIXTURES = {"db", "app_context", "unmigrated_db"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the Postgres pass, run only the tests that touch the backend under test."""
    if backend_under_test() != "postgres":
        return
    keep, drop = [], []
    for item in items:
        (keep if _BACKEND_FIXTURES & set(getattr(item, "fixturenames", ())) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
