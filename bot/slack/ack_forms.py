"""Policy acknowledgements in Block Kit: the campaign form (/aims ack) and reading it back, what
a click on a request's buttons is told, and the person's acknowledgements in App Home."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.slack.audience import usergroups
from bot.slack.blocks import (
    Block,
    SlackMessage,
    actions,
    button,
    divider,
    header,
    input_block,
    mrkdwn,
    option,
    plain,
    sections,
)
from bot.slack.errors import FormProblem
from bot.slack.ids import AckIds
from bot.slack.listeners import Work, trigger_of, unit_of_work
from bot.slack.payloads import (
    Event,
    MemberLeftChannel,
    SlashCommand,
    SubteamMembersChanged,
    ViewState,
)
from bot.slack.services import Services
from governance.acknowledgements import campaigns
from governance.acknowledgements.figures import campaign_figures
from governance.acknowledgements.models import (
    AckChoice,
    AckResult,
    AudienceKind,
    Outcome,
    PersonAck,
)
from governance.config import OrgConfig
from governance.errors import StaleActionError, ValidationProblem
from governance.reviews import fmt_day, local_today
from governance.text import esc
from store.models import utcnow

DUE_DAYS = 14
WHAT = campaigns.START
SHOWN = 10  # acknowledgements in App Home: the view stays well inside Slack's 100 blocks
ACKNOWLEDGE, ASK = "I have read it and will follow it", "I have a question"
BROKEN = (
    "This acknowledgement button could not be read, so nothing was recorded. Use the buttons "
    "in my latest message to you, or in App Home."
)
KINDS = (
    (AudienceKind.CHANNEL, "A channel's members"),
    (AudienceKind.USERGROUP, "A user group"),
    (AudienceKind.PEOPLE, "Everyone under people in aims.yaml"),
)
ICONS = {
    Outcome.ACKNOWLEDGED: ":white_check_mark:",
    Outcome.ALREADY: ":information_source:",
    Outcome.REFUSED: ":no_entry:",
}


class CampaignForm(BaseModel):
    """What a lead chose in the campaign form; the audience is resolved from it."""

    model_config = ConfigDict(frozen=True)

    policy: str
    kind: AudienceKind
    channel: str = ""
    group: str = ""
    group_label: str = ""

    @property
    def audience_ref(self) -> str:
        return self.channel if self.kind is AudienceKind.CHANNEL else self.group

    @property
    def audience_label(self) -> str:
        """The group's @handle for a group; a channel is named when it is resolved."""
        return self.group_label if self.kind is AudienceKind.USERGROUP else ""

    due_on: date
    summary: str = ""


def choice_of(raw: str | None) -> AckChoice:
    """What a request's button carries; anything else is refused before anything changes."""
    try:
        return AckChoice.model_validate_json(raw or "")
    except ValidationError:
        raise StaleActionError(BROKEN) from None


def today(config: OrgConfig) -> date:
    return local_today(config, utcnow())


def checked_form(state: ViewState, config: OrgConfig, user: str) -> CampaignForm:
    """What the form can be told at once, without waiting on Slack or the database: its own
    answers and whether a lead sent it (FormProblem / PermissionDenied); the rest is checked
    when the campaign starts, after the ack."""
    form = parse_campaign(state, today(config))
    config.require_lead(user, WHAT)
    return form


def sending_text(form: CampaignForm) -> str:
    return (
        f"Asking {esc(form.audience_label or 'everyone')} to acknowledge {esc(form.policy)}. "
        "I will send you a direct message with the campaign's reference and how many people "
        "were asked (or why nobody was)."
    )


def open_campaign_form(services: Services, command: SlashCommand) -> None:
    """`/aims ack`: a lead gets the form; anyone else is told only leads can."""
    with unit_of_work(services, command) as work:
        work.config.require_lead(work.user, WHAT)
        titles = [document.title for document in campaigns.policy_documents(work.session)]
    if not titles:
        raise ValidationProblem("No policy documents are ingested yet: run `aims ingest` first.")
    groups = usergroups(services.messenger.client)
    due = today(work.config) + timedelta(days=DUE_DAYS)
    services.messenger.open_view(trigger_of(command), campaign_modal(titles, groups, due), "ack")


def asked(work: Work[Any], ref: str, title: str) -> str:
    """What a lead is told once a campaign started: its ref, how many were asked, by when."""
    [figures] = campaign_figures(work.session, today(work.config), refs=[ref])
    return (
        f"*{ref}* asks {figures.asked} people to acknowledge {esc(title)}, "
        f"by {fmt_day(figures.due_on)}."
    )


def question_prompt(title: str) -> str:
    return f"Ask your question here, in this thread; I answer from {esc(title)}."


def _input(
    block: AckIds, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    return input_block(block.value, label, element, block.value, optional=optional)


def campaign_modal(titles: list[str], groups: list[tuple[str, str]], due: date) -> dict[str, Any]:
    """`groups`: (id, "@handle") of the workspace's user groups (none: no group choice)."""
    kinds = [option(kind.value, label) for kind, label in KINDS]
    blocks = [
        _input(
            AckIds.POLICY,
            "Policy document",
            {"type": "static_select", "options": [option(t, t) for t in titles[:100]]},
        ),
        _input(
            AckIds.AUDIENCE_KIND,
            "Who must acknowledge it?",
            {"type": "radio_buttons", "options": kinds, "initial_option": kinds[0]},
        ),
        _input(
            AckIds.CHANNEL,
            "The channel, for a channel's members",
            {"type": "conversations_select", "filter": {"include": ["public", "private"]}},
            optional=True,
        ),
    ]
    if groups:
        options = [option(group, label) for group, label in groups[:100]]
        element = {"type": "static_select", "options": options}
        blocks.append(_input(AckIds.USERGROUP, "The user group", element, optional=True))
    blocks += [
        _input(AckIds.DUE, "Acknowledge by", {"type": "datepicker", "initial_date": f"{due}"}),
        _input(
            AckIds.SUMMARY,
            "What changed, in a sentence or two",
            {"type": "plain_text_input", "multiline": True, "max_length": 2000},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": AckIds.START_MODAL.value,
        "title": plain("Policy acknowledgement", 24),
        "submit": plain("Send requests", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def parse_campaign(state: ViewState, today: date) -> CampaignForm:
    """The form's answers, or FormProblem with a message under each field that needs one."""

    def answer(block: AckIds) -> str:
        return state.answer(block, block)

    errors: dict[str, str] = {}
    kind = next((k for k, _ in KINDS if k.value == answer(AckIds.AUDIENCE_KIND)), None)
    if not answer(AckIds.POLICY):
        errors[AckIds.POLICY] = "Choose the policy people must acknowledge."
    if kind is None:
        errors[AckIds.AUDIENCE_KIND] = "Choose who must acknowledge it."
    elif kind is AudienceKind.CHANNEL and not answer(AckIds.CHANNEL):
        errors[AckIds.CHANNEL] = "Choose the channel whose members must acknowledge it."
    elif kind is AudienceKind.USERGROUP and not answer(AckIds.USERGROUP):
        if AckIds.USERGROUP in state.values:
            errors[AckIds.USERGROUP] = "Choose the user group whose members must acknowledge it."
        else:
            errors[AckIds.AUDIENCE_KIND] = "There is no user group I can see; choose another."
    try:
        due = date.fromisoformat(answer(AckIds.DUE))
        if due <= today:
            errors[AckIds.DUE] = "Pick a date after today, to give people time to read it."
    except ValueError:
        errors[AckIds.DUE] = "Pick the date by which people must acknowledge it."
    if errors or kind is None:
        raise FormProblem(errors)
    group = state.values.get(AckIds.USERGROUP, {}).get(AckIds.USERGROUP)
    chosen = group.selected_option if group else None
    return CampaignForm(
        policy=answer(AckIds.POLICY),
        kind=kind,
        channel=answer(AckIds.CHANNEL),
        group=answer(AckIds.USERGROUP),
        group_label=chosen.text.text if chosen else "",
        due_on=due,
        summary=answer(AckIds.SUMMARY),
    )


def departures(event: Event) -> list[tuple[AudienceKind, str, str, str]]:
    """(audience kind, channel or group id, person, why) for each person an event says left."""
    if isinstance(event, MemberLeftChannel):
        return [(AudienceKind.CHANNEL, event.channel, event.user, "left the channel")]
    if isinstance(event, SubteamMembersChanged):
        group, why = event.subteam_id, "left the user group"
        return [(AudienceKind.USERGROUP, group, person, why) for person in event.removed_users]
    return []


def request_buttons(choice: AckChoice) -> list[Block]:
    value = choice.model_dump_json()
    return actions(
        f"ack:{choice.campaign}",
        [
            button(ACKNOWLEDGE, AckIds.CONFIRM, value, "primary"),
            button(ASK, AckIds.QUESTION, value),
        ],
    )


def result_message(result: AckResult) -> SlackMessage:
    """What the clicker is told; a refused click on an old version offers the current one."""
    text = f"{ICONS[result.outcome]} {esc(result.message)}"
    blocks = sections(text)
    if result.current is not None:
        blocks += request_buttons(result.current)
    return SlackMessage(text=text, blocks=blocks, ephemeral=True)


def _ack_line(ack: PersonAck) -> str:
    name = f"*{esc(ack.document)}* ({ack.campaign}, version {ack.version})"
    if ack.status == "acknowledged" and ack.acknowledged_at is not None:
        earlier = ", for an earlier version: the policy has changed since" if ack.superseded else ""
        return f":white_check_mark: {name}: acknowledged on {fmt_day(ack.acknowledged_at)}{earlier}"
    if ack.choice is None:
        return f":hourglass: {name}: asked of an earlier version; the current one will follow"
    return f":memo: {name}: please acknowledge by {fmt_day(ack.due_on)}"


def home_blocks(acks: list[PersonAck]) -> list[Block]:
    """App Home's "Your acknowledgements": pending ones with their button, done ones dated."""
    shown = [ack for ack in acks if ack.status != "withdrawn"][:SHOWN]
    if not shown:
        return []
    blocks: list[Block] = [divider(), header("Your acknowledgements")]
    for ack in shown:
        block: Block = {"type": "section", "text": mrkdwn(_ack_line(ack))}
        if ack.choice is not None:
            value = ack.choice.model_dump_json()
            block["block_id"] = f"ack:{ack.campaign}"
            block["accessory"] = button(ACKNOWLEDGE, AckIds.CONFIRM, value, "primary")
        blocks.append(block)
    return blocks
