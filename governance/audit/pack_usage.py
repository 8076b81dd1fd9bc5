"""Use of AI under the management system, for the audit pack: policy answers (covered or not,
how people rated them, tools asked about that the catalogue does not list) and what the AI
gateway decided, each figure with the events behind it."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from governance.audit.pack_events import Tally, count, events, latest_by_subject
from governance.audit.pack_models import AnswerFigures, GatewayFigures, Named
from governance.gateway import stats as gateway
from governance.soa import Period
from store.evidence_kinds import EvidenceKind

UNKNOWN_TOOLS_SHOWN = 10
# The subject of a gateway decision no use holds a key for (bot.gateway.app).
NO_USE = "gateway"


def answer_figures(session: Session, period: Period | None) -> AnswerFigures | None:
    answers, covered, uncovered = Tally(), Tally(), Tally()
    tools: dict[str, Tally] = defaultdict(Tally)
    for event in events(session, [EvidenceKind.ANSWER_GIVEN], period):
        answers.add(event.seq)
        (covered if event.payload.get("covered") else uncovered).add(event.seq)
        for name in {
            str(tool).strip().lower() for tool in event.payload.get("unknown_tools") or []
        }:
            if name:
                tools[name].add(event.seq)
    if not answers.count:
        return None
    helpful, unhelpful = Tally(), Tally()
    for event in events(session, [EvidenceKind.ANSWER_FEEDBACK], period):
        (helpful if event.payload.get("vote") == "up" else unhelpful).add(event.seq)
    asked = sorted(tools.items(), key=lambda item: (-item[1].count, item[0]))
    return AnswerFigures(
        answers=answers.cited(),
        covered=covered.cited(),
        uncovered=uncovered.cited(),
        helpful=helpful.cited(),
        unhelpful=unhelpful.cited(),
        unknown_tools=[
            Named(name=name, cited=tally.cited()) for name, tally in asked[:UNKNOWN_TOOLS_SHOWN]
        ],
    )


def gateway_figures(session: Session, period: Period | None) -> GatewayFigures | None:
    start, end = period or (None, None)
    stats = gateway.gateway_stats(session, since=start, until=end)
    if not stats.any_activity:
        return None
    kinds = [kind.value for kind in gateway.KINDS]
    return GatewayFigures(
        stats=stats,
        decisions=count(session, [EvidenceKind.GATEWAY_DECISION], period),
        per_use=latest_by_subject(session, kinds, [use.record_ref for use in stats.uses], period),
        shadow=count(session, [EvidenceKind.GATEWAY_DECISION], period, subjects=[NO_USE]),
    )
