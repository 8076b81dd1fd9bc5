"""The notices of a campaign: the request (summary, key rules quoted with their section, the
full text, two buttons), reminders, escalations, and the leads' notice of a changed policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from governance.acknowledgements.models import AckChoice
from governance.config import OrgConfig
from governance.notices import ChoiceAction, Line, Notice, NoticeChoice, Part, Style, Tone, fact
from governance.reviews import fmt_day
from store.ack_models import AckCampaign
from store.outbox_kinds import OutboxKind


def version_of(campaign: AckCampaign) -> str:
    return campaign.version_sha256[:12]


def choice_for(campaign: AckCampaign, person: str) -> AckChoice:
    return AckChoice(campaign=campaign.ref, person=person, version=version_of(campaign))


def buttons(campaign: AckCampaign, person: str) -> list[NoticeChoice]:
    value = choice_for(campaign, person).model_dump_json()
    return [
        NoticeChoice(
            action=ChoiceAction.ACKNOWLEDGE,
            label="I have read it and will follow it",
            value=value,
            style="primary",
        ),
        NoticeChoice(action=ChoiceAction.ASK_ABOUT_POLICY, label="I have a question", value=value),
    ]


def full_text_line(campaign: AckCampaign) -> Line:
    if campaign.document_url:
        return fact("Full text", campaign.document_url)
    return fact("Full text", f"{campaign.document_title} (ask me about any part of it)")


def rule_lines(campaign: AckCampaign) -> list[Line]:
    lines = []
    for number, rule in enumerate(campaign.key_rules, start=1):
        lines.append(Line(text=f"[{number}] {rule['text']}", style=Style.QUOTE))
    lines += [
        Line(text=f"[{number}] {campaign.document_title} › {rule['section']}")
        for number, rule in enumerate(campaign.key_rules, start=1)
        if rule.get("section")
    ]
    return lines


def request_notice(campaign: AckCampaign, person: str) -> Notice:
    """The request everyone in the audience gets; identical words for each person, so the hash
    of what they were shown (AckRequest.shown_sha256) is the campaign's, person by person."""
    parts = []
    if campaign.summary:
        parts.append(Part(heading="What changed", lines=[Line(text=campaign.summary)]))
    parts.append(Part(heading="Key rules, quoted from the policy", lines=rule_lines(campaign)))
    parts.append(
        Part(
            lines=[
                full_text_line(campaign),
                fact("Version", version_of(campaign)),
                fact("Please acknowledge by", fmt_day(campaign.due_on), strong=True),
            ]
        )
    )
    return Notice(
        kind=OutboxKind.ACK_REQUEST,
        subject=campaign.ref,
        tone=Tone.ASK,
        title=f"Please read and acknowledge: {campaign.document_title}",
        parts=parts,
        choices=buttons(campaign, person),
    )


def done_notice(campaign: AckCampaign, when: date) -> Notice:
    """The request once acknowledged: the same words, the buttons replaced by the date."""
    return Notice(
        kind=OutboxKind.ACK_DONE,
        subject=campaign.ref,
        tone=Tone.APPROVED,
        title=f"You acknowledged {campaign.document_title} on {fmt_day(when)}. Thank you.",
        parts=[Part(lines=[full_text_line(campaign), fact("Version", version_of(campaign))])],
    )


def reminder_notice(campaign: AckCampaign, person: str, number: int, days: int) -> Notice:
    overdue = "" if days <= 0 else f" It was sent {days} days ago."
    return Notice(
        kind=OutboxKind.ACK_REMINDER,
        subject=campaign.ref,
        tone=Tone.REMINDER,
        title=f"Reminder {number}: please acknowledge {campaign.document_title}",
        parts=[
            Part(
                lines=[
                    Line(text=f"You have not acknowledged this policy yet.{overdue}"),
                    fact("Please acknowledge by", fmt_day(campaign.due_on), strong=True),
                    full_text_line(campaign),
                ]
            ),
            Part(heading="Key rules, quoted from the policy", lines=rule_lines(campaign)),
        ],
        choices=buttons(campaign, person),
    )


def escalation_notice(
    config: OrgConfig, campaign: AckCampaign, people: Sequence[str], *, as_manager: bool
) -> Notice:
    who = "people who report to you have" if as_manager else "people have"
    return Notice(
        kind=OutboxKind.ACK_ESCALATION,
        subject=campaign.ref,
        tone=Tone.ESCALATION,
        title=(
            f"{len(people)} {who} not acknowledged {campaign.document_title} "
            f"({campaign.ref}, due {fmt_day(campaign.due_on)})"
        ),
        parts=[
            Part(
                lines=[
                    Line(text=config.display_name(p), person=p, style=Style.BULLET) for p in people
                ]
            ),
            Part(lines=[Line(text="They have been reminded; please follow up with them.")]),
        ],
    )


def policy_changed_notice(campaigns: Sequence[AckCampaign], title: str, new_version: str) -> Notice:
    """`campaigns`: the open campaigns of one document, at least one."""
    return Notice(
        kind=OutboxKind.ACK_POLICY_CHANGED,
        subject=campaigns[0].ref,
        tone=Tone.NEWS,
        title=(
            f"{title} changed (now version {new_version[:12]}); open campaigns ask for the old one"
        ),
        parts=[
            Part(
                lines=[
                    Line(
                        text=f"{c.ref}: {c.audience_label or c.audience_kind}, version "
                        f"{version_of(c)}, due {fmt_day(c.due_on)}",
                        style=Style.BULLET,
                    )
                    for c in campaigns
                ]
            ),
            Part(
                lines=[
                    Line(
                        text="Acknowledgements given stay on record for the old version; "
                        "nobody can acknowledge it any more. Ask the same audience for the "
                        "new version:"
                    )
                ]
            ),
        ],
        choices=[
            NoticeChoice(
                action=ChoiceAction.RESTART_CAMPAIGN,
                label=f"Ask {c.audience_label or c.audience_kind} for the new version",
                value=c.ref,
                style="primary",
            )
            for c in campaigns
        ][:5],
    )


def question_notice(config: OrgConfig, campaign: AckCampaign, person: str, question: str) -> Notice:
    return Notice(
        kind=OutboxKind.ACK_QUESTION,
        subject=campaign.ref,
        tone=Tone.ASK,
        title=f"A question about {campaign.document_title} that the policy does not answer",
        parts=[
            Part(
                lines=[
                    Line(label="Asked by", text=config.display_name(person), person=person),
                    Line(text=question, style=Style.QUOTE),
                    Line(text=f"From campaign {campaign.ref}. Please reply to them directly."),
                ]
            )
        ],
    )
