"""Warming up in the background (`aims chat`): a question asked meanwhile waits for the same
loads and is answered as usual, and afterwards the answerer has everything in memory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.context import build_context
from bot.settings import Settings
from retrieval.answer import PolicyAnswerer, get_answerer
from retrieval.runtime import ingest_policies
from retrieval.warm_up import warm_up_in_background
from store.db import sqlite_url
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow

TRAVEL = """# Travel Booking With AI

## 1. Payment

Chatbots that book travel must never store company card details between bookings.
"""


def test_a_question_asked_during_a_background_warm_up_is_answered(tmp_path: Path) -> None:
    shutil.copy2(SAMPLE / "aims.yaml", tmp_path / "aims.yaml")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "travel.md").write_text(TRAVEL, encoding="utf-8")
    settings = Settings(
        database_url=sqlite_url(tmp_path / "aims.db"), data_dir=tmp_path / ".aims", llm=None
    )
    context = build_context(tmp_path / "aims.yaml", settings)
    with context.db.session() as session:
        ingest_policies(context, session, paths=[tmp_path / "policies" / "travel.md"])
    answerer = get_answerer(context)
    assert isinstance(answerer, PolicyAnswerer) and not answerer.loaded

    thread = warm_up_in_background(context)
    with context.db.session() as session:
        answer = answerer.answer(
            "Can a travel chatbot keep my company card details?", actor="U1", session=session
        )
    thread.join(timeout=300)

    assert not thread.is_alive() and answerer.loaded
    assert answer.covered and answer.citations[0].document_title == "Travel Booking With AI"
    assert "never store company card details" in answer.text
