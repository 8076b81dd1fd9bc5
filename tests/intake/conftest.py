"""Intake fixtures: an engine on the sample organisation (rules only unless a test says)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from governance.config import OrgConfig
from intake.engine import IntakeEngine
from intake.replies import Reply
from intake.state import IntakeState
from intake.summary_stage import Outcome

REQUESTER = "U0ACME0009"


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Router and flow build their own engine; keep them off the embedding model unless a test
    # opts in (tests/intake/test_similarity.py loads it once for the session).
    monkeypatch.setenv("AIMS_INTAKE_EMBEDDINGS", "0")
    yield


@pytest.fixture
def engine(sample_config: OrgConfig) -> IntakeEngine:
    return IntakeEngine(config=sample_config)


class Chat:
    """Drives one conversation and remembers the last replies."""

    def __init__(self, engine: IntakeEngine, now: datetime) -> None:
        self.engine, self.now = engine, now
        self.state = IntakeState(requester=REQUESTER)
        self.last: Outcome = Outcome()

    def start(self, description: str, *, confirm: bool = True) -> list[Reply]:
        """Start from a description; with `confirm`, say yes to the risk-raising facts it
        states (intake/confirm.py has its own tests), returning the opening replies."""
        self.last = self.engine.start(self.state, description, self.now)
        opening = self.last.replies
        if confirm and self.state.current == "confirm_facts":
            self.say("yes")
        return opening

    def say(self, text: str, choice: str | None = None) -> list[Reply]:
        self.last = self.engine.turn(self.state, text, choice, self.now)
        return self.last.replies

    def click(self, value: str) -> list[Reply]:
        return self.say(value, choice=value)

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last.replies)

    @property
    def asking(self) -> str | None:
        return self.state.current

    def answer_until_summary(self, answers: dict[str, str], limit: int = 30) -> None:
        for _ in range(limit):
            if self.state.current is None:
                return
            self.say(answers[self.state.current])
        raise AssertionError(f"never reached the summary; stuck at {self.state.current}")


@pytest.fixture
def chat(engine: IntakeEngine, now: datetime) -> Chat:
    return Chat(engine, now)


COPILOT = (
    "We want Microsoft 365 Copilot to draft replies to customer complaints. An adviser checks "
    "every reply before it is sent."
)
COPILOT_ANSWERS = {
    "confirm_facts": "yes",
    "business_unit": "Customer Operations",
    "owner": "me",
    "decisions_about_people": "no",
    "data_location": "UK",
    "contract_dpa": "yes",
    "provenance": "skip",
}
