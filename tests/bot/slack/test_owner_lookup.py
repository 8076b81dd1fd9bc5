"""An owner typed by name is found among the workspace's people (users.list), so the approval
waits for a person who can click; a team's name is asked again."""

from __future__ import annotations

from sqlalchemy import select

from store.models import AIUse
from tests.support.slack_app import SlackRig
from tests.support.slack_standin import Call

ME = "U0ACME0001"
DANA = "U0DANA0001"
TYPED = {
    "Which AI tool": "Microsoft Copilot",
    "Which team": "Finance",
    "Who will use it": "only my team",
    "What kinds of data": "internal",
}


def _member(user_id: str, real_name: str, **extra: object) -> dict[str, object]:
    return {
        "id": user_id,
        "name": real_name.split()[0].lower(),
        "real_name": real_name,
        "deleted": False,
        "is_bot": False,
        "profile": {"real_name": real_name, "display_name": ""},
        **extra,
    }


def _buttons(call: Call) -> list[str]:
    return [
        e["text"]["text"]
        for b in call.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


def test_an_owner_typed_by_name_is_found_in_the_workspace(slack_rig: SlackRig) -> None:
    slack_rig.standin.members = [
        _member(DANA, "Dana Whitfield"),
        _member("U0GONE0001", "Dana Whitfield", deleted=True),  # left: not a match
        _member("U0BOT00001", "Operations team", is_bot=True),
    ]
    event = slack_rig.send_message(
        "register We want Microsoft 365 Copilot to summarise our finance meeting notes", user=ME
    )
    refused_team, posts = False, 1
    for _ in range(30):
        slack_rig.standin.wait_for("chat.postMessage", posts, timeout=30)
        slack_rig.standin.settle(quiet=0.2)
        posts = len(slack_rig.standin.calls_to("chat.postMessage")) + 1
        post = slack_rig.standin.calls_to("chat.postMessage")[-1]
        asked = post.text_of_blocks()
        if "Filed AIU-" in asked:
            break
        if "accountable business owner" in asked and not refused_team:
            slack_rig.send_message("Operations team", user=ME, thread_ts=event["ts"])
            refused_team = True
        elif "accountable business owner" in asked:
            assert "must be one person" in asked  # the team was refused, not filed
            slack_rig.send_message("dana whitfield", user=ME, thread_ts=event["ts"])
        elif labels := _buttons(post):
            choice = "Confirm and submit" if "Confirm and submit" in labels else labels[0]
            slack_rig.click(post, label=choice, user=ME)
        else:
            reply = next((said for start, said in TYPED.items() if start in asked), "no")
            slack_rig.send_message(reply, user=ME, thread_ts=event["ts"])
    else:
        raise AssertionError("the registration never finished")
    with slack_rig.ctx.db.session() as session:
        record = session.scalars(select(AIUse)).one()
        assert record.owner == DANA
    assert slack_rig.standin.calls_to("users.list")
    assert slack_rig.standin.violations == []
