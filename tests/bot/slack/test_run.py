"""`aims run`: refuses bad tokens by name; in HTTP mode serves signed Slack requests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.context import AppContext, build_context
from bot.settings import Settings, SlackSettings
from bot.slack.app import create_app
from bot.slack.config import load_slack_config
from bot.slack.run import serve
from governance import outbox
from tests.support.slack_app import BOT_TOKEN, SIGNING_SECRET, SlackRig
from tests.support.slack_standin import SlackStandin

AIMS = [sys.executable, "-c", "from bot.cli import main; main()"]


def aims_env(org_dir: Path, **slack: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(AIMS_CONFIG=str(org_dir / "aims.yaml"), AIMS_DATA_DIR=str(org_dir / ".aims"))
    env.update({f"SLACK_{key.upper()}": value for key, value in slack.items()})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_missing_or_malformed_token_stops_start_up_naming_it(org_dir: Path) -> None:
    missing = subprocess.run(
        [*AIMS, "run"], env=aims_env(org_dir), capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 1
    assert (
        "SLACK_BOT_TOKEN is not set" in missing.stderr and "OAuth & Permissions" in missing.stderr
    )
    malformed = subprocess.run(
        [*AIMS, "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=aims_env(org_dir, bot_token=BOT_TOKEN, signing_secret="x"),
    )
    assert malformed.returncode == 1 and "SLACK_SIGNING_SECRET looks malformed" in malformed.stderr


def test_aims_run_serves_signed_requests_in_http_mode(
    org_dir: Path, slack_standin: SlackStandin
) -> None:
    port = free_port()
    env = aims_env(
        org_dir,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=slack_standin.api_url,
        response_hosts="127.0.0.1",
    )
    process = subprocess.Popen(
        [*AIMS, "run", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        rig = SlackRig(
            ctx=None,
            standin=slack_standin,
            app=None,
            services=None,  # type: ignore[arg-type]
            url=f"http://127.0.0.1:{port}/slack/events",
        )
        challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
        # Start-up loads the embedding model before it listens: seconds on a loaded machine.
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = rig.post(challenge, "application/json")
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "aims run died"
                time.sleep(0.2)
        assert answer.status == 200 and "c-123" in answer.body
        assert rig.post(challenge, "application/json", secret="0" * 32).status == 401
        ctx = build_context(org_dir / "aims.yaml", Settings(data_dir=org_dir / ".aims"))
        with ctx.db.session() as session:  # the outbox loop sends it within a couple of seconds
            outbox.enqueue(session, key="run-test", channel="C0GOV", text="Digest", kind="digest")
        assert slack_standin.wait_for("chat.postMessage", timeout=15)[0].args["text"] == "Digest"
        assert rig.send_command("/aims").status == 200
        help_reply = slack_standin.wait_for("response_url", timeout=30)[0]
        assert "Register a new AI use" in help_reply.text_of_blocks()
        assert slack_standin.calls_to("auth.test")  # it checked the token with "Slack"

        # The work after the ack runs in a worker process; one that dies is replaced, and the
        # next DM is answered by its successor (what the dead one held is lost with it).
        (worker,) = worker_pids(process.pid)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while worker_pids(process.pid) in ([], [worker]):
            assert time.monotonic() < deadline, "no worker replaced the one that died"
            time.sleep(0.2)
        (successor,) = worker_pids(process.pid)
        rig.send_message("help", user="U0RESTART1")
        reply = slack_standin.wait_for("chat.postMessage", 2, timeout=120)[-1]
        assert reply.args["channel"] == "D0RESTART1"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "AIMS Bot ready in" in output and "embedding model loaded" in output
    assert f"worker {worker} exited" in output
    # SIGTERM stops it cleanly (queued records committed, workers stopped), not with the signal.
    assert process.returncode == 0, output[-2000:]
    assert not Path(f"/proc/{successor}").exists() or "zombie" in _status(successor)


def _status(pid: int) -> str:
    return " ".join(_read(Path(f"/proc/{pid}/status"))).lower()


def _read(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:  # that thread, or that process, has just ended
        return []


def worker_pids(parent: int) -> list[int]:
    """The serving process's worker processes (not multiprocessing's resource tracker)."""
    children = [  # each thread's own children (a replacement is started by another thread)
        pid for task in Path(f"/proc/{parent}/task").iterdir() for pid in _read(task / "children")
    ]
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def test_socket_mode_connects_with_the_app_token_through_slack_api_url(
    app_context: AppContext, slack_standin: SlackStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    started: list[SocketModeHandler] = []
    monkeypatch.setattr(SocketModeHandler, "start", lambda self: started.append(self))
    config = load_slack_config(
        SlackSettings(
            bot_token=BOT_TOKEN, app_token="xapp-1-A0AIMS-42", api_url=slack_standin.api_url
        )
    )
    app, services = create_app(app_context, config)
    # Warm-up has its own tests (test_warm_up.py); this one is about the connection.
    serve(app_context, app, services, host="127.0.0.1", port=0, scheduler=False, warm=False)
    [handler] = started
    assert handler.app_token == "xapp-1-A0AIMS-42"
    handler.client.web_client.apps_connections_open(app_token=handler.app_token)
    [opened] = slack_standin.calls_to("apps.connections.open")
    assert slack_standin.violations == [] and opened.response["url"].startswith("ws://")
