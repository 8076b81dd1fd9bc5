"""The Statement of Applicability: statuses an auditor reads, computed from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.approvals.service import open_request_for, slots_of
from governance.config import OrgConfig, parse_config
from governance.errors import ConfigError, ValidationProblem
from governance.frameworks import frameworks
from governance.models import RiskTier
from governance.soa import (
    DEFAULT_JUSTIFICATION,
    ControlStatus,
    SoaStatus,
    parse_period,
    statement_of_applicability,
    summary,
)
from store.models import EvidenceEvent
from tests.governance.approvals.helpers import act, submitted

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "aims.yaml"


def _soa(app_context, config: OrgConfig | None = None, period=None) -> dict[str, ControlStatus]:
    with app_context.db.session() as session:
        rows = statement_of_applicability(session, config or app_context.config, period)
    return {row.control: row for row in rows}


def _approved(app_context, now: datetime, tier: RiskTier = RiskTier.MINIMAL) -> str:
    """A record submitted and approved by every approver, at `now`."""
    with app_context.db.session() as session:
        record = submitted(session, app_context.config, tier, now)
        request = open_request_for(session, record.ref)
        for slot in slots_of(session, request):
            act(session, app_context.config, record.ref, slot.key, slot.approvers[0], now=now)
        return record.ref


def _with_soa(app_context, section: str) -> OrgConfig:
    return parse_config(app_context.config_path.read_text(encoding="utf-8") + section)


def test_a_control_reads_no_evidence_in_period_then_operating_after_an_approval(app_context, now):
    before = _soa(app_context)
    assert len(before) == 38
    assert before["A.5.2"].status is SoaStatus.NO_EVIDENCE
    assert before["A.5.2"].status.label == "no evidence in period"
    assert before["A.5.2"].evidence == [] and before["A.5.2"].samples == []

    _approved(app_context, now)

    after = _soa(app_context)
    row = after["A.5.2"]
    assert row.status is SoaStatus.OPERATING
    counts = {item.kind: item.count for item in row.evidence}
    assert counts == {"approval.requested": 1, "approval.completed": 1}
    assert all(item.first == item.last == now for item in row.evidence)
    # The samples are real events of the kinds that show this control.
    with app_context.db.session() as session:
        kinds = session.scalars(
            select(EvidenceEvent.kind).where(EvidenceEvent.seq.in_(row.samples))
        ).all()
    assert len(row.samples) == 2 and set(kinds) == set(counts)
    assert after["A.9.2"].status is SoaStatus.OPERATING  # processes for responsible use
    assert after["A.3.2"].status is SoaStatus.OPERATING  # named approvers decided
    assert after["A.8.4"].status is SoaStatus.NO_EVIDENCE  # no incident yet


def test_counts_are_per_kind_over_the_period_and_samples_are_spread_across_kinds(app_context, now):
    for day in range(3):
        _approved(app_context, now + timedelta(days=day))
    row = _soa(app_context)["A.9.2"]
    counts = {item.kind: item.count for item in row.evidence}
    assert counts["approval.requested"] == 3 and counts["approval.completed"] == 3
    requested = next(item for item in row.evidence if item.kind == "approval.requested")
    assert (requested.first, requested.last) == (now, now + timedelta(days=2))
    assert len(requested.samples) == 3 and requested.samples == sorted(requested.samples)[::-1]
    # Five samples for the control, from more than one kind, newest first.
    assert len(row.samples) == 5 and row.samples == sorted(row.samples, reverse=True)
    with app_context.db.session() as session:
        kinds = set(
            session.scalars(select(EvidenceEvent.kind).where(EvidenceEvent.seq.in_(row.samples)))
        )
    assert len(kinds) >= 3


def test_only_events_inside_the_period_count(app_context, now):
    _approved(app_context, now)
    hour = timedelta(hours=1)
    assert _soa(app_context, period=(now - hour, now + hour))["A.5.2"].status is (
        SoaStatus.OPERATING
    )
    assert _soa(app_context, period=(now + hour, now + 2 * hour))["A.5.2"].status is (
        SoaStatus.NO_EVIDENCE
    )
    # The start is included, the end is not.
    assert _soa(app_context, period=(now, now + hour))["A.5.2"].status is SoaStatus.OPERATING
    assert _soa(app_context, period=(now - hour, now))["A.5.2"].status is SoaStatus.NO_EVIDENCE
    # Either end may be open.
    assert _soa(app_context, period=(None, now + hour))["A.5.2"].status is SoaStatus.OPERATING
    assert _soa(app_context, period=(now + hour, None))["A.5.2"].status is SoaStatus.NO_EVIDENCE


def test_a_control_the_organisation_excludes_reads_not_applicable_with_its_justification(
    app_context, now
):
    _approved(app_context, now)
    config = _with_soa(
        app_context,
        "\nsoa:\n"
        "  not_applicable:\n"
        "    A.6.1.2: We do not develop AI systems; we buy them.\n"
        "    A.9.2: Pretend we do not use AI at all.\n"
        "  applicable:\n"
        "    A.4.5: Hosting is inventoried in ServiceNow.\n",
    )
    rows = _soa(app_context, config)
    assert rows["A.6.1.2"].status is SoaStatus.NOT_APPLICABLE
    assert rows["A.6.1.2"].applicable is False
    assert rows["A.6.1.2"].justification == "We do not develop AI systems; we buy them."
    # Excluded wins over evidence: the auditor still sees the events, but not as operating.
    assert rows["A.9.2"].status is SoaStatus.NOT_APPLICABLE and rows["A.9.2"].events > 0
    # Saying why a control applies does not pretend AIMS Bot implements it.
    assert rows["A.4.5"].applicable and rows["A.4.5"].status is SoaStatus.NOT_IMPLEMENTED
    assert rows["A.4.5"].justification == "Hosting is inventoried in ServiceNow."
    assert rows["A.5.2"].justification == DEFAULT_JUSTIFICATION
    assert summary(rows.values())[SoaStatus.NOT_APPLICABLE] == 2


def test_by_default_every_control_applies_and_what_aims_bot_cannot_do_says_so(app_context):
    rows = _soa(app_context)
    assert all(row.applicable for row in rows.values())
    competence = rows["A.4.5"]
    assert competence.status is SoaStatus.NOT_IMPLEMENTED
    assert competence.how.startswith("Not implemented") and "inventor" in competence.how
    assert competence.evidence_kinds == []
    counts = summary(rows.values())
    assert sum(counts.values()) == 38 and counts[SoaStatus.NOT_APPLICABLE] == 0
    assert counts[SoaStatus.NOT_IMPLEMENTED] == sum(
        1 for row in frameworks().implementation.values() if row.coverage == "none"
    )


def test_each_row_carries_the_frameworks_and_config_behind_the_control(app_context):
    row = _soa(app_context)["A.6.2.8"]
    assert row.title == "AI system recording of event logs"
    assert row.objective == "A.6" and row.objective_title == "AI system life cycle"
    assert "Art. 12" in row.ai_act and "MEASURE 2.8" in row.nist
    assert "gateway.decision" in row.evidence_kinds and "slack.inbound" in row.evidence_kinds
    assert "gateway" in row.config


# --- aims.yaml soa: ---------------------------------------------------------------------------


def test_an_unknown_control_in_soa_is_named_with_its_line_and_a_suggestion(app_context):
    with pytest.raises(ConfigError) as error:
        _with_soa(app_context, "\nsoa:\n  not_applicable:\n    A.6.12: We do not develop.\n")
    lines = app_context.config_path.read_text(encoding="utf-8").count("\n")
    assert f"aims.yaml:{lines + 4}: soa.not_applicable.A.6.12: 'A.6.12' is not an ISO/IEC " in (
        str(error.value)
    )
    assert "did you mean 'A.6.1.2'?" in str(error.value)


def test_an_exclusion_without_a_justification_is_refused(app_context):
    with pytest.raises(ConfigError) as error:
        _with_soa(app_context, '\nsoa:\n  not_applicable:\n    A.6.1.2: "  "\n')
    assert "soa.not_applicable.A.6.1.2: give the justification" in str(error.value)


def test_the_commented_example_in_the_sample_aims_yaml_is_valid():
    text = SAMPLE.read_text(encoding="utf-8")
    example = text[text.index("# soa:") :].split("\n\n")[0]  # up to the next section
    uncommented = "\n".join(line.removeprefix("# ") for line in example.splitlines())
    config = parse_config(text + "\n" + uncommented)
    assert config.soa.not_applicable and config.soa.applicable


# --- --period ---------------------------------------------------------------------------------


def test_a_period_of_dates_is_whole_days_where_the_organisation_is():
    start, end = parse_period("2026-03-01..2026-03-31", "Europe/London")
    assert start == datetime(2026, 3, 1, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 23, tzinfo=UTC)  # 1 April 00:00 BST, TO included
    assert parse_period("2026-03-01..", "UTC") == (datetime(2026, 3, 1, tzinfo=UTC), None)
    _, until = parse_period("..2026-03-31T17:00", "UTC")
    assert until == datetime(2026, 3, 31, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-03-01", "write FROM..TO"),
        ("2026-13-01..2026-03-31", "is not a date"),
        ("2026-03-31..2026-03-01", "ends"),
    ],
)
def test_a_period_a_person_mistyped_is_explained(text: str, message: str):
    with pytest.raises(ValidationProblem) as error:
        parse_period(text, "UTC")
    assert message in str(error.value)
