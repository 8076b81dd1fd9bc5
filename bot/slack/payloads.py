"""Every inbound Slack shape as a typed model, parsed once at the edge.

A payload that does not parse never reaches a listener: the edge answers it 400 (or acks an
event it cannot act on) and records it as malformed evidence. Listeners get these models, so a
missing key is caught here, before the ack, and never raises a KeyError after it.

Models allow extra fields (Slack adds new ones all the time) but require every field we read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

Id = Annotated[str, Field(min_length=1, max_length=255)]
Text = Annotated[str, Field(max_length=40_000)]


class MalformedPayload(ValueError):
    """The body is not a Slack payload we can act on; `reason` says why, without its contents."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Ident(Lenient):
    id: Id


class OptionText(Lenient):
    text: Text = ""


class Option(Lenient):
    value: Text
    text: OptionText = OptionText()


class Action(Lenient):
    action_id: Id
    block_id: str = ""
    type: str = "button"
    value: Text | None = None
    selected_option: Option | None = None

    @property
    def chosen(self) -> str | None:
        return self.value or (self.selected_option.value if self.selected_option else None)


class Container(Lenient):
    type: str = "message"
    message_ts: str | None = None
    channel_id: str | None = None
    view_id: str | None = None
    is_ephemeral: bool = False


class Message(Lenient):
    ts: str | None = None
    text: Text | None = None
    blocks: list[dict[str, Any]] = []


class InputValue(Lenient):
    """One input element's state in a submitted form, whatever its element type."""

    type: str | None = None
    value: Text | None = None
    selected_option: Option | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_conversation: str | None = None

    @property
    def answer(self) -> str:
        chosen = self.selected_option.value if self.selected_option else None
        picked = chosen or self.selected_date or self.selected_time or self.selected_conversation
        return str(picked or self.value or "").strip()


class ViewState(Lenient):
    values: dict[str, dict[str, InputValue]] = {}

    def answer(self, block_id: str, action_id: str) -> str:
        """The answer in one input block ("" when absent or left empty)."""
        state = self.values.get(block_id, {}).get(action_id)
        return state.answer if state else ""

    def plain(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The values as plain dicts, for form parsers that take Slack's own shape."""
        return {
            block: {action: state.model_dump(exclude_none=True) for action, state in inputs.items()}
            for block, inputs in self.values.items()
        }


class View(Lenient):
    id: Id
    type: Id
    callback_id: str = ""
    hash: str | None = None
    private_metadata: Text = ""
    blocks: list[dict[str, Any]] = []


class SubmittedView(View):
    state: ViewState


class ResponseUrl(Lenient):
    response_url: str


class Interaction(Lenient):
    """What every interactive payload has: who acted, in which workspace, on which trigger."""

    user: Ident
    team: Ident | None = None
    trigger_id: str | None = None

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def workspace(self) -> str:
        return self.team.id if self.team else "local"


class BlockActions(Interaction):
    type: Literal["block_actions"]
    actions: list[Action] = Field(min_length=1)
    container: Container | None = None
    channel: Ident | None = None
    message: Message | None = None
    view: View | None = None
    response_url: str | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]

    @property
    def channel_id(self) -> str | None:
        if self.container and self.container.channel_id:
            return self.container.channel_id
        return self.channel.id if self.channel else None


class ViewSubmission(Interaction):
    type: Literal["view_submission"]
    view: SubmittedView
    response_urls: list[ResponseUrl] = []


class ViewClosed(Interaction):
    type: Literal["view_closed"]
    view: View


class BlockSuggestion(Interaction):
    type: Literal["block_suggestion"]
    action_id: Id
    block_id: str = ""
    value: Text = ""


class SlashCommand(Lenient):
    command: Annotated[str, Field(pattern=r"^/[a-z0-9_-]{1,31}$")]
    user_id: Id
    text: Text = ""
    channel_id: str | None = None
    team_id: str | None = None
    trigger_id: Id
    response_url: Id

    @property
    def workspace(self) -> str:
        return self.team_id or "local"


class MessageEvent(Lenient):
    """A message (a DM, or any channel message the app can see) or an @mention."""

    type: Literal["message", "app_mention"]
    channel: Id
    ts: Id
    user: str | None = None
    text: Text | None = None
    subtype: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None
    thread_ts: str | None = None


class AppHomeOpened(Lenient):
    type: Literal["app_home_opened"]
    user: Id
    tab: str = "home"
    channel: str | None = None


class MemberLeftChannel(Lenient):
    """Someone left (or was removed from) a channel the bot is in."""

    type: Literal["member_left_channel"]
    user: Id
    channel: Id


class SubteamMembersChanged(Lenient):
    """A user group's members changed; Slack sends the counts as strings."""

    type: Literal["subteam_members_changed"]
    subteam_id: Id
    added_users: list[Id] = []
    removed_users: list[Id] = []


class OtherEvent(Lenient):
    """An event type the app does not act on: acknowledged, recorded, nothing else."""

    type: Id


_EVENT_TAGS = {
    "message": "message",
    "app_mention": "message",
    "app_home_opened": "home",
    "member_left_channel": "left",
    "subteam_members_changed": "subteam",
}


def _event_tag(raw: Any) -> str:
    kind = raw.get("type") if isinstance(raw, Mapping) else getattr(raw, "type", None)
    return _EVENT_TAGS.get(kind, "other") if isinstance(kind, str) else "other"


Event = Annotated[
    Annotated[MessageEvent, Tag("message")]
    | Annotated[AppHomeOpened, Tag("home")]
    | Annotated[MemberLeftChannel, Tag("left")]
    | Annotated[SubteamMembersChanged, Tag("subteam")]
    | Annotated[OtherEvent, Tag("other")],
    Discriminator(_event_tag),
]


class EventCallback(Lenient):
    type: Literal["event_callback"]
    event_id: Id
    event: Event
    team_id: str | None = None
    api_app_id: str | None = None

    @property
    def workspace(self) -> str:
        return self.team_id or "local"


class UrlVerification(Lenient):
    type: Literal["url_verification"]
    challenge: Id


class AppRateLimited(Lenient):
    type: Literal["app_rate_limited"]


SlackPayload = (
    EventCallback
    | UrlVerification
    | AppRateLimited
    | BlockActions
    | ViewSubmission
    | ViewClosed
    | BlockSuggestion
    | SlashCommand
)
_BY_TYPE: dict[str, type[Lenient]] = {
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
    "app_rate_limited": AppRateLimited,
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "view_closed": ViewClosed,
    "block_suggestion": BlockSuggestion,
}


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"[:200]


# NUL and lone surrogates are not text: Slack never sends them, databases refuse them.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _has_non_text(value: Any) -> bool:
    if isinstance(value, str):
        return _NOT_TEXT.search(value) is not None
    if isinstance(value, Mapping):
        return any(_has_non_text(k) or _has_non_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_text(item) for item in value)
    return False


def parse_payload(body: Any) -> SlackPayload:
    """The typed payload, or MalformedPayload naming the first problem (never the content)."""
    if not isinstance(body, Mapping):
        raise MalformedPayload(f"the body is a {type(body).__name__}, not an object")
    if _has_non_text(body):
        raise MalformedPayload("the body contains NUL or unpaired surrogate characters")
    model: type[Lenient]
    if "command" in body:
        model = SlashCommand
    else:
        kind = body.get("type")
        if not isinstance(kind, str) or kind not in _BY_TYPE:
            shown = kind if isinstance(kind, str) else type(kind).__name__
            raise MalformedPayload(f"unsupported payload type {str(shown)[:40]!r}")
        model = _BY_TYPE[kind]
    try:
        parsed = model.model_validate(dict(body))
    except ValidationError as error:
        raise MalformedPayload(_first_problem(error)) from None
    assert isinstance(parsed, SlackPayload)
    return parsed
