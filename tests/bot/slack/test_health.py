"""GET /healthz and /readyz on HTTP mode's real server (uvicorn serving bot.slack.http, started
by the Slack rig), asked over real HTTP: liveness without I/O, readiness from the real database
(and a Chroma server when one is configured), 503 naming what failed, at most one check a
second however hard it is polled, nothing secret in any answer, and signed Slack requests still
served on the same port."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.context import AppContext
from bot.health import Check, Readiness, ReadinessProbe, readiness_probe
from bot.slack.health import readiness_check
from bot.slack.http import Readiness as ReadinessAnswer
from store.db import Database
from tests.bot.slack.scripted import ScriptedRouter
from tests.support.slack_app import BOT_TOKEN, SIGNING_SECRET, SlackRig, start_slack_rig

# --- the server under test, and a client for it ---------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]  # lower-case names

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """Real HTTP requests to the rig's server (the one /slack/events is served by)."""

    def __init__(self, rig: SlackRig) -> None:
        parts = urllib.parse.urlsplit(rig.url)
        self.rig = rig
        self.port = int(parts.port or 0)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.bodies: list[str] = []  # every answer's body, for the no-secrets check

    def __call__(self, path: str, method: str = "GET", body: bytes | None = None) -> Answer:
        sent = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with urllib.request.urlopen(sent, timeout=30) as reply:
                answer = Answer(reply.status, reply.read().decode(), _lower(reply.headers))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read().decode(), _lower(error.headers))
        self.bodies.append(answer.body)
        return answer


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@contextmanager
def serving(ctx: AppContext, readiness: ReadinessAnswer | None = None) -> Iterator[Client]:
    """The real app and its uvicorn server on a free port, /readyz running `readiness`."""
    with start_slack_rig(
        ctx, router_factory=lambda _: ScriptedRouter(), readiness=readiness
    ) as rig:
        yield Client(rig)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Counting:
    """A readiness check that counts its calls and how many ran at once."""

    def __init__(self, ready: bool = True, seconds: float = 0.05) -> None:
        self.ready, self.seconds = ready, seconds
        self.calls = self.running = self.most_at_once = 0
        self.lock = threading.Lock()

    def __call__(self) -> Readiness:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.seconds)  # a check takes a moment; pollers arriving meanwhile wait
            return Readiness(checks=[Check(name="database", ok=self.ready, detail="answering")])
        finally:
            with self.lock:
                self.running -= 1


@contextmanager
def serving_probe(app_context: AppContext, probe: ReadinessProbe) -> Iterator[Client]:
    """The server, its /readyz running `probe` (closed afterwards)."""
    try:
        with serving(app_context, readiness_check(probe)) as request:
            yield request
    finally:
        probe.close()


# --- /healthz ------------------------------------------------------------------------------------


def test_healthz_answers_ok_without_checking_anything(app_context: AppContext) -> None:
    check = Counting()
    with serving(app_context, readiness_check(check)) as request:
        answer = request("/healthz")
        head = request("/healthz", method="HEAD")
        with_query = request("/healthz?probe=lb-1")
    assert answer.status == 200 and answer.json() == {"status": "ok"}
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert head.status == 200 and head.body == ""
    assert head.headers["content-length"] == str(len(answer.body.encode()))
    assert head.headers["cache-control"] == "no-store"
    assert with_query.status == 200 and with_query.json() == {"status": "ok"}
    assert check.calls == 0


def test_only_get_and_head_are_answered_on_the_health_paths(app_context: AppContext) -> None:
    check = Counting()
    with serving(app_context, readiness_check(check)) as request:
        answers = {
            (method, path): request(path, method=method, body=b"x" if method != "DELETE" else None)
            for path in ("/healthz", "/readyz")
            for method in ("POST", "PUT", "DELETE")
        }
    for sent, answer in answers.items():
        assert answer.status == 405, sent
        assert answer.headers["allow"] == "GET, HEAD", sent
    assert check.calls == 0


def test_every_other_path_is_the_edges_404(app_context: AppContext) -> None:
    with serving(app_context, readiness_check(Counting())) as request:
        other = request("/other")
        deeper = request("/healthz/more")
        posted = request("/readyz/", method="POST", body=b"{}")
    assert (other.status, deeper.status, posted.status) == (404, 404, 404)
    assert other.body == "Not Found"


# --- /readyz on real databases -------------------------------------------------------------------


def test_readyz_is_200_when_the_database_answers(app_context: AppContext, db: Database) -> None:
    with serving_probe(app_context, ReadinessProbe(db.url)) as request:
        answer = request("/readyz")
        head = request("/readyz", method="HEAD")
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "status": "ready",
        "checks": [{"name": "database", "ok": True, "detail": "answering"}],
    }
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert head.status == 200 and head.body == ""


def test_readyz_of_a_context_checks_its_database(app_context: AppContext) -> None:
    """What `aims run` passes: readiness_check(readiness_probe(ctx))."""
    with serving_probe(app_context, readiness_probe(app_context)) as request:
        answer = request("/readyz")
    assert answer.status == 200 and answer.json()["status"] == "ready"


def test_without_a_readiness_check_readyz_answers_like_healthz(app_context: AppContext) -> None:
    with serving(app_context) as request:
        answer = request("/readyz")
    assert answer.status == 200 and answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"


def test_readyz_is_503_naming_the_database_on_a_closed_postgres_port(
    app_context: AppContext,
) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://aims:hunter2secret@127.0.0.1:{port}/x"
    with serving_probe(app_context, ReadinessProbe(url)) as request:
        started = time.monotonic()
        answer = request("/readyz")
        elapsed = time.monotonic() - started
    assert elapsed < 5  # a closed port does not hang the check
    assert answer.status == 503
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == [
        {"name": "database", "ok": False, "detail": "not answering (OperationalError)"}
    ]
    # Nothing about where the database is, let alone its password.
    assert "hunter2" not in answer.body and str(port) not in answer.body


def test_readyz_is_503_for_a_sqlite_file_under_a_missing_folder(
    app_context: AppContext, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'aims.db'}"
    with serving_probe(app_context, ReadinessProbe(url)) as request:
        answer = request("/readyz")
    assert answer.status == 503
    assert [check["name"] for check in answer.json()["checks"] if not check["ok"]] == ["database"]
    assert "missing" not in answer.body
    assert not (tmp_path / "missing").exists()  # the check creates nothing


def test_readyz_is_503_naming_chroma_when_its_server_is_down(
    app_context: AppContext, db: Database
) -> None:
    chroma = f"http://127.0.0.1:{closed_port()}"
    with serving_probe(app_context, ReadinessProbe(db.url, chroma)) as request:
        answer = request("/readyz")
    assert answer.status == 503
    assert answer.json() == {
        "status": "unavailable",
        "checks": [
            {"name": "database", "ok": True, "detail": "answering"},
            {"name": "vector_index", "ok": False, "detail": "Chroma server not answering"},
        ],
    }
    assert chroma not in answer.body


class _Heartbeat(BaseHTTPRequestHandler):
    """A stand-in Chroma server: only its heartbeat."""

    def do_GET(self) -> None:  # noqa: N802
        found = self.path == "/api/v2/heartbeat"
        body = b'{"nanosecond heartbeat": 1}' if found else b""
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def chroma_standin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Heartbeat)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_readyz_is_200_when_the_chroma_server_answers(
    app_context: AppContext, db: Database
) -> None:
    with chroma_standin() as chroma:
        with serving_probe(app_context, ReadinessProbe(db.url, chroma)) as request:
            answer = request("/readyz")
    assert answer.status == 200, answer.body
    assert answer.json()["checks"][1] == {
        "name": "vector_index",
        "ok": True,
        "detail": "Chroma server answering",
    }


# --- caching, failures ---------------------------------------------------------------------------


def test_a_burst_of_polls_runs_at_most_one_check_a_second_one_at_a_time(
    app_context: AppContext,
) -> None:
    """The product's own period (1 s): 16 pollers at once, 5 polls each."""
    check = Counting(seconds=0.1)
    with serving(app_context, readiness_check(check)) as request:
        together = threading.Barrier(16)

        def poll(_: int) -> list[int]:
            together.wait()
            return [request("/readyz").status for _ in range(5)]

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pollers:
            statuses = [status for got in pollers.map(poll, range(16)) for status in got]
        elapsed = time.monotonic() - started
        assert statuses == [200] * 80
        assert 1 <= check.calls <= 1 + int(elapsed)
        assert check.most_at_once == 1
        before = check.calls
        time.sleep(1.1)
        assert request("/readyz").status == 200
    assert check.calls == before + 1  # after the period, one fresh check


def test_a_slow_check_holds_up_neither_healthz_nor_slack(app_context: AppContext) -> None:
    """The check runs off the server's event loop: while one takes seconds, liveness and a
    signed Slack request are answered at once."""
    check = Counting(seconds=2.0)
    with serving(app_context, readiness_check(check)) as request:
        with ThreadPoolExecutor(1) as poller:
            slow = poller.submit(request, "/readyz")
            while check.running == 0:
                time.sleep(0.01)
            started = time.monotonic()
            live = request("/healthz")
            challenge = request.rig.post(
                json.dumps({"type": "url_verification", "challenge": "c-slow", "token": "t"}),
                "application/json",
            )
            elapsed = time.monotonic() - started
            assert slow.result().status == 200
    assert live.status == 200 and challenge.status == 200 and "c-slow" in challenge.body
    assert elapsed < 1.0


def test_a_readiness_check_that_raises_is_a_503_without_a_traceback(
    app_context: AppContext,
) -> None:
    def broken() -> Readiness:
        raise RuntimeError("boom at postgresql://u:pw@db/x")

    with serving(app_context, readiness_check(broken)) as request:
        answer = request("/readyz")
        live = request("/healthz")
    assert answer.status == 503
    assert answer.json() == {
        "status": "unavailable",
        "checks": [{"name": "readiness", "ok": False, "detail": "the check itself failed"}],
    }
    assert "Traceback" not in answer.body and "pw" not in answer.body and "boom" not in answer.body
    assert live.status == 200  # the process still serves


@pytest.mark.parametrize("ready", [True, False])
def test_readyz_follows_the_check(app_context: AppContext, ready: bool) -> None:
    with serving(app_context, readiness_check(Counting(ready))) as request:
        answer = request("/readyz")
    assert answer.status == (200 if ready else 503)
    assert answer.json()["status"] == ("ready" if ready else "unavailable")


# --- nothing secret, and Slack on the same server ----------------------------------------------


def test_no_answer_carries_a_url_a_password_or_a_token(
    app_context: AppContext, tmp_path: Path
) -> None:
    database_port, chroma_port = closed_port(), closed_port()
    database = f"postgresql+psycopg://aims:hunter2secret@127.0.0.1:{database_port}/aimsdb"
    chroma = f"http://chromauser:chromatoken@127.0.0.1:{chroma_port}"
    with serving_probe(app_context, ReadinessProbe(database, chroma)) as request:
        assert request("/healthz").status == 200
        assert request("/healthz", method="HEAD").status == 200
        assert request("/readyz").status == 503
        assert request("/readyz", method="HEAD").status == 503
        assert request("/readyz", method="POST", body=b"x").status == 405
        assert request("/other").status == 404
        assert request("/slack/events").status == 405
        assert request("/slack/events", method="POST", body=b"{}").status == 401
        bodies = list(request.bodies)
        server_port = request.port
    written = "\n".join(bodies)
    assert "unavailable" in written  # the answers were read
    for secret in (
        "hunter2secret",
        "chromatoken",
        "chromauser",
        "aimsdb",
        "postgresql",
        "http://",
        "127.0.0.1",
        str(database_port),
        str(chroma_port),
        str(server_port),
        BOT_TOKEN,
        SIGNING_SECRET,
        app_context.database_url,
        str(tmp_path),
    ):
        assert secret not in written, secret


def test_signed_slack_requests_are_served_beside_health(app_context: AppContext) -> None:
    check = Counting()
    with serving(app_context, readiness_check(check)) as request:
        rig = request.rig
        body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
        signed = rig.post(body, "application/json")
        unsigned = rig.post_raw(body.encode(), "application/json", sign=False)
        forged = rig.post(body, "application/json", secret="0" * 32)
        ready = request("/readyz")
    assert signed.status == 200 and "c-123" in signed.body
    assert unsigned.status == 401 and "c-123" not in unsigned.body
    assert forged.status == 401
    assert ready.status == 200 and check.calls == 1  # Slack's requests ran no check


# --- the check itself, as a pair ---------------------------------------------------------------


def test_readiness_check_gives_the_same_cached_answer_as_a_pair(db: Database) -> None:
    """What the server's /readyz runs: `() -> (ready, details)`."""
    probe = ReadinessProbe(db.url)
    counting = Counting()
    try:
        ready, details = readiness_check(probe)()
        assert ready is True
        assert details == {
            "status": "ready",
            "checks": [{"name": "database", "ok": True, "detail": "answering"}],
        }
        cached = readiness_check(counting, cache_seconds=60)
        assert [cached()[0] for _ in range(10)] == [True] * 10
        assert counting.calls == 1
    finally:
        probe.close()
    down = readiness_check(ReadinessProbe(f"postgresql+psycopg://x@127.0.0.1:{closed_port()}/x"))
    ready, details = down()
    assert ready is False and details["status"] == "unavailable"


def test_a_check_that_raises_is_not_ready_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Readiness:
        raise RuntimeError("boom")

    check: Callable[[], tuple[bool, dict[str, Any]]] = readiness_check(broken)
    with caplog.at_level("ERROR", logger="bot.slack.health"):
        ready, details = check()
    assert ready is False and details["checks"][0]["name"] == "readiness"
    assert any(record.exc_info for record in caplog.records)
