"""Gateway replicas: `aims gateway serve` in two processes over one database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest

from bot.context import build_context
from bot.settings import Settings
from governance.gateway.keys import revoke_key
from store.db import Database
from tests.bot.gateway.conftest import UPSTREAM_SECRET, Rig, chain_ok, configure_gateway, decisions
from tests.governance.gateway.helpers import OLIVER
from tests.support.openai_upstream import OpenAIStandIn, free_port

AIMS = Path(sys.executable).parent / "aims"


@contextlib.contextmanager
def gateway_process(config: Path, database_url: str) -> Iterator[str]:
    """`aims gateway serve` in its own process; yields its base URL once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "AIMS_DATABASE_URL": database_url,
        "STANDIN_API_KEY": UPSTREAM_SECRET,
        "HF_HUB_OFFLINE": "1",
    }
    process = subprocess.Popen(
        [str(AIMS), "--config", str(config), "gateway", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5)
                pytest.fail(f"the gateway process did not start: {err.decode()[-2000:]}")
            time.sleep(0.1)
        yield url + "/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def replicas(org_dir: Path, db: Database, upstream_url: str) -> Iterator[tuple[Rig, str, str]]:
    config = configure_gateway(org_dir, upstream_url)
    ctx = build_context(config, Settings(database_url=db.url))
    ctx.__dict__["db"] = db
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(gateway_process(config, db.url))
        second = stack.enter_context(gateway_process(config, db.url))
        rig = Rig(ctx, db, OpenAIStandIn(), upstream_url, first, gateway=None)  # type: ignore[arg-type]
        yield rig, first, second


def _ask(url: str, key: str) -> None:
    openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=10).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Mail jane.doe@example.com"}]
    )


def test_revocation_takes_effect_within_5_s_across_two_gateway_processes(org_dir, db, stand_in):
    upstream, upstream_url = stand_in
    with replicas(org_dir, db, upstream_url) as (rig, first, second):
        key, _ = rig.key_for()
        _ask(first, key)
        _ask(second, key)  # both now hold the key's terms in their cache
        with db.session() as session:
            revoke_key(
                session, key_id="KEY-0001", actor=OLIVER, reason="leaked", config=rig.ctx.config
            )
        revoked_at = time.monotonic()
        refused = {first: False, second: False}
        while not all(refused.values()) and time.monotonic() - revoked_at < 5:
            for url in refused:
                if not refused[url]:
                    try:
                        _ask(url, key)
                    except openai.AuthenticationError as exc:
                        assert "revoked" in exc.message
                        refused[url] = True
            time.sleep(0.1)
        assert refused == {first: True, second: True}, "not refused within 5 s"
    assert len(decisions(db)) == len(upstream.received) + 2  # one refusal from each process
    chain_ok(db)


def test_two_gateway_processes_on_postgres_keep_one_intact_chain(org_dir, db, backend, stand_in):
    if backend != "postgres":
        pytest.skip("Postgres only: the AIMS_TEST_BACKEND=postgres pass runs it")
    pg_db = db
    upstream, upstream_url = stand_in
    upstream.record = False
    with replicas(org_dir, pg_db, upstream_url) as (rig, first, second):
        key, _ = rig.key_for()
        requests = 120

        def one(number: int) -> None:
            _ask(first if number % 2 else second, key)

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(one, range(requests)))
    recorded = decisions(pg_db)
    assert len(recorded) == requests
    assert {d["outcome"] for d in recorded} == {"redact"}
    assert chain_ok(pg_db).startswith("OK ")
