"""A finding's lifecycle: only listed transitions are possible (like the register's)."""

from __future__ import annotations

from governance.errors import TransitionError
from governance.findings.models import FindingStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.OPEN: frozenset({S.ACTIONS_PLANNED}),
    S.ACTIONS_PLANNED: frozenset({S.ACTIONS_DONE}),
    # Back to planned when an action is added after the others were done.
    S.ACTIONS_DONE: frozenset({S.VERIFIED, S.OPEN, S.ACTIONS_PLANNED}),
    S.VERIFIED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),  # reopened, with a reason
}

WHY_NOT: dict[S, str] = {
    S.ACTIONS_PLANNED: "plan at least one action, with an owner and a due date",
    S.ACTIONS_DONE: "every action must be done first",
    S.VERIFIED: "its actions must all be done before their effect can be verified",
    S.CLOSED: "verify that the actions worked (verification of effectiveness) before closing it",
    S.OPEN: "only a finding whose actions are done, verified or closed can be reopened",
}


def check_transition(ref: str, current: S, target: S) -> None:
    if target in TRANSITIONS[current]:
        return
    raise TransitionError(f"{ref} is {current.value.replace('_', ' ')}: {WHY_NOT[target]}")
