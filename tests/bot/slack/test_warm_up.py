"""`aims run` loads policy search before it serves (issue 14: the first answer after start-up
took 7-10 s), says so in its log, and still starts when policy search cannot be loaded."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.context import AppContext, build_context
from bot.router import Router
from bot.settings import Settings, SlackSettings
from bot.slack.app import create_app
from bot.slack.config import load_slack_config
from bot.slack.run import serve
from intake.replies import Inbound
from retrieval.answer import PolicyAnswerer, get_answerer
from retrieval.runtime import ingest_policies
from store.db import Database
from tests.support.slack_app import BOT_TOKEN
from tests.support.slack_standin import SlackStandin

pytestmark = pytest.mark.slow

NOTE_TAKERS = """# Meeting Note-takers

## 1. Prohibited note-takers

AI note-takers that join calls as a bot are prohibited on every Acme meeting, internal or
external, because they record every participant without consent.
"""


def _start_in_socket_mode(
    ctx: AppContext, standin: SlackStandin, monkeypatch: pytest.MonkeyPatch
) -> list[object]:
    """Run `serve` as `aims run` does, with Socket Mode's blocking connect replaced."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    started: list[object] = []
    monkeypatch.setattr(SocketModeHandler, "start", lambda self: started.append(self))
    config = load_slack_config(
        SlackSettings(bot_token=BOT_TOKEN, app_token="xapp-1-A0AIMS-42", api_url=standin.api_url)
    )
    app, services = create_app(ctx, config)
    serve(ctx, app, services, host="127.0.0.1", port=0, scheduler=False)
    return started


@pytest.fixture
def one_policy(app_context: AppContext) -> AppContext:
    """The sample organisation with one short policy ingested (ingesting all five takes long)."""
    policies = app_context.base_dir / "policies"
    for path in policies.glob("*.md"):
        path.unlink()
    (policies / "meeting-note-takers.md").write_text(NOTE_TAKERS, encoding="utf-8")
    with app_context.db.session() as session:
        ingest_policies(app_context, session, actor="test")
    return app_context


def test_start_up_loads_the_model_and_the_policy_indexes_before_serving(
    one_policy: AppContext,
    slack_standin: SlackStandin,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answerer = get_answerer(one_policy)
    assert isinstance(answerer, PolicyAnswerer) and not answerer.loaded
    with caplog.at_level(logging.WARNING, logger="bot.slack.run"):
        started = _start_in_socket_mode(one_policy, slack_standin, monkeypatch)
    assert started, "Socket Mode was never started"
    assert answerer.loaded and get_answerer(one_policy) is answerer
    assert getattr(one_policy.embedder, "loaded", False)
    [ready] = [r.getMessage() for r in caplog.records if "AIMS Bot ready in" in r.getMessage()]
    assert "1 policy passages and the embedding model loaded" in ready
    # The first question is answered from what start-up loaded, citing the policy.
    [reply] = Router(one_policy).ask(
        Inbound(user="U0ACME0003", thread="t1", text="Can an AI note-taker join my call?")
    )
    assert "prohibited" in reply.text
    assert [c.title for c in reply.citations] == ["Meeting Note-takers"]


def test_a_model_that_cannot_load_is_reported_and_the_bot_still_starts(
    org_dir: Path,
    db: Database,
    slack_standin: SlackStandin,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(database_url=db.url, embedding_model=str(org_dir / "no-such-model"))
    context = build_context(org_dir / "aims.yaml", settings)
    context.__dict__["db"] = db
    with caplog.at_level(logging.WARNING, logger="bot.slack.run"):
        started = _start_in_socket_mode(context, slack_standin, monkeypatch)
    assert started, "a broken embedding model stopped start-up"
    [ready] = [r.getMessage() for r in caplog.records if "AIMS Bot ready in" in r.getMessage()]
    assert "policy answers not warmed up (EmbeddingModelError" in ready
    assert "no-such-model" in ready
