"""Opportunities for improvement, derived from the inputs: each line says what the figures show
and what the leads might change. Only what the figures support; nothing when all is well."""

from __future__ import annotations

from governance.management_review.models import ReviewInputs

LOW_COMPLETION = 80  # percent: an acknowledgement campaign or a course below this is named
SLOW_APPROVALS_DAYS = 10.0  # mean days from request to decision worth questioning
QUESTIONS_NAMED = 3


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _refs(refs: list[str], shown: int = 5) -> str:
    more = len(refs) - shown
    return ", ".join(refs[:shown]) + (f" and {more} more" if more > 0 else "")


def opportunities(inputs: ReviewInputs) -> list[str]:
    done = inputs.performance
    lines: list[str] = []
    asked = done.answers.most_asked_not_covered[:QUESTIONS_NAMED]
    if asked:
        named = "; ".join(f"“{c.label}” ({c.count}×)" for c in asked)
        lines.append(
            f"Questions the policies do not answer, most asked: {named}. Answer them in a policy "
            "or the FAQ."
        )
    if done.answers.unhelpful:
        lines.append(
            f"{_n(done.answers.unhelpful, 'answer was', 'answers were')} marked unhelpful: check "
            "the passages cited and clarify the policy text."
        )
    overdue = done.reviews.overdue_now
    if overdue:
        lines.append(
            f"{_n(len(overdue), 'periodic review is', 'periodic reviews are')} overdue "
            f"({_refs(overdue)}): chase the owners or revisit the review cadence."
        )
    if done.reviews.lapsed:
        lines.append(f"{_n(done.reviews.lapsed, 'review', 'reviews')} lapsed in the period.")
    previous = inputs.previous_actions
    if previous.overdue:
        late = [a.ref for a in previous.actions if a.status == "overdue"]
        lines.append(
            f"{_n(previous.overdue, 'action', 'actions')} from previous reviews overdue "
            f"({_refs(late)}): ask their owners what stands in the way."
        )
    for campaign in done.acknowledgements:
        if campaign.asked and campaign.percent < LOW_COMPLETION:
            lines.append(
                f"{campaign.ref} {campaign.document}: only {campaign.percent}% acknowledged "
                f"({campaign.acknowledged}/{campaign.asked})."
            )
    for course in done.training:
        if course.percent < LOW_COMPLETION:
            lines.append(
                f"Training “{course.course}”: {course.percent}% of those who need it have it "
                f"({course.trained}/{course.required})."
            )
    mean = done.approvals.mean_days
    if mean is not None and mean > SLOW_APPROVALS_DAYS:
        lines.append(
            f"Approvals took {mean} days on average from request to decision: look at the "
            "routing and the approvers' load."
        )
    if done.incidents.open_now:
        lines.append(
            f"{_n(done.incidents.open_now, 'incident is', 'incidents are')} still open: "
            "follow them up to closure."
        )
    if done.gateway is not None and done.gateway.without_valid_key:
        lines.append(
            f"{_n(done.gateway.without_valid_key, 'gateway request', 'gateway requests')} "
            "without a valid key (possible shadow AI): find who calls models outside an "
            "approved use."
        )
    if done.feedback.received:
        lines.append(
            f"{_n(done.feedback.received, 'piece', 'pieces')} of feedback from affected people: "
            "consider them in the records' next reviews."
        )
    return lines
