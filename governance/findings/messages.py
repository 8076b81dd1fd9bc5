"""The notices of the improvement loop: a finding raised, an action given to its owner, the
nudges before and after an action's due date, and the escalation to the leads."""

from __future__ import annotations

from datetime import date

from governance.config import OrgConfig
from governance.notices import ChoiceAction, Line, Notice, NoticeChoice, Part, Style, Tone, fact
from governance.notices import person as person_line
from governance.reviews import fmt_day
from store.improvement_models import CorrectiveAction, Finding
from store.outbox_kinds import OutboxKind


def _finding_lines(config: OrgConfig, finding: Finding) -> list[Line]:
    lines = [
        fact("Kind", finding.kind.replace("_", " ")),
        fact("Severity", finding.severity, strong=True),
        person_line("Owner", finding.owner, config.display_name(finding.owner)),
        fact("From", f"{finding.source.replace('_', ' ')} {finding.source_ref}".strip()),
    ]
    if finding.records:
        lines.append(fact("Records", ", ".join(finding.records)))
    if finding.controls:
        lines.append(fact("Annex A controls", ", ".join(finding.controls)))
    if finding.description:
        lines.append(Line(text=finding.description, style=Style.QUOTE))
    return lines


def raised_notice(config: OrgConfig, finding: Finding) -> Notice:
    return Notice(
        kind=OutboxKind.FINDING_RAISED,
        subject=finding.ref,
        tone=Tone.ASK,
        title=f"Finding {finding.ref}: {finding.title}",
        parts=[
            Part(lines=_finding_lines(config, finding)),
            Part(
                lines=[
                    Line(
                        text="As its owner, find the root cause and plan the corrective "
                        "actions, each with an owner and a due date."
                    )
                ]
            ),
        ],
    )


def _complete(action: CorrectiveAction) -> list[NoticeChoice]:
    return [
        NoticeChoice(
            action=ChoiceAction.COMPLETE_ACTION,
            label="Mark it done",
            value=action.ref,
            style="primary",
        )
    ]


def action_notice(config: OrgConfig, finding: Finding, action: CorrectiveAction) -> Notice:
    return Notice(
        kind=OutboxKind.FINDING_ACTION,
        subject=action.ref,
        tone=Tone.ASK,
        title=(
            f"Corrective action {action.ref} for {finding.ref} is yours, "
            f"due {fmt_day(action.due_on)}"
        ),
        parts=[
            Part(
                lines=[
                    Line(text=action.description, style=Style.QUOTE),
                    fact("Finding", f"{finding.ref}: {finding.title}"),
                    person_line("Finding owner", finding.owner, config.display_name(finding.owner)),
                ]
            )
        ],
        choices=_complete(action),
    )


def nudge_notice(finding: Finding, action: CorrectiveAction, today: date) -> Notice:
    days = (action.due_on - today).days
    when = (
        f"due in {days} days ({fmt_day(action.due_on)})"
        if days > 0
        else f"was due on {fmt_day(action.due_on)}, {-days} days ago"
        if days < 0
        else "due today"
    )
    return Notice(
        kind=OutboxKind.FINDING_NUDGE,
        subject=action.ref,
        tone=Tone.REMINDER,
        title=f"Corrective action {action.ref} {when}",
        parts=[
            Part(
                lines=[
                    Line(text=action.description, style=Style.QUOTE),
                    fact("Finding", f"{finding.ref}: {finding.title}"),
                ]
            )
        ],
        choices=_complete(action),
    )


def escalation_notice(
    config: OrgConfig, finding: Finding, action: CorrectiveAction, today: date
) -> Notice:
    return Notice(
        kind=OutboxKind.FINDING_ESCALATION,
        subject=action.ref,
        tone=Tone.ESCALATION,
        title=(
            f"Corrective action {action.ref} for {finding.ref} is "
            f"{(today - action.due_on).days} days overdue"
        ),
        parts=[
            Part(
                lines=[
                    Line(text=action.description, style=Style.QUOTE),
                    person_line("Action owner", action.owner, config.display_name(action.owner)),
                    fact("Finding", f"{finding.ref}: {finding.title} ({finding.severity})"),
                    Line(text="Its owner was reminded before and after the due date."),
                ]
            )
        ],
    )


def done_notice(config: OrgConfig, finding: Finding, action: CorrectiveAction) -> Notice:
    """An action's notice (and its nudges) once it is done: the button gives way to who did it."""
    lines = [Line(text=action.description, style=Style.QUOTE)]
    if action.done_by:
        lines.append(person_line("Done by", action.done_by, config.display_name(action.done_by)))
    if action.done_note:
        lines.append(fact("Note", action.done_note))
    lines.append(fact("Finding", f"{finding.ref}: {finding.title}"))
    when = f" on {fmt_day(action.done_at.date())}" if action.done_at else ""
    return Notice(
        kind=OutboxKind.FINDING_STATUS,
        subject=action.ref,
        tone=Tone.APPROVED,
        title=f"Corrective action {action.ref} for {finding.ref} is done{when}",
        parts=[Part(lines=lines)],
    )


def status_notice(config: OrgConfig, finding: Finding, what: str, by: str) -> Notice:
    """A finding moved on (verified, closed, reopened): its owner is told."""
    return Notice(
        kind=OutboxKind.FINDING_STATUS,
        subject=finding.ref,
        title=f"Finding {finding.ref} {what}: {finding.title}",
        parts=[Part(lines=[person_line("By", by, config.display_name(by))])],
    )
