"""What the management review says: its inputs and minutes as transport-free lines (the thread's
first message in Slack, and the Markdown and HTML exports, are made from the same parts), and
the short notes posted in its thread when a decision, an action or the minutes are recorded."""

from __future__ import annotations

from collections.abc import Sequence

from governance.config import OrgConfig
from governance.management_review.models import ReviewDocument, ReviewInputs
from governance.notices import Line, Notice, Part, Style, Tone, bullets, fact
from governance.notices import person as person_line
from governance.reviews import fmt_day
from store.improvement_models import CorrectiveAction
from store.outbox_kinds import OutboxKind

LISTED = 10  # items a list shows in Slack before "…and N more (in the export)"
HOW_TO = (
    "Governance leads: record the review's decisions and actions by replying in this thread and "
    "mentioning me, e.g. “@aims decide: …” or “@aims action: @owner what to do by 2026-12-20” "
    "(or “in 14 days”). Actions become corrective actions, followed up until done."
)


def _capped(items: Sequence[str], cap: int | None) -> list[Line]:
    shown = list(items if cap is None else items[:cap])
    if cap is not None and len(items) > cap:
        shown.append(f"…and {len(items) - cap} more (in the export)")
    return bullets(shown)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in counts.items()) or "none"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g} days"


def input_parts(inputs: ReviewInputs, cap: int | None = LISTED) -> list[Part]:
    """The inputs in the order ISO/IEC 42001 9.3.2 lists them; `cap` shortens long lists."""
    return [
        _previous(inputs, cap),
        _changes(inputs, cap),
        _performance(inputs, cap),
        Part(
            heading="Opportunities for improvement",
            lines=_capped(inputs.opportunities, cap) or [Line(text="None stood out.")],
        ),
        Part(heading="Evidence", lines=[Line(text=evidence_text(inputs))]),
    ]


def evidence_text(inputs: ReviewInputs) -> str:
    if not inputs.events:
        return "No ledger events in the period."
    return (
        f"Ledger events #{inputs.first_seq} to #{inputs.last_seq} ({inputs.events} events); "
        f"standing figures as of {fmt_day(inputs.as_of)}."
    )


def _previous(inputs: ReviewInputs, cap: int | None) -> Part:
    previous = inputs.previous_actions
    if not previous.actions:
        return Part(heading="Actions from previous reviews", lines=[Line(text="None.")])
    lines = [
        fact("Status", f"{previous.done} done, {previous.open} open, {previous.overdue} overdue"),
        *_capped(
            [
                f"{a.ref} ({a.review}) {a.description}: {a.owner_name}, due {fmt_day(a.due_on)}, "
                f"{a.status}"
                for a in previous.actions
            ],
            cap,
        ),
    ]
    return Part(heading="Actions from previous reviews", lines=lines)


def _changes(inputs: ReviewInputs, cap: int | None) -> Part:
    changes = inputs.changes
    policies = [f"{p.source} ({p.change})" for p in changes.policies]
    lines = [
        fact("Policy documents", f"{len(policies)} added, changed or removed"),
        *_capped(policies, cap),
        fact(
            "New register records",
            f"{len(changes.new_records)} ({_counts(changes.new_records_by_tier)})",
        ),
        fact("Tool catalogue changes", ", ".join(changes.catalogue[:cap]) or "none"),
    ]
    return Part(heading="Changes in external and internal issues", lines=lines)


def _performance(inputs: ReviewInputs, cap: int | None) -> Part:
    done = inputs.performance
    approvals, reviews = done.approvals, done.reviews
    lines = [
        fact(
            "Approvals",
            f"{approvals.decided} decided ({_counts(approvals.outcomes)}); from request to "
            f"decision median {_days(approvals.median_days)}, mean {_days(approvals.mean_days)}; "
            f"{approvals.open_now} waiting now",
        ),
        fact(
            "Periodic reviews",
            f"{reviews.done} done ({reviews.on_time} on time, {reviews.late} late), "
            f"{reviews.lapsed} lapsed; {len(reviews.overdue_now)} overdue now",
        ),
        fact(
            "Incidents",
            f"{done.incidents.reported} reported, {done.incidents.closed} closed, "
            f"{done.incidents.follow_ups} follow-ups sent; {done.incidents.open_now} open now",
        ),
        fact(
            "Findings",
            f"{done.findings.raised} raised, {done.findings.closed} closed; "
            f"{done.findings.open_now} open now ({_counts(done.findings.open_by_kind)})",
        ),
    ]
    if done.gateway is not None:
        gateway = done.gateway
        lines.append(
            fact(
                "AI gateway",
                f"{gateway.decisions} requests: {gateway.refused} refused, {gateway.redacted} "
                f"redacted, {gateway.without_valid_key} without a valid key",
            )
        )
    campaigns = [
        f"{c.ref} {c.document}: {c.acknowledged}/{c.asked} ({c.percent}%)"
        for c in done.acknowledgements
    ]
    courses = [f"{t.course}: {t.trained}/{t.required} ({t.percent}%)" for t in done.training]
    lines += [
        fact("Policy acknowledgement campaigns", str(len(campaigns)) if campaigns else "none"),
        *_capped(campaigns, cap),
        fact("Training coverage", f"{len(courses)} required courses" if courses else "none"),
        *bullets(courses),
        fact(
            "Policy answers",
            f"{done.answers.given} given, {done.answers.not_covered} not covered by policy, "
            f"{done.answers.unhelpful} marked unhelpful",
        ),
        fact(
            "Feedback from affected people",
            f"{done.feedback.received} received"
            + (f" ({_counts(done.feedback.by_record)})" if done.feedback.by_record else ""),
        ),
    ]
    return Part(heading="Performance of the management system", lines=lines)


def minutes_parts(document: ReviewDocument) -> list[Part]:
    """The minutes so far: who attended, what was decided, which actions, by whom, when."""
    held = (
        f"Held on {fmt_day(document.held_on)}; attended by {', '.join(document.attendees)}"
        if document.held_on
        else "Not held yet"
    )
    decisions = [
        f"{d.text} ({document.decided_by.get(d.by, d.by)}, {fmt_day(d.at.date())})"
        for d in document.decisions
    ]
    actions = [
        f"{a.ref} {a.description}: {a.owner_name}, due {fmt_day(a.due_on)}, {a.status}"
        for a in document.actions
    ]
    return [
        Part(heading="Meeting", lines=[Line(text=held)]),
        Part(heading="Decisions", lines=bullets(decisions) or [Line(text="None recorded.")]),
        Part(heading="Actions", lines=bullets(actions) or [Line(text="None recorded.")]),
    ]


# --- notices in the thread -------------------------------------------------------------------


def inputs_notice(ref: str, title: str, inputs: ReviewInputs) -> Notice:
    return Notice(
        kind=OutboxKind.MANAGEMENT_REVIEW_INPUTS,
        subject=ref,
        tone=Tone.ASK,
        title=f"Management review {ref}: inputs for {title}",
        parts=[Part(lines=[Line(text=HOW_TO)]), *input_parts(inputs)],
        # Owners aims.yaml gives no name for are shown by id: mentioned, where Slack can.
        mentions=sorted(
            {a.owner for a in inputs.previous_actions.actions if a.owner_name == a.owner}
        ),
    )


def decision_notice(config: OrgConfig, ref: str, text: str, by: str) -> Notice:
    return Notice(
        kind=OutboxKind.MANAGEMENT_REVIEW_NOTE,
        subject=ref,
        title=f"Decision recorded for {ref}",
        parts=[
            Part(
                lines=[
                    Line(text=text, style=Style.QUOTE),
                    person_line("By", by, config.display_name(by)),
                ]
            )
        ],
    )


def action_notice(config: OrgConfig, ref: str, action: CorrectiveAction, by: str) -> Notice:
    return Notice(
        kind=OutboxKind.MANAGEMENT_REVIEW_NOTE,
        subject=ref,
        title=f"Action {action.ref} recorded for {ref}, due {fmt_day(action.due_on)}",
        parts=[
            Part(
                lines=[
                    Line(text=action.description, style=Style.QUOTE),
                    person_line("Owner", action.owner, config.display_name(action.owner)),
                    person_line("Recorded by", by, config.display_name(by)),
                    Line(text="Its owner is told and reminded before and after the due date."),
                ]
            )
        ],
    )


def minutes_notice(document: ReviewDocument) -> Notice:
    assert document.held_on is not None
    return Notice(
        kind=OutboxKind.MANAGEMENT_REVIEW_NOTE,
        subject=document.ref,
        title=f"Minutes of {document.ref} recorded: held on {fmt_day(document.held_on)}",
        parts=[
            Part(
                lines=[
                    fact("Attendees", ", ".join(document.attendees)),
                    fact("Decisions", str(len(document.decisions))),
                    fact("Actions", ", ".join(a.ref for a in document.actions) or "none"),
                    Line(
                        text=f"aims management-review export {document.ref} minutes.md",
                        style=Style.COMMAND,
                    ),
                ]
            )
        ],
    )
