"""A real Chroma server for tests: `chroma run` from the installed chromadb, on a free loopback
port, its data in a folder of the test's, offline.

    with running_chroma_server(tmp_path / "chroma") as server:
        settings = Settings(chroma_url=server.url, ...)
        server.stop()    # the server goes down mid-test
        server.start()   # and comes back on the same port, with the same data

chromadb installs the `chroma` console script beside the interpreter (its Rust CLI); without
it, `python -c` runs the same CLI from the chromadb package. Where neither exists, the test is
skipped, saying why. The server is started with the parent's death signal set (Linux), so a
test run that is killed does not leave servers behind.

By hand: `.venv/bin/chroma run --path /tmp/chroma-data --port 8000 --host 127.0.0.1`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

HOST = "127.0.0.1"
HEARTBEAT = "/api/v2/heartbeat"
START_TIMEOUT = 60.0  # seconds; a start takes about one on an idle machine
STOP_TIMEOUT = 10.0
_CLI = "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()"


def chroma_command() -> list[str] | None:
    """How to run Chroma's CLI from this environment, or None when it is not installed."""
    script = Path(sys.executable).with_name("chroma")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    try:
        import chromadb_rust_bindings  # noqa: F401
        from chromadb.cli import cli  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-c", _CLI]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ChromaServerProcess:
    """One `chroma run` process; `stop` and `start` again keep its port and data."""

    def __init__(self, path: Path, command: list[str], port: int | None = None) -> None:
        self.path = path
        self.command = command
        self.port = port or free_port()
        self.log = path.parent / f"{path.name}-server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until its heartbeat answers."""
        if self.running:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("ab")
        argv = [*self.command, "run", "--path", str(self.path), "--host", HOST]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        self._process = subprocess.Popen(
            [*argv, "--port", str(self.port)],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=1.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.poll() is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(self.url + HEARTBEAT).status_code == 200:
                        return
                time.sleep(0.05)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"the Chroma server at {self.url} did not come up:\n{tail}")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and wait until it is gone."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@contextlib.contextmanager
def running_chroma_server(path: Path) -> Iterator[ChromaServerProcess]:
    """A started server with its data in `path`, stopped afterwards; skips the test when
    chromadb's server is not installed here."""
    command = chroma_command()
    if command is None:
        pytest.skip(
            "no Chroma server to start: neither the `chroma` script beside this Python nor "
            "chromadb's CLI (chromadb_rust_bindings) is installed"
        )
    server = ChromaServerProcess(path, command)
    try:
        server.start()
    except RuntimeError:
        # The free port may have been taken between choosing it and binding it: once more.
        server = ChromaServerProcess(path, command)
        server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServerProcess]:
    """One server per test module (import this fixture into the module or a conftest)."""
    with running_chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server
