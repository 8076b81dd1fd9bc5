"""Deciding moved to flows.py (`decide`, with the checks, the evidence and the notices in one
place). This name stays only for callers not yet moved: bot/cli/approvals.py imports `decide`
from here."""

from __future__ import annotations

from governance.approvals.flows import decide

__all__ = ["decide"]
