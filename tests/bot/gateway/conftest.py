"""The gateway served by uvicorn on a free localhost port, in front of the OpenAI stand-in
(tests/support/openai_upstream.py), with records of the sample organisation to call it for."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.context import AppContext, build_context
from bot.gateway.app import Gateway, create_app
from bot.settings import Settings
from governance.gateway.keys import issue_key, set_restore_placeholders
from governance.models import RecordStatus
from store.db import Database
from store.evidence import iter_ledger, verify
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent
from tests.governance.gateway.helpers import OLIVER, approved, record_in
from tests.support.openai_upstream import OpenAIStandIn, serving, serving_app


def gateway_section(upstream_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "upstreams": [
            {
                "name": "standin",
                "base_url": upstream_url,
                "api_key_env": "STANDIN_API_KEY",
                "models": ["gpt-*", "claude-*"],
                "timeout_seconds": 2,
            }
        ],
        "requests_per_minute": 600,
        **extra,
    }


def configure_gateway(org_dir: Path, upstream_url: str, **extra: Any) -> Path:
    path = org_dir / "aims.yaml"
    data = yaml.safe_load(path.read_text())
    data["gateway"] = gateway_section(upstream_url, **extra)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclass
class Rig:
    ctx: AppContext
    db: Database
    stand_in: OpenAIStandIn
    upstream_url: str
    url: str  # the gateway's base URL, …/v1
    gateway: Gateway

    def key_for(
        self,
        status: RecordStatus = RecordStatus.APPROVED,
        *,
        restore: bool = False,
        **fields: Any,
    ) -> tuple[str, str]:
        """(key, record ref) of a use in `status` (the key issued while it was approved)."""
        from datetime import UTC, datetime

        from governance.register import transition
        from tests.governance.gateway.helpers import PRIYA

        config, now = self.ctx.config, datetime.now(UTC)
        with self.db.session() as session:
            record = approved(session, config, now, **fields)
            issued = issue_key(session, record_ref=record.ref, actor=OLIVER, config=config)
            if restore:
                set_restore_placeholders(
                    session, record_ref=record.ref, on=True, actor=OLIVER, config=config
                )
            path = {
                RecordStatus.APPROVED: [],
                RecordStatus.LIVE: [RecordStatus.LIVE],
                RecordStatus.SUSPENDED: [RecordStatus.LIVE, RecordStatus.SUSPENDED],
                RecordStatus.RETIRED: [RecordStatus.RETIRED],
            }[status]
            for step in path:
                transition(session, record=record, to=step, actor=PRIYA, reason="test", now=now)
            return issued.key, record.ref


__all__ = ["Rig", "configure_gateway", "record_in"]

UPSTREAM_SECRET = "sk-standin-upstream-secret-0000"


@pytest.fixture
def stand_in() -> Iterator[tuple[OpenAIStandIn, str]]:
    with serving(OpenAIStandIn()) as served:
        yield served


MakeRig = Callable[..., Rig]


@pytest.fixture
def make_rig(
    org_dir: Path, db: Database, stand_in: tuple[OpenAIStandIn, str], monkeypatch: Any
) -> Iterator[MakeRig]:
    """make_rig(**gateway settings) -> the gateway, served in a thread, in front of the stand-in."""
    upstream, upstream_url = stand_in
    monkeypatch.setenv("STANDIN_API_KEY", UPSTREAM_SECRET)
    with contextlib.ExitStack() as stack:

        def make(**extra: Any) -> Rig:
            config_path = configure_gateway(org_dir, upstream_url, **extra)
            ctx = build_context(config_path, Settings(database_url=db.url))
            ctx.__dict__["db"] = db
            app = create_app(ctx)
            url = stack.enter_context(serving_app(app))
            return Rig(ctx, db, upstream, upstream_url, url + "/v1", app.state.gateway)

        yield make


@pytest.fixture
def rig(make_rig: MakeRig) -> Rig:
    return make_rig()


def decisions(db: Database) -> list[dict[str, Any]]:
    return events(db, EvidenceKind.GATEWAY_DECISION)


def events(db: Database, kind: EvidenceKind) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.scalars(
            select(EvidenceEvent.payload)
            .where(EvidenceEvent.kind == kind.value)
            .order_by(EvidenceEvent.seq)
        ).all()
    return [json.loads(row) for row in rows]


def chain_ok(db: Database) -> str:
    with db.session() as session:
        result = verify(iter_ledger(session))
    assert result.ok, result.describe()
    return result.describe()
