"""The audit pack page's sections on the register, approvals, reviews, incidents, policy answers
and the gateway (governance.audit.html_page puts them together)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from governance.audit.html_parts import (
    Html,
    bullets,
    cited,
    day,
    e,
    join,
    none_line,
    part,
    plural,
    seq_links,
    table,
    tag,
    when,
)
from governance.audit.pack_models import (
    AnswerFigures,
    Decision,
    GatewayFigures,
    PackFigures,
)
from governance.gateway.stats import shadow_line, use_line

AS_OF = "As the register stands when the pack was made."


def register_sections(pack: PackFigures, zone: ZoneInfo) -> list[Html]:
    tiers = table(
        ["Risk tier", "Records", "Which", "Evidence"],
        [
            [tier.tier, str(len(tier.records)), ", ".join(tier.records), cited(tier.cited)]
            for tier in pack.tiers
        ],
        id_="tiers-table",
    )
    records = table(
        [
            "Record",
            "Title",
            "Tier",
            "Status",
            "Owner",
            "Version",
            "Next review",
            "Conditions",
            "Evidence",
        ],
        [
            [
                entry.ref,
                entry.title,
                entry.tier or "not tiered",
                entry.status.replace("_", " "),
                entry.owner,
                f"v{entry.version}",
                day(entry.next_review),
                bullets(entry.conditions),
                seq_links(entry.seqs),
            ]
            for entry in pack.records
        ],
        id_="register-table",
    )
    body = [tiers, records] if pack.records else [none_line("The register is empty.")]
    return [
        tag("h2", e(f"Register ({plural(len(pack.records), 'AI use')})"), id="register"),
        none_line(AS_OF),
        *body,
        *_approvals(pack, zone),
    ]


def _approvals(pack: PackFigures, zone: ZoneInfo) -> list[Html]:
    done = table(
        ["Record", "Version", "Outcome", "Who decided", "Conditions", "Next review", "Evidence"],
        [
            [
                f"{item.record_ref} {item.title}",
                f"v{item.version}",
                item.outcome,
                bullets(_decision(d, zone) for d in item.decisions),
                bullets(item.conditions),
                item.next_review or "",
                seq_links(item.seqs),
            ]
            for item in pack.approvals_done
        ],
        id_="approvals-table",
    )
    waiting = table(
        ["Record", "Version", "Opened", "Waiting for", "Evidence"],
        [
            [
                f"{item.record_ref} {item.title}",
                f"v{item.version}",
                when(item.opened_at, zone),
                bullets(item.waiting_for),
                seq_links(item.seqs),
            ]
            for item in pack.approvals_open
        ],
    )
    return [
        tag("h2", e("Approvals"), id="approvals"),
        *part("Decided in the period", len(pack.approvals_done), done, "None was completed."),
        *part("Waiting for a decision now", len(pack.approvals_open), waiting, "None is waiting."),
    ]


def _decision(decision: Decision, zone: ZoneInfo) -> str:
    who = decision.by + (f" for {decision.on_behalf_of}" if decision.on_behalf_of else "")
    return f"{decision.slot}: {decision.verdict} by {who}, {when(decision.at, zone)}"


def activity_sections(pack: PackFigures, zone: ZoneInfo) -> list[Html]:
    return [*_reviews(pack, zone), *_incidents(pack, zone), *_use(pack)]


def _reviews(pack: PackFigures, zone: ZoneInfo) -> list[Html]:
    done = table(
        ["Record", "Due", "Outcome", "By", "When", "Evidence"],
        [
            [
                f"{item.record_ref} {item.title}",
                item.due_on,
                item.outcome,
                item.by,
                when(item.at, zone),
                seq_links([item.seq]),
            ]
            for item in pack.reviews_done
        ],
        id_="reviews-table",
    )
    overdue = table(
        ["Record", "Was due", "Overdue", "Lapsed", "Evidence"],
        [
            [
                f"{item.record_ref} {item.title}",
                day(item.due_on),
                plural(item.days, "day"),
                "yes" if item.lapsed else "no",
                seq_links(item.seqs),
            ]
            for item in pack.reviews_overdue
        ],
        id_="overdue-table",
    )
    return [
        tag("h2", e("Reviews"), id="reviews"),
        *part("Done in the period", len(pack.reviews_done), done, "None was completed."),
        *part("Overdue now", len(pack.reviews_overdue), overdue, "None is overdue."),
    ]


def _incidents(pack: PackFigures, zone: ZoneInfo) -> list[Html]:
    rows = [
        [
            item.ref,
            when(item.reported_at, zone),
            item.severity,
            f"serious: {item.serious}; people harmed: {'yes' if item.people_harmed else 'no'}",
            item.about,
            item.what_happened,
            _incident_state(item.status, item.closed_at, zone),
            bullets(x for x in (item.root_cause, item.corrective_action) if x),
            seq_links(item.seqs),
        ]
        for item in pack.incidents
    ]
    headers = ["Incident", "Reported", "Severity", "Harm", "About", "What happened", "Status"]
    headers += ["Root cause, corrective action", "Evidence"]
    return [
        tag("h2", e(f"Incidents reported in the period ({len(pack.incidents)})"), id="incidents"),
        table(headers, rows, id_="incidents-table")
        if rows
        else none_line("No incident was reported in the period."),
    ]


def _incident_state(status: str, closed_at: datetime | None, zone: ZoneInfo) -> str:
    return f"closed {when(closed_at, zone)}" if status == "closed" and closed_at else status


def _use(pack: PackFigures) -> list[Html]:
    parts = [tag("h2", e("Policy answers and the AI gateway"), id="use")]
    if pack.answers is None and pack.gateway is None:
        parts.append(none_line("No policy question was answered and the gateway saw nothing."))
    if pack.answers is not None:
        parts += _answers(pack.answers)
    if pack.gateway is not None:
        parts += _gateway(pack.gateway)
    return parts


def _answers(answers: AnswerFigures) -> list[Html]:
    rows: list[list[str]] = [
        ["Questions answered", str(answers.answers.count), cited(answers.answers)],
        ["Covered by the policies", str(answers.covered.count), cited(answers.covered)],
        [
            "Not covered (a gap in the policies)",
            str(answers.uncovered.count),
            cited(answers.uncovered),
        ],
        ["Rated helpful", str(answers.helpful.count), cited(answers.helpful)],
        ["Rated unhelpful", str(answers.unhelpful.count), cited(answers.unhelpful)],
    ]
    rows += [
        [
            f"Asked about {tool.name} (not in the catalogue)",
            str(tool.cited.count),
            cited(tool.cited),
        ]
        for tool in answers.unknown_tools
    ]
    return [
        tag("h3", e("Policy answers")),
        table(["Figure", "Count", "Evidence"], rows, id_="answers-table"),
    ]


def _gateway(gateway: GatewayFigures) -> list[Html]:
    rows = [
        [use.record_ref, use_line(use), seq_links(gateway.per_use.get(use.record_ref, []))]
        for use in gateway.stats.uses
    ]
    shadow = join([e(shadow_line(gateway.stats.shadow) + " "), cited(gateway.shadow)])
    return [
        tag("h3", e(f"AI gateway ({plural(gateway.decisions.count, 'request')} decided)")),
        table(["Use", "What the gateway did", "Evidence"], rows, id_="gateway-table"),
        tag("p", join([tag("strong", e("Requests with no key or an unknown key: ")), shadow])),
        tag("p", join([e("All decisions: "), cited(gateway.decisions)]), class_="small"),
    ]
