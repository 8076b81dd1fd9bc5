"""Approvals routed to named owners. models (vocabulary), routing and checks (pure rules),
service (the rows), messages and notify (what people read, and who), flows (submit, open,
decide, resubmit: where they all meet), escalation (scheduled), history (for `register show`)."""

from __future__ import annotations

# The approval tables join Base.metadata whenever the feature is imported.
import store.approval_models as _approval_models  # noqa: F401
