"""An audit pack asked for from Slack (`/aims audit [FROM..TO]`): only a governance lead may
have one made (it holds the whole evidence ledger and register), and it is written under the
data directory, where the bot's operator can hand it over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from governance.audit.pack import PackResult, build_pack
from governance.config import OrgConfig
from governance.context import AppContext
from governance.errors import PermissionDenied
from governance.soa import parse_period

PACKS = "audit-packs"


def may_make_pack(config: OrgConfig, person: str) -> bool:
    return person in config.members("governance_leads")


def pack_folder(ctx: AppContext, person: str, now: datetime) -> Path:
    return ctx.data_dir / PACKS / f"audit-pack-{now.astimezone(UTC):%Y%m%d-%H%M%S}-{person}"


def make_pack_for(ctx: AppContext, *, person: str, period: str, now: datetime) -> PackResult:
    """The pack over `period` (FROM..TO as `aims soa` takes it; empty: the whole ledger)."""
    config = ctx.config
    if not may_make_pack(config, person):
        leads = ", ".join(config.display_name(lead) for lead in config.members("governance_leads"))
        raise PermissionDenied(
            "Only a governance lead can make the audit pack: it holds the whole evidence "
            f"ledger and the register. Ask {leads}."
        )
    chosen = parse_period(period.strip(), config.organisation.timezone) if period.strip() else None
    return build_pack(ctx, pack_folder(ctx, person, now), period=chosen, actor=person, now=now)
