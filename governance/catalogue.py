"""The tool catalogue: which configured tool a name means, and keeping the catalogue table in
step with aims.yaml (the config is the source of truth)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import CatalogueTool, OrgConfig, ToolStatus
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import CatalogueEntry, utcnow


def _squashed(name: str) -> str:
    """A name without case, spaces or punctuation: "Otter.ai", "otter ai" and "OTTERAI" agree."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def _names_of(tool: CatalogueTool, catalogue: list[CatalogueTool]) -> set[str]:
    """The squashed names a tool answers to: its name, its aliases, and its name without a
    qualifier ("Claude (Team plan)" -> "claude") unless another tool answers to that."""
    names = {_squashed(name) for name in (tool.name, *tool.aliases)}
    base = _squashed(re.sub(r"\(.*?\)", " ", tool.name))
    claimed = {
        _squashed(name)
        for other in catalogue
        if other is not tool
        for name in (other.name, *other.aliases)
    }
    if base and base not in claimed:
        names.add(base)
    return names


def catalogue_tool(config: OrgConfig, tool: str) -> CatalogueTool | None:
    """The catalogue tool a register record's tool names (its name or an alias), if any."""
    wanted = _squashed(tool)
    if not wanted:
        return None
    return next(
        (entry for entry in config.catalogue if wanted in _names_of(entry, config.catalogue)), None
    )


def prohibited_tool(config: OrgConfig, tool: str) -> CatalogueTool | None:
    """The catalogue entry when `tool` names a tool the organisation prohibits, else None."""
    entry = catalogue_tool(config, tool)
    return entry if entry is not None and entry.status is ToolStatus.PROHIBITED else None


def sync_catalogue(session: Session, config: OrgConfig, *, actor: str = "system") -> list[str]:
    """Upsert every configured tool and drop removed ones; returns the names that changed."""
    existing = {row.name: row for row in session.scalars(select(CatalogueEntry))}
    changed: list[str] = []
    wanted = set()
    for tool in config.catalogue:
        wanted.add(tool.name)
        values = {
            "aliases": list(tool.aliases),
            "vendor": tool.vendor,
            "status": tool.status.value,
            "allowed_data": [c.value for c in tool.allowed_data],
            "conditions": list(tool.conditions),
            "policy_ref": tool.policy_ref,
        }
        row = existing.get(tool.name)
        if row is None:
            session.add(CatalogueEntry(name=tool.name, synced_at=utcnow(), **values))
            changed.append(tool.name)
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.synced_at = utcnow()
            changed.append(tool.name)
    for name, row in existing.items():
        if name not in wanted:
            session.delete(row)
            changed.append(name)
    if changed:
        evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.CATALOGUE_SYNCED,
            subject="catalogue",
            payload={"changed": sorted(changed)},
        )
    return changed
