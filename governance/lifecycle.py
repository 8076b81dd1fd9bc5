"""The register lifecycle: only listed transitions are possible."""

from __future__ import annotations

from governance.errors import TransitionError
from governance.models import RecordStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.RETIRED}),
    S.SUBMITTED: frozenset({S.IN_REVIEW, S.DRAFT, S.RETIRED}),
    S.IN_REVIEW: frozenset(
        {S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.CHANGES_REQUESTED, S.REJECTED}
    ),
    S.CHANGES_REQUESTED: frozenset({S.SUBMITTED, S.RETIRED}),
    S.REJECTED: frozenset({S.RETIRED}),
    S.APPROVED: frozenset({S.LIVE, S.SUBMITTED, S.RETIRED}),
    S.APPROVED_WITH_CONDITIONS: frozenset({S.LIVE, S.SUBMITTED, S.RETIRED}),
    # A review that finds a material change, or a changed record, goes back through approval.
    S.LIVE: frozenset({S.SUBMITTED, S.SUSPENDED, S.RETIRED}),
    S.SUSPENDED: frozenset({S.LIVE, S.SUBMITTED, S.RETIRED}),
    S.RETIRED: frozenset(),
}


def allowed_from(status: S) -> list[S]:
    return sorted(TRANSITIONS[status], key=list(S).index)


def check_transition(current: S, target: S) -> None:
    if target in TRANSITIONS[current]:
        return
    options = allowed_from(current)
    possible = ", ".join(options) if options else "none (retired is final)"
    raise TransitionError(
        f"cannot move a record from {current} to {target}; possible from {current}: {possible}"
    )
