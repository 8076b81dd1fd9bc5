"""The weekly digest for the governance leads: the text that presents the week's figures
(governance/digest_figures.py) and the once-a-week claim that publishes it through the outbox.

The PNG chart is drawn outside the domain (scheduler/digest_chart.py) and handed in as a
function, so nothing here does I/O beyond the caller's session.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from governance import outbox
from governance.acknowledgements.models import CampaignFigures
from governance.config import OrgConfig
from governance.digest_figures import (
    DUE_SOON_DAYS,
    TIER_COLUMNS,
    UNTIERED,
    Count,
    DigestFigures,
    Item,
    LedgerHead,
    StatusTierRow,
    collect_figures,
    ledger_head,
)
from governance.errors import ValidationProblem
from governance.gateway.stats import GatewayStats, shadow_line, use_line
from governance.policy_findings import conflict_line, withheld_line
from governance.reviews import fmt_day, local_today
from governance.training import CourseCoverage
from store import evidence, ledger_verify
from store.evidence_kinds import EvidenceKind
from store.outbox_kinds import OutboxKind
from store.review_models import ScheduledClaim

# The figures are read in digest_figures; callers keep importing them from here.
__all__ = [
    "DigestFigures",
    "LedgerHead",
    "claim_once",
    "collect_figures",
    "digest_key",
    "digest_text",
    "ledger_head",
    "ledger_line",
    "publish_digest",
]

# Items a list shows before "…and N more" and the command that lists them all.
LIST_CAP = 15


# --- presentation ---------------------------------------------------------------------------


def digest_text(figures: DigestFigures) -> str:
    """The digest as Slack mrkdwn that also reads well in a terminal."""
    head = (
        f"*Weekly AI governance digest, {figures.organisation}*: "
        f"{fmt_day(figures.week_start)} to {fmt_day(figures.week_end)}"
    )
    ledger = ledger_line(figures.ledger)
    register = register_table(figures.register_by_status)
    training = training_lines(figures.training)
    if figures.quiet:
        quiet = (
            "Nothing to report this week: no new registrations, no approvals waiting, no "
            "reviews due or overdue, no open incidents, no open acknowledgement campaigns, no "
            "policy questions and nothing to fix in the policy documents."
        )
        return "\n\n".join(part for part in (head, quiet, register, training, ledger) if part)
    sections = [
        _section(
            "New registrations",
            figures.new_registrations,
            lambda i: i.detail,
            "aims register list",
        ),
        _section(
            "Approvals pending",
            figures.approvals_pending,
            lambda i: f"{i.detail}, waiting {_days(i.days)}",
            "aims approvals list",
        ),
        _section(
            f"Reviews due in the next {DUE_SOON_DAYS} days",
            figures.reviews_due,
            lambda i: i.detail,
            "aims register list",
        ),
        _section(
            "Reviews overdue",
            figures.reviews_overdue,
            lambda i: f"{i.detail}, {_days(i.days)} overdue",
            "aims register list",
        ),
        _section(
            "Open incidents",
            figures.open_incidents,
            lambda i: f"{i.detail}, open {_days(i.days)}",
            "aims incident list",
        ),
        feedback_section(figures),
        *_standing_sections(figures),
        _lines(
            "Open policy acknowledgement campaigns",
            [campaign_line(c) for c in figures.acknowledgements],
            "aims ack status",
        ),
        _counts("Most asked policy questions", figures.top_questions),
        _counts(
            "Tools people asked about that are not in the catalogue (possible shadow AI)",
            figures.unknown_tools,
        ),
        *_gateway_sections(figures.gateway),
        _lines(
            "Policy text that contradicts the tool catalogue (fix the document or the catalogue)",
            [conflict_line(c) for c in figures.policy_conflicts],
            "aims policies conflicts",
        ),
        _lines(
            "Policy passages withheld from answers: written as instructions to a system (fix "
            "the document, or trust it with `aims policies trust`)",
            [withheld_line(p) for p in figures.withheld_passages],
            "aims policies flagged",
        ),
        register,
        training,
        ledger,
    ]
    return "\n\n".join(part for part in (head, *sections) if part)


def feedback_section(figures: DigestFigures) -> str:
    """Feedback received this week, and the records with feedback still open; nothing at all
    when there is neither."""
    if not figures.feedback_received and not figures.open_feedback:
        return ""
    received = figures.feedback_received
    head = f"*Feedback from people affected by AI uses:* {received} received this week"
    if not figures.open_feedback:
        return f"{head}; none open"
    lines = [f"{i.ref} {i.title} ({i.detail})" for i in figures.open_feedback]
    return f"{head}; open, per record:\n" + "\n".join(_capped(lines, "aims feedback list"))


def _standing_sections(figures: DigestFigures) -> list[str]:
    """What stays listed every week until a lead settles it; nothing at all when none."""
    sections = []
    if figures.prohibited_tool_uses:
        sections.append(
            _section(
                "Register records of tools the catalogue prohibits (reject, retire or fix the "
                "record)",
                figures.prohibited_tool_uses,
                lambda i: i.detail,
                "aims register list",
            )
        )
    if figures.disputed_tiers:
        sections.append(
            _section(
                "Imported records whose spreadsheet tier the rules disagree with (confirm or "
                "override with `aims register override-tier`)",
                figures.disputed_tiers,
                lambda i: i.detail,
                "aims register list",
            )
        )
    return sections


def register_table(rows: list[StatusTierRow]) -> str:
    """The register by status and risk tier, as a fixed-width table (a code block in Slack);
    empty when the register is."""
    if not rows:
        return ""
    columns = [t for t in TIER_COLUMNS if t != UNTIERED or any(r.by_tier.get(t) for r in rows)]
    headings = ["status", *columns, "total"]
    body = [
        [row.status.replace("_", " "), *(_cell(row.by_tier.get(t, 0)) for t in columns)]
        + [str(row.total)]
        for row in rows
    ]
    totals = [sum(row.by_tier.get(t, 0) for row in rows) for t in columns]
    body.append(["all", *(_cell(n) for n in totals), str(sum(totals))])
    widths = [max(len(line[i]) for line in [headings, *body]) for i in range(len(headings))]

    def line(cells: list[str]) -> str:
        first, *numbers = cells
        return "  ".join(
            [first.ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(numbers, widths[1:], strict=True)]
        ).rstrip()

    total = sum(row.total for row in rows)
    table = "\n".join(line(cells) for cells in [headings, *body])
    records = "1 record" if total == 1 else f"{total} records"
    return f"*Register by status and risk tier ({records}):*\n```\n{table}\n```"


def campaign_line(campaign: CampaignFigures) -> str:
    """ACK-0001 Acceptable Use of AI Tools: 2/3 acknowledged, 1 pending, 0 overdue (due …)."""
    return (
        f"{campaign.ref} {campaign.document}: {campaign.acknowledged}/{campaign.asked} "
        f"acknowledged, {campaign.pending} pending, {campaign.overdue} overdue "
        f"(due {fmt_day(campaign.due_on)})"
        + (
            "; the policy has changed since: ask again for the new version"
            if campaign.stale
            else ""
        )
    )


def training_lines(courses: list[CourseCoverage]) -> str:
    """Per required course, how many of those who need it have it; empty when no course is
    required (no `training:` in aims.yaml)."""
    if not courses:
        return ""
    lines = [
        f"{c.course}: {c.trained}/{c.required} trained ({c.percent}%)"
        + (f", {len(c.missing)} missing" if c.missing else "")
        for c in courses
    ]
    return "*Training coverage (required courses):*\n" + "\n".join(
        _capped(lines, "aims training status")
    )


def _cell(count: int) -> str:
    return str(count) if count else "-"


def ledger_line(ledger: LedgerHead | None) -> str:
    """The head of the evidence ledger, for the record outside the database."""
    if ledger is None:
        return "*Evidence ledger:* empty"
    head = f"*Evidence ledger:* head #{ledger.seq} `{ledger_verify.short(ledger.head_hash)}`"
    if ledger.digest is None:
        return f"{head}; not signed (`aims keys init` makes a signing key)"
    return (
        f"{head}; latest signed digest no. {ledger.digest}, signature `{ledger.signature}` "
        f"(key `{ledger.key}`). Kept here so a copy lives outside the database."
    )


def _gateway_sections(stats: GatewayStats | None) -> list[str]:
    """Per use: requests, redactions by kind, refusals by reason, keys; then, apart, requests
    with unknown, revoked or missing keys."""
    if stats is None:
        return []
    return [
        _lines(
            "AI requests through the gateway, per use",
            [use_line(u) for u in stats.uses],
            "aims gateway stats",
        ),
        "*Requests with unknown, revoked or missing gateway keys (possible shadow AI):* "
        + shadow_line(stats.shadow),
    ]


def _capped(lines: list[str], command: str) -> list[str]:
    """At most LIST_CAP bullets; the rest is counted, with the command that lists them all."""
    shown = [f"\u2022 {line}" for line in lines[:LIST_CAP]]
    if len(lines) > LIST_CAP:
        shown.append(f"\u2022 \u2026and {len(lines) - LIST_CAP} more: `{command}`")
    return shown


def _lines(title: str, lines: list[str], command: str) -> str:
    if not lines:
        return f"*{title}:* none"
    return f"*{title} ({len(lines)}):*\n" + "\n".join(_capped(lines, command))


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _section(title: str, items: list[Item], describe: Callable[[Item], str], command: str) -> str:
    return _lines(title, [f"{i.ref} {i.title} ({describe(i)})" for i in items], command)


def _counts(title: str, counts: list[Count]) -> str:
    if not counts:
        return f"*{title}:* none"
    return f"*{title}:*\n" + "\n".join(f"\u2022 {c.label} ({c.count}\u00d7)" for c in counts)


# --- publishing, once a week ----------------------------------------------------------------


def claim_once(session: Session, *, key: str, worker: str, now: datetime) -> bool:
    """Insert the claim row unless it exists. A concurrent insert of the same key waits for the
    first transaction and then does nothing; a rolled-back claim frees the key again."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ScheduledClaim).values(key=key, claimed_by=worker, claimed_at=now)
    # RETURNING, because an ORM-level insert reports no reliable rowcount.
    claimed = session.execute(
        statement.on_conflict_do_nothing(index_elements=["key"]).returning(ScheduledClaim.key)
    ).first()
    return claimed is not None


def digest_key(config: OrgConfig, now: datetime) -> str:
    year, week, _ = local_today(config, now).isocalendar()
    return f"digest:{year}-W{week:02d}"


def publish_digest(
    session: Session,
    *,
    config: OrgConfig,
    now: datetime,
    worker: str,
    chart: Callable[[DigestFigures], bytes] | None = None,
) -> str:
    """Queue this week's digest (text, then the chart) unless a replica already did."""
    if config.digest is None:
        raise ValidationProblem("no digest is configured: add `digest: {channel: C…}` to aims.yaml")
    key = digest_key(config, now)
    if not claim_once(session, key=key, worker=worker, now=now):
        return f"{key} already sent"
    figures = collect_figures(session, config=config, now=now)
    channel = config.digest.channel
    outbox.enqueue(
        session,
        key=key,
        channel=channel,
        text=digest_text(figures),
        kind=OutboxKind.DIGEST_WEEKLY,
        subject=key,
    )
    if chart is not None and not figures.quiet:
        image = base64.b64encode(chart(figures)).decode("ascii")
        outbox.enqueue(
            session,
            key=f"{key}:chart",
            channel=channel,
            op="upload",
            thread_of=key,
            kind=OutboxKind.DIGEST_CHART,
            subject=key,
            text="This week in numbers",
            attachment=outbox.Attachment(
                filename=f"{key.replace(':', '-')}.png",
                content_base64=image,
                title="This week in numbers",
            ),
        )
    evidence.append(
        session,
        actor=worker,
        kind=EvidenceKind.DIGEST_QUEUED,
        subject=key,
        now=now,
        payload={
            "channel": channel,
            "quiet": figures.quiet,
            "counts": dict(figures.chart_series()),
        },
    )
    return f"{key} queued" + (" (quiet week)" if figures.quiet else "")
