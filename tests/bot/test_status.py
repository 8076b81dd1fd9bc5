"""`aims status`: the figures it prints are the installation's own (they move when the outbox,
the ledger, the job runs or the index do), `--json` has the same in one object, and an
unreachable database or Chroma server is exit 1 with what to check, never a traceback."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.context import AppContext
from bot.health import heads
from governance import outbox, register
from governance.models import RecordFields
from retrieval.embeddings import Vectors
from retrieval.runtime import ingest_policies
from scheduler.runner import run_job
from store import evidence
from store.db import Database
from store.models import EvidenceEvent
from store.outbox_kinds import OutboxKind
from store.retrieval_models import PolicyChunk
from tests.support.chroma_server import running_chroma_server

REPO = Path(__file__).resolve().parents[2]
AIMS = [sys.executable, "-c", "from bot.cli import main; main()"]
FAKE_MODEL = "fake-status-embedder"  # AIMS_EMBEDDING_MODEL: names the collection, loads nothing
FAKE_ENV = {"AIMS_EMBEDDING_MODEL": FAKE_MODEL}
SLACK_BOT = "xoxb-1234-5678-statusbottoken"
SLACK_APP = "xapp-1-A0AIMS-statusapptoken"
SIGNING = "0123456789abcdef0123456789abcdef"

Status = Callable[..., Result]


class FakeEmbedder:
    """Hashed words, nothing loaded; named like the model AIMS_EMBEDDING_MODEL names."""

    name = FAKE_MODEL

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
            norm = np.linalg.norm(vectors[row])
            vectors[row] = vectors[row] / norm if norm else vectors[row]
        return vectors


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SLACK_") or (name.startswith("AIMS_") and name != "AIMS_DEMO_DIR"):
            monkeypatch.delenv(name)


def invoke(config: Path, *args: str, **env: str) -> Result:
    """`aims --config CONFIG status ARGS...` in-process, with these environment variables."""
    return CliRunner().invoke(
        app, ["--config", str(config), "status", *args], env=env, catch_exceptions=False
    )


@pytest.fixture
def status(clean_env: None, app_context: AppContext) -> Status:
    """`aims status` against the sample organisation and this test's database."""

    def run(*args: str, **env: str) -> Result:
        env = {"AIMS_DATABASE_URL": app_context.db.url, "AIMS_EMBEDDING_MODEL": FAKE_MODEL, **env}
        return invoke(app_context.config_path, *args, **env)

    return run


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def ledger_head(ctx: AppContext) -> tuple[int, int, str]:
    with ctx.db.session() as session:
        count = session.scalar(select(func.count()).select_from(EvidenceEvent)) or 0
        head = evidence.head(session)
    assert head is not None
    return count, head[0], head[1]


# --- what the installation is connected to ---------------------------------------------------


def test_json_names_the_database_and_its_revision(
    status: Status, app_context: AppContext, backend: str
) -> None:
    document = as_json(status("--json"))
    assert set(document) == {
        "ok",
        "organisation",
        "timezone",
        "config_path",
        "database",
        "vector_index",
        "slack",
        "gateway",
        "scheduler",
        "outbox",
        "ledger",
        "problems",
        "warnings",
    }
    assert document["ok"] is True and document["problems"] == []
    assert document["organisation"] == app_context.config.organisation.name
    database = document["database"]
    assert database["kind"] == ("postgresql" if backend == "postgres" else "sqlite")
    assert database["reachable"] is True
    assert database["revision"] == {"current": heads(), "head": heads()}
    assert database["url"] == app_context.db.url  # no password here to mask
    index = document["vector_index"]
    assert index["kind"] == "embedded" and index["location"] == str(app_context.chroma_path)
    assert FAKE_MODEL in index["collection"]
    assert document["gateway"] == {"enabled": False, "address": None, "upstreams": []}
    jobs = document["scheduler"]["jobs"]
    assert {job["id"] for job in jobs} >= {"review-sweep", "weekly-digest"}
    assert all(job["scheduled"] and job["next_run"] for job in jobs)
    assert document["outbox"] == {
        "unsent": 0,
        "failed": 0,
        "oldest_unsent_at": None,
        "oldest_age_seconds": None,
    }


def test_a_password_in_the_database_url_is_never_printed(
    status: Status, app_context: AppContext, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite URLs carry no password")
    # The test server trusts local connections, so the password is accepted and ignored.
    url = make_url(app_context.db.url).set(password="hunter2-pw").render_as_string(False)
    shown = status("--json", AIMS_DATABASE_URL=url)
    document = as_json(shown)
    assert document["database"]["reachable"] is True
    assert ":***@" in document["database"]["url"]
    assert "hunter2" not in shown.stdout + shown.stderr
    assert "hunter2" not in status(AIMS_DATABASE_URL=url).output


def test_the_figures_follow_the_outbox_the_ledger_and_the_job_runs(
    status: Status, app_context: AppContext
) -> None:
    before = as_json(status("--json"))
    assert before["outbox"]["unsent"] == 0
    with app_context.db.session() as session:
        outbox.enqueue(
            session, key="status-test", channel="C0GOV", text="hello", kind=OutboxKind.DIGEST_WEEKLY
        )
        register.create_record(
            session, fields=RecordFields(title="Status test"), actor="U0ACME0012"
        )
    run_job(app_context.db, app_context.config, "intake-expiry")
    events, last_seq, last_hash = ledger_head(app_context)

    after = as_json(status("--json"))
    assert after["outbox"]["unsent"] == 1 and after["outbox"]["failed"] == 0
    assert 0 <= after["outbox"]["oldest_age_seconds"] < 600
    assert after["ledger"] == {"events": events, "last_seq": last_seq, "last_hash": last_hash}
    assert (before["ledger"] or {"events": 0})["events"] < events
    runs = {job["id"]: job["last_run"] for job in after["scheduler"]["jobs"]}
    assert runs["intake-expiry"]["ok"] is True
    assert runs["intake-expiry"]["summary"] == "0 unfinished registrations expired"
    assert runs["review-sweep"] is None

    text = status()
    assert text.exit_code == 0, text.output
    assert "1 unsent, the oldest queued" in text.stdout
    assert f"{events} events, last #{last_seq} {last_hash}" in text.stdout
    assert "ok: 0 unfinished registrations expired" in text.stdout


def test_an_old_unsent_message_shows_its_age(status: Status, app_context: AppContext) -> None:
    with app_context.db.session() as session:
        message = outbox.enqueue(
            session, key="old", channel="C0GOV", text="late", kind=OutboxKind.DIGEST_WEEKLY
        )
        assert message is not None
        message.created_at = message.created_at - timedelta(hours=5)
    document = as_json(status("--json"))
    assert 5 * 3600 <= document["outbox"]["oldest_age_seconds"] < 5 * 3600 + 600
    assert "the oldest queued 5 h ago" in status().stdout


def test_the_index_size_is_what_ingesting_wrote(status: Status, app_context: AppContext) -> None:
    empty = as_json(status("--json"))["vector_index"]
    assert (empty["vectors"], empty["chunks"], empty["created"]) == (0, 0, False)

    providers = dataclasses.replace(app_context.providers, embedder=lambda ctx: FakeEmbedder())
    ingesting = AppContext(app_context.config_path, app_context.settings, providers)
    ingesting.__dict__["db"] = app_context.db
    with ingesting.db.session() as session:
        ingest_policies(ingesting, session)
    with app_context.db.session() as session:
        chunks = session.scalar(select(func.count()).select_from(PolicyChunk)) or 0
    assert chunks > 10

    index = as_json(status("--json"))["vector_index"]
    assert index["reachable"] is True and index["created"] is True
    assert index["chunks"] == chunks and index["database_chunks"] == chunks
    assert index["vectors"] > chunks  # each chunk has its own vector and its windows'
    from retrieval.index import chroma_client

    client = chroma_client(path=app_context.chroma_path, url=None)
    assert index["vectors"] == client.get_collection(index["collection"]).count()
    text = status().stdout
    assert f"{index['vectors']} vectors, {chunks} chunks" in text


def test_a_chroma_server_is_counted_and_its_outage_is_exit_1(
    status: Status, app_context: AppContext, tmp_path: Path
) -> None:
    with running_chroma_server(tmp_path / "chroma-server") as server:
        before = as_json(status("--json", AIMS_CHROMA_URL=server.url))["vector_index"]
        assert before["kind"] == "server" and before["location"] == server.url
        assert (before["reachable"], before["created"], before["vectors"]) == (True, False, 0)

        settings = app_context.settings.model_copy(update={"chroma_url": server.url})
        providers = dataclasses.replace(app_context.providers, embedder=lambda ctx: FakeEmbedder())
        ingesting = AppContext(app_context.config_path, settings, providers)
        ingesting.__dict__["db"] = app_context.db
        with ingesting.db.session() as session:
            ingest_policies(ingesting, session)
        index = as_json(status("--json", AIMS_CHROMA_URL=server.url))["vector_index"]
        assert index["reachable"] is True and index["chunks"] == index["database_chunks"] > 10
        assert index["vectors"] > index["chunks"]

        server.stop()
        started = time.monotonic()
        down = status(AIMS_CHROMA_URL=server.url)
        assert time.monotonic() - started < 30
    assert down.exit_code == 1
    assert "error: vector index unreachable: Chroma server:" in down.stderr
    assert f"check AIMS_CHROMA_URL ({server.url})" in down.stderr


# --- Slack and the gateway, from configuration alone -----------------------------------------


def test_slack_mode_comes_from_the_environment_and_no_token_is_shown(
    clean_env: None, org_dir: Path
) -> None:
    config = org_dir / "aims.yaml"

    def slack(**env: str) -> dict[str, Any]:
        result = invoke(config, "--json", AIMS_EMBEDDING_MODEL=FAKE_MODEL, **env)
        assert result.exit_code == 0, result.output
        for secret in (SLACK_BOT, SLACK_APP, SIGNING):
            assert secret not in result.output
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    assert slack()["slack"]["mode"] == "not configured"
    socket_mode = slack(SLACK_BOT_TOKEN=SLACK_BOT, SLACK_APP_TOKEN=SLACK_APP)
    assert socket_mode["slack"]["mode"] == "socket"
    http = slack(SLACK_BOT_TOKEN=SLACK_BOT, SLACK_SIGNING_SECRET=SIGNING, AIMS_PORT="3111")
    assert http["slack"] == {"mode": "http", "detail": "HTTP mode: /slack/events on port 3111"}
    broken = slack(SLACK_BOT_TOKEN=SLACK_BOT, SLACK_SIGNING_SECRET="short")
    assert broken["slack"]["mode"] == "misconfigured"
    assert [w["name"] for w in broken["warnings"]] == ["slack"]
    assert "SLACK_SIGNING_SECRET" in broken["slack"]["detail"]
    text = invoke(config, AIMS_EMBEDDING_MODEL=FAKE_MODEL, SLACK_BOT_TOKEN=SLACK_BOT)
    assert SLACK_BOT not in text.output and "misconfigured" in text.output


def test_the_gateway_is_on_when_aims_yaml_has_its_section(clean_env: None, org_dir: Path) -> None:
    config = org_dir / "aims.yaml"
    config.write_text(
        config.read_text()
        + "\ngateway:\n  port: 4123\n  upstreams:\n    - name: openai\n"
        + "      base_url: https://api.openai.com/v1\n      models: ['gpt-4o*']\n"
    )
    result = invoke(config, "--json", AIMS_EMBEDDING_MODEL=FAKE_MODEL)
    assert json.loads(result.stdout)["gateway"] == {
        "enabled": True,
        "address": "http://127.0.0.1:4123/v1",
        "upstreams": ["openai"],
    }
    text = invoke(config, AIMS_EMBEDDING_MODEL=FAKE_MODEL).stdout
    assert "on: http://127.0.0.1:4123/v1 → openai" in text


# --- what does not answer --------------------------------------------------------------------


def test_an_unreachable_postgres_is_exit_1_naming_it_in_the_real_command(org_dir: Path) -> None:
    url = f"postgresql+psycopg://aims:hunter2@127.0.0.1:{closed_port()}/aims"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIMS_", "SLACK_"))}
    env.update(AIMS_DATABASE_URL=url, AIMS_EMBEDDING_MODEL=FAKE_MODEL)
    started = time.monotonic()
    done = subprocess.run(
        [*AIMS, "--config", str(org_dir / "aims.yaml"), "status"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: database unreachable:" in done.stderr and "Connection refused" in done.stderr
    assert "check AIMS_DATABASE_URL (postgresql+psycopg://aims:***@127.0.0.1" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert elapsed < 60  # start-up and imports included; the probe itself is ~immediate


def test_an_unreachable_database_in_json_is_exit_1_with_the_problem(
    clean_env: None, org_dir: Path
) -> None:
    url = f"postgresql+psycopg://aims@127.0.0.1:{closed_port()}/aims"
    result = invoke(org_dir / "aims.yaml", "--json", AIMS_DATABASE_URL=url)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["database"]["reachable"] is False
    assert [problem["name"] for problem in document["problems"]] == ["database"]
    assert document["outbox"] is None and document["ledger"] is None
    assert "database unreachable" in result.stderr


def test_a_sqlite_file_under_a_missing_folder_is_exit_1(clean_env: None, org_dir: Path) -> None:
    missing = org_dir / "gone" / "aims.db"
    result = invoke(org_dir / "aims.yaml", AIMS_DATABASE_URL=f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert f"the folder {missing.parent} does not exist" in result.stderr
    assert "AIMS_DATABASE_URL" in result.stderr
    assert not missing.parent.exists()


def test_an_unreachable_chroma_server_is_exit_1_naming_it(
    status: Status, app_context: AppContext
) -> None:
    chroma = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = status(AIMS_CHROMA_URL=chroma)
    assert time.monotonic() - started < 30
    assert result.exit_code == 1
    assert "error: vector index unreachable: Chroma server:" in result.stderr
    assert f"check AIMS_CHROMA_URL ({chroma})" in result.stderr
    assert "revision" in result.stdout  # the database still answered
    document = json.loads(status("--json", AIMS_CHROMA_URL=chroma).stdout)
    assert document["vector_index"]["kind"] == "server"
    assert [problem["name"] for problem in document["problems"]] == ["vector_index"]


def test_an_unreadable_aims_yaml_is_exit_1(clean_env: None, tmp_path: Path) -> None:
    result = invoke(tmp_path / "nowhere" / "aims.yaml", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [problem["name"] for problem in document["problems"]] == ["config"]
    assert document["database"] is None and not (tmp_path / "nowhere").exists()


def test_a_database_behind_the_latest_revision_is_reported_not_migrated(
    clean_env: None, org_dir: Path, unmigrated_db: Database
) -> None:
    unmigrated_db.upgrade("0005")
    result = invoke(
        org_dir / "aims.yaml", "--json", AIMS_DATABASE_URL=unmigrated_db.url, **FAKE_ENV
    )
    document = as_json(result)
    assert document["database"]["revision"] == {"current": ["0005"], "head": heads()}
    assert [warning["name"] for warning in document["warnings"]] == ["migrations"]
    assert "aims db upgrade" in document["warnings"][0]["hint"]
    text = invoke(org_dir / "aims.yaml", AIMS_DATABASE_URL=unmigrated_db.url, **FAKE_ENV)
    assert f"revision 0005, latest {heads()[0]}" in text.stdout
    assert "warning: the database is at revision 0005" in text.stderr
    assert not unmigrated_db.is_current()  # status only looked
