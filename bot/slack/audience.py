"""Who a campaign's audience is, asked of Slack: a channel's members (conversations.members)
or a user group's (usergroups.users.list), every page; a name ("#all-staff", "@risk-team") is
looked up first. Bots and the app itself are not people to ask; aims.yaml people resolve in
the domain (governance.acknowledgements.campaigns.resolve_people)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.messenger import pacer_of
from governance.acknowledgements.models import Audience, AudienceKind
from governance.errors import NotFoundError, ValidationProblem

PAGE = 200
EVERYONE = ("everyone", "people", "all")


def _call(client: WebClient, method: str, params: dict[str, Any] | None = None) -> Any:
    """One Web API call, within the method's rate tier (a 5,000-person channel is 25 pages)."""
    pacer_of(client).wait(method, None)
    return client.api_call(method, params=params or {}).data


def _pages(client: WebClient, method: str, key: str, **args: Any) -> list[Any]:
    items: list[Any] = []
    cursor = ""
    while True:
        data = _call(client, method, {**args, "limit": PAGE, "cursor": cursor})
        assert isinstance(data, dict)
        items += data.get(key) or []
        cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return items


def _channel_id(client: WebClient, name: str) -> str:
    channels = _pages(
        client, "conversations.list", "channels", types="public_channel,private_channel"
    )
    for channel in channels:
        if channel.get("name") == name:
            return str(channel["id"])
    raise NotFoundError(f"no channel #{name} that the bot can see; invite the bot to it first")


def _usergroup_id(client: WebClient, handle: str) -> tuple[str, str]:
    data = _call(client, "usergroups.list")
    assert isinstance(data, dict)
    for group in data.get("usergroups") or []:
        if handle in (group.get("handle"), group.get("id")):
            return str(group["id"]), f"@{group.get('handle') or handle}"
    raise NotFoundError(f"no user group @{handle}; `usergroups.list` names the ones there are")


def _bot_user(client: WebClient) -> str:
    data = _call(client, "auth.test")
    return str(data.get("user_id") or "") if isinstance(data, dict) else ""


def channel_audience(client: WebClient, channel: str, label: str = "") -> Audience:
    members = _pages(client, "conversations.members", "members", channel=channel)
    bot = _bot_user(client)
    return Audience(
        kind=AudienceKind.CHANNEL,
        ref=channel,
        label=label or f"<#{channel}>",
        members=[m for m in members if m != bot],
    )


def usergroup_audience(client: WebClient, group: str, label: str = "") -> Audience:
    data = _call(client, "usergroups.users.list", {"usergroup": group})
    assert isinstance(data, dict)
    bot = _bot_user(client)
    users = [u for u in data.get("users") or [] if u != bot]
    return Audience(kind=AudienceKind.USERGROUP, ref=group, label=label or group, members=users)


def usergroups(client: WebClient) -> list[tuple[str, str]]:
    """(id, "@handle") of the workspace's user groups, for a form to offer; none when Slack
    will not list them (a missing usergroups:read scope, a free workspace)."""
    try:
        data = _call(client, "usergroups.list")
    except SlackApiError:
        return []
    groups = data.get("usergroups") or [] if isinstance(data, dict) else []
    return [(str(g["id"]), f"@{g.get('handle') or g.get('name') or g['id']}") for g in groups]


def channel_label(client: WebClient, channel: str) -> str:
    """ "#name" as the lead would say it (conversations.info), or "#" and the id."""
    try:
        data = _call(client, "conversations.info", {"channel": channel})
    except SlackApiError:
        data = None
    found = data.get("channel") if isinstance(data, dict) else None
    name = found.get("name") if isinstance(found, dict) else None
    return f"#{name or channel}"


def audience_of(client: WebClient, kind: AudienceKind, ref: str, label: str = "") -> Audience:
    """A channel's or a user group's members now (aims.yaml people resolve in the domain);
    Slack errors become messages that say what to do."""
    try:
        if kind is AudienceKind.CHANNEL:
            return channel_audience(client, ref, label or channel_label(client, ref))
        if kind is AudienceKind.USERGROUP:
            return usergroup_audience(client, ref, label)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        raise ValidationProblem(
            f"Slack could not list the members of {label or ref}: {error}; is the bot in it?"
        ) from None
    return Audience(kind=kind, ref=ref, label=label or "everyone")


def resolve_audience(client: WebClient | None, typed: str) -> Audience:
    """What a lead typed: "everyone" (aims.yaml people), "#name" or C… (a channel), "@handle"
    or S… (a user group). Slack errors become messages that say what to do."""
    text = typed.strip()
    if text.lower() in EVERYONE:
        return Audience(kind=AudienceKind.PEOPLE, label="everyone")
    if client is None:
        raise ValidationProblem(
            f"resolving {text!r} needs Slack (set SLACK_BOT_TOKEN); or use --audience everyone"
        )
    try:
        if text.startswith("#"):
            return channel_audience(client, _channel_id(client, text[1:]), text)
        if text[:1] in ("C", "G") and text[1:].isalnum() and text.isupper():
            return channel_audience(client, text)
        if text.startswith("@") or (text[:1] == "S" and text[1:].isalnum() and text.isupper()):
            group, label = _usergroup_id(client, text.lstrip("@"))
            return usergroup_audience(client, group, label)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown"
        raise ValidationProblem(f"Slack could not list {text!r}: {error}") from None
    raise ValidationProblem(
        f"audience {text!r}: give a channel (#all-staff), a user group (@risk-team) or everyone"
    )
