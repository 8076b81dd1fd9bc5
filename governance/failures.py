"""What a person is told when their request fails, for every transport alike.

A known error (AimsError) says how to fix it. Anything else gets a reference id
(errors.reference_id) that is logged with the traceback and recorded as evidence, so support
finds the one failure a person quotes; the person never sees the internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from governance.errors import AimsError, reference_id
from store import evidence
from store.db import Database
from store.evidence_kinds import EvidenceKind

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "aims-bot"


@dataclass(frozen=True)
class Failure:
    text: str
    reference: str | None  # None: the person's to fix, nothing to look up


def report_failure(db: Database, error: BaseException, where: str) -> Failure:
    """Log (and, when the failure is ours, record) an error; what to tell the person."""
    if isinstance(error, AimsError):
        log.info("user-facing error in %s: %s", where, error)
        return Failure(str(error), None)
    reference = reference_id()
    log.error("unhandled error in %s, reference %s", where, reference, exc_info=error)
    with db.session() as session:
        evidence.append(
            session,
            actor=SYSTEM_ACTOR,
            kind=EvidenceKind.SLACK_ERROR,
            subject=reference,
            payload={"error": repr(error), "payload_type": where},
        )
    return Failure(
        "Something went wrong on our side. Nothing you said was lost; please try again, and if "
        f"it keeps happening give the AIMS team reference *{reference}*.",
        reference,
    )
