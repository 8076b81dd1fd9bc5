"""Logs an operator can ship: with AIMS_LOG_FORMAT=json every stderr line of a real `aims`
command is one JSON object; fields bound to a request follow its work into a thread pool; and
no secret is written, in either format."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.context import AppContext
from bot.logs import (
    ContextThreadPoolExecutor,
    JsonFormatter,
    PlainFormatter,
    SecretMaskingFilter,
    bind_request,
    copy_into_thread,
    current_fields,
    mask_secrets,
)
from intake.replies import Inbound, Reply
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import BOT_TOKEN, SIGNING_SECRET, start_slack_rig

REPO = Path(__file__).resolve().parents[2]
AIMS = [sys.executable, "-c", "from bot.cli import main; main()"]

SECRETS = {
    "bot token": "xoxb-1111-2222-abcdefghijklmnop",
    "user token": "xoxp-1111-2222-3333-abcdef",
    "refresh token": "xoxe-1-abcdefghijklmnopqrstuvwxyz",
    "app token": "xapp-1-A0AIMS-42-abcdef0123",
    "provider key": "sk-proj-abcdefghijklmnopqrstuvwx",
    "gateway key": "aims_sk_Zq9xW3secretpartofthekey_abc",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.payload.signature",
    "basic": "dXNlcjpwYXNzd29yZA==",
}


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIMS_", "SLACK_"))}
    env.update(extra)
    return env


# --- a real command ----------------------------------------------------------------------------


def test_every_stderr_line_of_a_real_command_is_one_json_object(org_dir: Path) -> None:
    """`aims -v register list` on a new database logs its migration (alembic, INFO)."""
    done = subprocess.run(
        [*AIMS, "-v", "register", "list"],
        env=_environment(
            AIMS_CONFIG=str(org_dir / "aims.yaml"),
            AIMS_DATA_DIR=str(org_dir / ".aims"),
            AIMS_LOG_FORMAT="json",
        ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "The register is empty" in done.stdout  # what the command prints is not a log line
    lines = done.stderr.splitlines()
    assert len(lines) >= 3
    records = [json.loads(line) for line in lines]  # every line, or this raises
    for record in records:
        assert {"ts", "level", "logger", "message"} <= set(record)
        assert record["ts"].endswith("Z")
        assert datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).utcoffset() is not None
    assert any(r["logger"].startswith("alembic") and r["level"] == "INFO" for r in records), records


def test_plain_lines_stay_the_default(org_dir: Path) -> None:
    done = subprocess.run(
        [*AIMS, "-v", "register", "list"],
        env=_environment(
            AIMS_CONFIG=str(org_dir / "aims.yaml"), AIMS_DATA_DIR=str(org_dir / ".aims")
        ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "INFO alembic.runtime.migration: " in done.stderr
    assert not done.stderr.lstrip().startswith("{")


CONFIGURED = """
import logging, warnings
from concurrent.futures import ThreadPoolExecutor
from bot.logs import bind_request, configure_logging, copy_into_thread
configure_logging(False, FORMAT)
configure_logging(False, FORMAT)  # twice: still one handler, one line per record
log = logging.getLogger("aims.test")
log.warning("token %s in an argument", "xoxb-1111-2222-abcdefghijklmnop")
with bind_request(slack_event_id="Ev0TEST", request_ref="ref0001"):
    with ThreadPoolExecutor(1) as pool:
        pool.submit(copy_into_thread(log.warning), "from the pool").result()
    try:
        raise RuntimeError("upstream said Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.p.s")
    except RuntimeError:
        log.exception("call failed")
warnings.warn("a library warning")
log.info("not shown below WARNING")
"""


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_configure_logging_in_a_fresh_process(fmt: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CONFIGURED.replace("FORMAT", repr(fmt))],
        env=_environment(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "xoxb-1111" not in done.stderr and "eyJhbGciOiJIUzI1NiJ9" not in done.stderr
    assert "not shown" not in done.stderr
    if fmt == "plain":
        assert "WARNING aims.test: token [redacted] in an argument\n" in done.stderr
        assert (
            "WARNING aims.test: from the pool [slack_event_id=Ev0TEST request_ref=ref0001]"
            in done.stderr
        )
        return
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert [r["message"] for r in records][:3] == [
        "token [redacted] in an argument",
        "from the pool",
        "call failed",
    ]
    assert records[0].keys() == {"ts", "level", "logger", "message"}
    assert records[1]["slack_event_id"] == "Ev0TEST" and records[1]["request_ref"] == "ref0001"
    failed = records[2]
    assert failed["level"] == "ERROR" and failed["request_ref"] == "ref0001"
    assert failed["exc_info"].startswith("Traceback (most recent call last)")
    assert "Authorization: Bearer [redacted]" in failed["exc_info"]
    assert records[3]["logger"] == "py.warnings" and "a library warning" in records[3]["message"]
    assert len(records) == 4


# --- fields bound to a request ---------------------------------------------------------------


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """A logger writing JSON through the mask into a buffer; returns the records so far."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretMaskingFilter())
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.propagate = True


log = logging.getLogger("tests.json_logs")


def test_bound_fields_are_on_every_line_inside_and_gone_after(lines: Any) -> None:
    log.info("before")
    with bind_request(slack_event_id="Ev01", request_ref="a1b2c3d4") as bound:
        assert bound == current_fields() == {"slack_event_id": "Ev01", "request_ref": "a1b2c3d4"}
        log.info("inside")
        with bind_request(record="AIU-0007"):
            log.info("nested")
        log.info("inside again")
    log.info("after")
    got = {record["message"]: record for record in lines()}
    assert "request_ref" not in got["before"] and "request_ref" not in got["after"]
    assert got["inside"]["slack_event_id"] == "Ev01" and got["inside"]["request_ref"] == "a1b2c3d4"
    assert got["nested"]["record"] == "AIU-0007" and got["nested"]["request_ref"] == "a1b2c3d4"
    assert "record" not in got["inside again"]
    assert current_fields() == {}


def test_fields_follow_work_into_a_thread_pool_and_never_cross_requests(lines: Any) -> None:
    plain_pool = ThreadPoolExecutor(2)
    keeping_pool = ContextThreadPoolExecutor(2)
    start = threading.Barrier(2)

    def request(ref: str) -> None:
        with bind_request(request_ref=ref):
            start.wait()  # both requests are bound at once
            plain_pool.submit(copy_into_thread(log.info), f"wrapped {ref}").result()
            keeping_pool.submit(log.info, f"pooled {ref}").result()
            plain_pool.submit(log.info, f"unwrapped {ref}").result()

    requests = [threading.Thread(target=request, args=(ref,)) for ref in ("r-one", "r-two")]
    for thread in requests:
        thread.start()
    for thread in requests:
        thread.join()
    plain_pool.shutdown()
    keeping_pool.shutdown()
    got = {record["message"]: record for record in lines()}
    for ref in ("r-one", "r-two"):
        assert got[f"wrapped {ref}"]["request_ref"] == ref
        assert got[f"pooled {ref}"]["request_ref"] == ref
        # A pool thread does not inherit the submitter's context: that is what the helpers do.
        assert "request_ref" not in got[f"unwrapped {ref}"]


def test_a_wrapped_function_may_run_on_several_threads_at_once(lines: Any) -> None:
    with bind_request(request_ref="shared"):
        wrapped = copy_into_thread(log.info)
    together = threading.Barrier(4)

    def run(n: int) -> None:
        together.wait()
        wrapped("call %d", n)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(run, range(4)))
    assert sorted(record["message"] for record in lines()) == [f"call {n}" for n in range(4)]
    assert {record["request_ref"] for record in lines()} == {"shared"}


# --- a real Slack request ----------------------------------------------------------------------


class LoggingRouter(ScriptedRouter):
    """Logs a line while it answers a DM (in the work after the ack), naming the thread."""

    def handle(self, inbound: Inbound) -> list[Reply]:
        logging.getLogger("tests.json_logs.router").warning(
            "answering %r on %s with client token %s",
            inbound.text,
            threading.current_thread().name,
            BOT_TOKEN,
        )
        return super().handle(inbound)


def test_a_slack_requests_work_logs_its_reference_and_event_id(app_context: AppContext) -> None:
    """The real app over HTTP, everything logged (DEBUG, every library) as JSON through the
    mask: the line the router logs after the ack carries the request's reference and Slack's
    event id, each event its own, and the bot token is in no line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretMaskingFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        router = LoggingRouter()
        with start_slack_rig(app_context, router_factory=lambda _: router) as rig:
            for n in (1, 2):
                event = rig.message_event(f"question {n}")
                assert rig.send_event(event, event_id=f"EvJSON{n}").status == 200
            posts = rig.standin.wait_for("chat.postMessage", 2)
            assert rig.standin.violations == []
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert {post.args["text"] for post in posts} == {"Hello from AIMS."}
    written = stream.getvalue()
    records = [json.loads(line) for line in written.splitlines()]  # every line, or this raises
    routed = {
        record["message"].split("'")[1]: record
        for record in records
        if record["logger"] == "tests.json_logs.router"
    }
    assert set(routed) == {"question 1", "question 2"}
    refs = set()
    for n in (1, 2):
        line = routed[f"question {n}"]
        assert line["slack_event_id"] == f"EvJSON{n}"
        assert re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]+", line["request_ref"]), line
        assert " on aims-work" in line["message"]  # logged in the work after the ack
        assert line["message"].endswith("with client token [redacted]")
        refs.add(line["request_ref"])
    assert len(refs) == 2  # each request its own reference
    # The reply's Web API call, made by the work after the ack, carries its request's fields.
    sent = [
        (record.get("slack_event_id"), record.get("request_ref"))
        for record in records
        if record["logger"].startswith("slack_sdk")
        and "/api/chat.postMessage" in record["message"]
        and record["message"].startswith("Sending")
    ]
    assert sorted(sent) == sorted(
        (line["slack_event_id"], line["request_ref"]) for line in routed.values()
    )
    assert BOT_TOKEN not in written and SIGNING_SECRET not in written
    assert "xoxb-" not in written


# --- secrets ----------------------------------------------------------------------------------


def test_each_kind_of_secret_is_masked() -> None:
    text = (
        f"bot {SECRETS['bot token']} user {SECRETS['user token']} refresh "
        f"{SECRETS['refresh token']} app {SECRETS['app token']} key {SECRETS['provider key']} "
        f"gateway {SECRETS['gateway key']} headers {{'Authorization': 'Bearer "
        f"{SECRETS['bearer']}'}} and Authorization: Basic {SECRETS['basic']}"
    )
    masked = mask_secrets(text)
    for name, secret in SECRETS.items():
        assert secret not in masked, name
    assert "gateway aims_sk_Zq9x[redacted]" in masked  # the prefix that names a key stays
    assert "'Authorization': 'Bearer [redacted]'" in masked
    assert "Authorization: Basic [redacted]" in masked
    assert mask_secrets("HTTP_AUTHORIZATION=opaque-value-123") == "HTTP_AUTHORIZATION=[redacted]"
    assert (
        mask_secrets("SLACK_SIGNING_SECRET=abcdef0123456789") == "SLACK_SIGNING_SECRET=[redacted]"
    )
    assert (
        mask_secrets("postgresql+psycopg://aims:pw@db/aims")
        == "postgresql+psycopg://aims:***@db/aims"
    )
    ordinary = "risk-assessment prompt_tokens=42 KEY-0001 (aims_sk_Zq9x…) 3 tasks, a bearer of news"
    assert mask_secrets(ordinary) == ordinary


def test_secrets_are_masked_wherever_they_travel_in_a_json_line(lines: Any) -> None:
    with bind_request(request_ref="r1", header=f"Bearer {SECRETS['bearer']}"):
        log.warning("posting with %s", SECRETS["bot token"], extra={"key": SECRETS["app token"]})
        try:
            raise ValueError(f"refused {SECRETS['provider key']}")
        except ValueError:
            log.exception("failed for %s", {"Authorization": f"Basic {SECRETS['basic']}"})
    written = json.dumps(lines())
    for name, secret in SECRETS.items():
        if name != "gateway key":
            assert secret not in written, name
    first, second = lines()
    assert first["message"] == "posting with [redacted]"
    assert first["key"] == "[redacted]" and first["header"] == "Bearer [redacted]"
    assert "refused [redacted]" in second["exc_info"]
    assert second["message"] == "failed for {'Authorization': 'Basic [redacted]'}"


def test_secrets_are_masked_in_plain_lines_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PlainFormatter())
    handler.addFilter(SecretMaskingFilter())
    logger = logging.getLogger("tests.plain_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with bind_request(request_ref="r9", token=SECRETS["user token"]):
            try:
                raise RuntimeError(SECRETS["refresh token"])
            except RuntimeError:
                logger.exception("with %s", SECRETS["gateway key"])
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    written = stream.getvalue()
    assert written.startswith(
        "ERROR tests.plain_logs: with aims_sk_Zq9x[redacted] [request_ref=r9 token=[redacted]]\n"
    )
    assert "RuntimeError: [redacted]" in written
    for name, secret in SECRETS.items():
        assert secret not in written, name
