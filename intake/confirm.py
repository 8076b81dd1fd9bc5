"""Inferred facts that raise the risk, put to the requester before any is filed.

Rules (and a model, when configured) read facts out of a description. Those that would raise
the tier or add approvers wait in `state.pending` until the requester says yes to them, each
quoted with the words it came from; a no turns each into the ordinary question instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from governance.config import OrgConfig
from intake.facts import raises_risk
from intake.record import describe_value
from intake.slots import SLOTS_BY_NAME
from intake.state import IntakeState

# What a confirmed "yes" says about a field, as the requester reads it.
_CLAIMS = {
    "deployment": "Who uses it or sees its output",
    "data_categories": "Data that goes into it",
    "decisions_about_people": "Decisions about people",
    "decision_stakes": "How much those decisions matter",
    "affected_people": "People those decisions affect",
    "annex_iii_areas": "EU AI Act high-risk area",
    "article_5_practices": "EU AI Act PROHIBITED practice",
    "agent_write_access": "The agent can change things (write, send, pay, delete)",
}


def hold_or_set(state: IntakeState, name: str, value: Any, source: str, why: str) -> None:
    """File a non-raising inference with its quote; hold a raising one for the requester."""
    if raises_risk(name, value):
        state.pending[name] = value
        state.pending_why[name] = why
    else:
        state.set(name, value, source, why)


def question(state: IntakeState, config: OrgConfig) -> str:
    lines = [
        "Please check these before I record them: they raise the risk tier or add approvers, "
        "so I only file them once you confirm."
    ]
    for name, value in state.pending.items():
        label = _CLAIMS.get(name) or SLOTS_BY_NAME[name].label
        shown = "yes" if value is True else describe_value(name, value, config)
        why = state.pending_why.get(name, "")
        lines.append(f"• {label}: {shown}" + (f" — from {why}" if why else ""))
    lines.append("Is that right?")
    return "\n".join(lines)


def fingerprint(state: IntakeState) -> str:
    """Names the facts a confirmation showed, so an old button cannot confirm newer ones."""
    shown = json.dumps(state.pending, sort_keys=True, default=str)
    return hashlib.sha256(shown.encode()).hexdigest()[:10]


def accept(state: IntakeState) -> list[str]:
    """The requester said yes: every held fact is filed as confirmed, still quoting its words."""
    names = list(state.pending)
    for name in names:
        state.set(name, state.pending[name], "confirmed", state.pending_why.get(name, ""))
    _clear(state)
    return names


def decline(state: IntakeState) -> None:
    """The requester said no: each held fact is asked as its own question instead; a practice
    or area a rule matched stays on offer in that question."""
    for name, value in state.pending.items():
        if name == "article_5_practices":
            state.suggested_practices += [p for p in value if p not in state.suggested_practices]
        elif name == "annex_iii_areas":
            state.suggested_areas += [a for a in value if a not in state.suggested_areas]
    _clear(state)


def _clear(state: IntakeState) -> None:
    state.pending.clear()
    state.pending_why.clear()
