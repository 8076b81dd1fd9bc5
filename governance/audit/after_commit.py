"""File work that must follow the database, not precede it: a digest is appended to the log
outside the database only once its event is committed, and a new signing key is moved into
place only once the ledger records it. Services never commit; they leave the work here and the
caller's commit (or rollback) settles it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "aims_after_commit"
Action = Callable[[], None]


def after_commit(session: Session, action: Action, *, on_rollback: Action | None = None) -> None:
    """Run `action` once the session's transaction commits (`on_rollback` if it rolls back)."""
    session.info.setdefault(_PENDING, []).append((action, on_rollback))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    _settle(session.info.pop(_PENDING, []), committed=True)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    _settle(session.info.pop(_PENDING, []), committed=False)


def _settle(pending: list[tuple[Action, Action | None]], *, committed: bool) -> None:
    """Every action runs, in order; the first failure is raised after the rest have run (the
    database has committed by then: the caller must hear that the file work failed)."""
    failure: BaseException | None = None
    for action, undo in pending:
        chosen: Any = action if committed else undo
        if chosen is None:
            continue
        try:
            chosen()
        except Exception as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
