"""Approvals routed to named owners. models (vocabulary); routing, fast_track, duties
(separation of duties) and checks (pure rules); service (the rows); messages, people and notify
(what people read, how they are named, and who is told); flows (submit, open, decide,
resubmit: where they all meet) and completion (the last decision); escalation (scheduled);
history (for `register show`)."""

from __future__ import annotations

# The approval tables join Base.metadata whenever the feature is imported.
import store.approval_models as _approval_models  # noqa: F401
