"""Submitting a record for approval: where intake, imports and reviews hand a record over.
The flow itself is governance.approvals.flows.submit_record (it opens the approval request)."""

from __future__ import annotations

from governance.approvals.flows import submit_record

__all__ = ["submit_record"]
