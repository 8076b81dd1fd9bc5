"""When policy search is down: what the person asking is told, and the governance leads, once.

A question asked while the vector index cannot be reached (retrieval.index.IndexUnavailable: a
Chroma server that is down) is answered with what needs no search (the tool catalogue's
verdicts) and a plain "policy search is unavailable right now", recorded like any answer. The
governance leads are told through the outbox, in the same transaction, by a notice each, at
most once every ten minutes, not once per question: this process checks its own clock first (no
database query per question while the outage lasts), then the outbox's keys, which name the
ten-minute window, so other replicas and a restarted process count too. The log gets one line
per notice, naming AIMS_CHROMA_URL and what to check. Nothing else is needed to recover: the
index connects again on the next question (see retrieval.index).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from governance import outbox
from governance.config import OrgConfig
from governance.notices import Line, Notice, Part, Tone, fact
from store.models import utcnow
from store.outbox_kinds import OutboxKind

logger = logging.getLogger(__name__)

NOTICE_INTERVAL = timedelta(minutes=10)
UNAVAILABLE_MODE = "unavailable"  # the answer's mode, in the answer and its evidence
SUBJECT = "policy-search"
KEY_PREFIX = "policy-search.unavailable"


def unavailable_text(ask_whom: str) -> str:
    """What the person asking is told instead of the policy's words."""
    return (
        "Policy search is unavailable right now, so I cannot quote the policies; the governance "
        f"leads have been told. Please ask again later, or ask {ask_whom}."
    )


def notice_key(window: int, lead: str) -> str:
    return f"{KEY_PREFIX}:{window}:{lead}"


class OutageNotices:
    """Tells the governance leads that policy search is down, at most once per `interval`."""

    def __init__(
        self,
        interval: timedelta = NOTICE_INTERVAL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def report(self, session: Session, config: OrgConfig, problem: str) -> bool:
        """Queue the notice in the caller's transaction, unless one was queued less than an
        interval ago (here or, per the outbox, by another process). True when queued."""
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                return False
            self._last = now
        logger.warning("%s", problem)
        leads = config.members("governance_leads")
        window = int(now.timestamp() // self.interval.total_seconds())
        # A notice in this window or the one before: another process told them already.
        if any(
            outbox.queued(session, notice_key(w, lead))
            for w in (window, window - 1)
            for lead in leads
        ):
            return False
        notice = outage_notice(problem, now)
        queued = [
            outbox.notify(session, notice, key=notice_key(window, lead), to=lead) for lead in leads
        ]
        return any(message is not None for message in queued)


def outage_notice(problem: str, now: datetime) -> Notice:
    minutes = int(NOTICE_INTERVAL.total_seconds() // 60)
    return Notice(
        kind=OutboxKind.POLICY_SEARCH_UNAVAILABLE,
        subject=SUBJECT,
        tone=Tone.ESCALATION,
        title="Policy search is unavailable",
        parts=[
            Part(
                lines=[
                    Line(
                        text="People asking AIMS Bot a policy question are told it cannot "
                        "search the policies right now; the tool catalogue still answers."
                    ),
                    fact("Problem", problem),
                    fact("Noticed", f"{now:%Y-%m-%d %H:%M} UTC"),
                    Line(
                        text="AIMS Bot tries again with every question and answers as usual "
                        "once the index is back; no restart is needed. While it lasts you are "
                        f"told at most once every {minutes} minutes."
                    ),
                ]
            )
        ],
    )
