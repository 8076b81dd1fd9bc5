"""A record as a person reads it: fields, tier with reasons, conditions, version history.

Approvals, reviews and incidents each have a section (`DETAIL_SECTIONS`, one list), so
`aims register show` and every other view of a record show the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from governance import register as register_service
from governance.approvals.history import approval_lines
from governance.config import OrgConfig
from governance.record_history import incident_lines, review_lines
from store.models import AIUse


class DetailSection(BaseModel):
    title: str
    lines: list[str]


class RecordDetail(BaseModel):
    record: dict[str, Any]
    versions: list[dict[str, Any]]
    sections: list[DetailSection] = []

    def as_text(self) -> str:
        r = self.record
        out = [f"{r['ref']}  {r['title']}  (v{r['version']}, {r['status']})"]
        if r.get("risk_tier"):
            out.append(f"Risk tier: {r['risk_tier']}")
            out += [f"  - {reason}" for reason in r.get("tier_reasons") or []]
            if r.get("tier_override"):
                out.append(f"  Override: {r['tier_override']}")
        if r.get("conditions"):
            out.append("Conditions:")
            out += [f"  - {condition}" for condition in r["conditions"]]
        skip = {
            "ref",
            "title",
            "version",
            "status",
            "risk_tier",
            "tier_reasons",
            "tier_override",
            "conditions",
        }
        for key, value in r.items():
            if key in skip or value in (None, "", [], False):
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            out.append(f"{key.replace('_', ' ').capitalize()}: {shown}")
        for section in self.sections:
            out.append(f"{section.title}:")
            out += [f"  {line}" for line in section.lines]
        out.append("Versions:")
        out += [
            f"  v{v['version']} {v['changed_at']} by {v['changed_by']}: {v['reason']}"
            for v in self.versions
        ]
        return "\n".join(out)


SectionBuilder = Callable[[Session, AIUse, OrgConfig], DetailSection | None]


def record_detail(session: Session, record: AIUse, config: OrgConfig) -> RecordDetail:
    snap = register_service.snapshot(record)
    for key in ("owner", "requester"):
        if snap.get(key):
            snap[key] = f"{config.display_name(snap[key])} ({snap[key]})"
    versions = [
        {
            "version": v.version,
            "changed_at": v.changed_at.isoformat(timespec="seconds"),
            "changed_by": v.changed_by,
            "reason": v.reason,
            "status": v.status,
        }
        for v in register_service.versions(session, record)
    ]
    sections = [s for build in DETAIL_SECTIONS if (s := build(session, record, config)) is not None]
    return RecordDetail(record=snap, versions=versions, sections=sections)


def _approvals_section(session: Session, record: AIUse, config: OrgConfig) -> DetailSection | None:
    """Who approved which version, when, with which conditions (governance/approvals)."""
    lines = approval_lines(session, record, config)
    return DetailSection(title="Approvals", lines=lines) if lines else None


def _reviews_section(session: Session, record: AIUse, config: OrgConfig) -> DetailSection | None:
    lines = review_lines(session, record)
    return DetailSection(title="Reviews", lines=lines) if lines else None


def _incidents_section(session: Session, record: AIUse, config: OrgConfig) -> DetailSection | None:
    lines = incident_lines(session, record)
    return DetailSection(title="Incidents", lines=lines) if lines else None


# The sections of `register show`, in order: one explicit list.
DETAIL_SECTIONS: tuple[SectionBuilder, ...] = (
    _approvals_section,
    _reviews_section,
    _incidents_section,
)
