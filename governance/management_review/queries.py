"""Finding a management review, its thread and who may act on it, and the review as shown and
exported (its inputs and the minutes so far). Reads only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from governance.errors import NotFoundError
from governance.findings.service import actions_of
from governance.management_review.models import (
    ActionEntry,
    Decision,
    ReviewDocument,
    ReviewInputs,
)
from governance.management_review.periods import Period, period_title
from store.improvement_models import Finding, ManagementReview


def review_channel(config: OrgConfig) -> str | None:
    return config.management_review.channel or config.governance_channel


def inputs_key(ref: str) -> str:
    """The outbox key of the review's first message: its thread."""
    return f"management_review:{ref}"


def get_review(session: Session, ref: str, *, lock: bool = False) -> ManagementReview:
    query = select(ManagementReview).where(ManagementReview.ref == ref.strip().upper())
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFoundError(f"no management review {ref!r}; they look like MR-2026-Q4")
    return found


def find_review(session: Session, period: Period) -> ManagementReview | None:
    return session.scalar(
        select(ManagementReview).where(
            ManagementReview.period_start == period[0], ManagementReview.period_end == period[1]
        )
    )


def free_ref(session: Session, ref: str) -> str:
    """The period's ref, or with -2, -3… when another period already has it."""
    taken = set(session.scalars(select(ManagementReview.ref).where(ManagementReview.ref >= ref)))
    candidate, number = ref, 1
    while candidate in taken:
        number += 1
        candidate = f"{ref}-{number}"
    return candidate


def review_document(
    session: Session, config: OrgConfig, review: ManagementReview
) -> ReviewDocument:
    """The review as shown and exported: its inputs, and the minutes so far."""
    decisions = [Decision.model_validate(item) for item in review.decisions]
    finding = session.get(Finding, review.finding_id) if review.finding_id else None
    actions = actions_of(session, finding) if finding is not None else []
    return ReviewDocument(
        ref=review.ref,
        title=period_title((review.period_start, review.period_end)),
        status=review.status,
        prepared_by=config.display_name(review.prepared_by),
        prepared_at=review.prepared_at,
        held_on=review.held_on,
        attendees=[config.display_name(person) for person in review.attendees],
        decisions=decisions,
        decided_by={d.by: config.display_name(d.by) for d in decisions},
        actions=[
            ActionEntry(
                ref=action.ref,
                description=action.description,
                owner=action.owner,
                owner_name=config.display_name(action.owner),
                due_on=action.due_on,
                status=action.status,
            )
            for action in actions
        ],
        finding=finding.ref if finding is not None else None,
        inputs=ReviewInputs.model_validate(review.inputs),
    )
