"""Keep the tool catalogue table in step with aims.yaml (the config is the source of truth)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import OrgConfig
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import CatalogueEntry, utcnow


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
