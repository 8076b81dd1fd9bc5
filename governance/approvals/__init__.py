"""Approvals routed to named owners: routing (pure), services (exactly-once decisions),
notifications through the outbox, escalation of overdue requests, and the approval history."""

from __future__ import annotations

# The approval tables join Base.metadata whenever the feature is imported.
import store.approval_models as _approval_models  # noqa: F401
