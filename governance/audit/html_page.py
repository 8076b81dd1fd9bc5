"""The audit pack's index.html: one self-contained page an auditor reads offline (inline CSS, no
script, no other file), every figure linked to the evidence events behind it, which are listed
at the end with their hashes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from governance.audit.html_parts import (
    STYLE,
    Html,
    e,
    join,
    none_line,
    plural,
    seq_links,
    table,
    tag,
    when,
)
from governance.audit.html_sections import activity_sections, register_sections
from governance.audit.pack_models import PackFigures, PackInfo
from governance.soa import (
    DEFAULT_JUSTIFICATION,
    ControlStatus,
    KindEvidence,
    SoaStatus,
    period_text,
)

STANDARD = "ISO/IEC 42001:2023 Annex A (with NIST AI RMF 1.0 and EU AI Act mapping)"
SECTIONS = (
    ("about", "About"),
    ("soa", "Statement of Applicability"),
    ("register", "Register"),
    ("approvals", "Approvals"),
    ("reviews", "Reviews"),
    ("incidents", "Incidents"),
    ("use", "Answers and gateway"),
    ("evidence", "Evidence cited"),
)


def render(pack: PackFigures) -> str:
    zone = ZoneInfo(pack.info.timezone)
    title = f"Audit pack: {pack.info.organisation}"
    body = join(
        [
            tag("h1", e(title)),
            tag("p", e(STANDARD), class_="muted"),
            tag("nav", join(tag("a", e(label), href=f"#{key}") for key, label in SECTIONS)),
            _about(pack.info, zone),
            _soa(pack, zone),
            *register_sections(pack, zone),
            *activity_sections(pack, zone),
            _evidence(pack, zone),
        ]
    )
    head = (
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        + tag("title", e(title))
        + tag("style", Html(STYLE))
    )
    return "<!DOCTYPE html>\n" + tag("html", tag("head", Html(head)) + tag("body", body), lang="en")


def _about(info: PackInfo, zone: ZoneInfo) -> Html:
    head = (
        f"{plural(info.events, 'event')}, the last #{info.events} with hash {info.head_hash}"
        if info.head_hash
        else "no events"
    )
    signing = (
        f"Ed25519 key {info.key_fingerprint}; latest signed digest: no. {info.digest}"
        if info.key_fingerprint and info.digest
        else info.key_fingerprint or "no signing key configured (run `aims keys init`)"
    )
    rows = [
        ("Organisation", info.organisation),
        ("Scope", info.scope),
        ("Period", period_text(info.period, zone)),
        ("Pack made", f"{when(info.generated_at, zone)} ({zone.key}) by {info.generated_by}"),
        ("Evidence ledger", head),
        ("Signing", signing),
        ("Verify", "python verify_pack.py .  (see VERIFY.md in this folder)"),
    ]
    cells = join(tag("tr", tag("td", e(label)) + tag("td", e(value))) for label, value in rows)
    table = tag("table", tag("tbody", cells), class_="about", id="about-table")
    return join([tag("h2", e("About this pack"), id="about"), table])


def _soa(pack: PackFigures, zone: ZoneInfo) -> Html:
    counts = pack.soa_summary
    summary = ", ".join(f"{counts[status]} {status.label}" for status in SoaStatus)
    rows = [_soa_row(row, zone) for row in pack.soa]
    headers = ["Control", "Applies, and why", "How AIMS Bot implements it", "Status"]
    headers += ["Evidence in period", "Sample events"]
    return join(
        [
            tag("h2", e("Statement of Applicability"), id="soa"),
            tag("p", e(f"{len(pack.soa)} controls: {summary}.")),
            none_line(
                "operating: at least one event in the period shows the control working; no "
                "evidence in period: AIMS Bot implements it but no event in the period shows "
                "it; not implemented: it has to be done outside AIMS Bot; not applicable: the "
                "organisation excluded it, with the justification shown."
            ),
            table(headers, rows, id_="soa-table", row_class="control"),
        ]
    )


def _soa_row(row: ControlStatus, zone: ZoneInfo) -> list[str]:
    control = join(
        [
            tag("strong", e(row.control)),
            e(f" {row.title}"),
            tag("div", e(f"{row.objective} {row.objective_title}"), class_="muted small"),
        ]
    )
    if not row.applicable:
        applies = f"Not applicable: {row.justification}"
    elif row.justification == DEFAULT_JUSTIFICATION:
        applies = "Applies (not excluded in aims.yaml)."
    else:
        applies = f"Applies: {row.justification}"
    how = join([e(row.how), tag("div", e(_how_details(row)), class_="muted small")])
    status = tag("span", e(row.status.label), class_=f"status {row.status.value}")
    lines = [f"{item.kind} ×{item.count} ({_span(item, zone)})" for item in row.evidence]
    evidence = (
        join([tag("div", e(plural(row.events, "event"))), *(tag("div", e(x)) for x in lines)])
        if row.evidence
        else e("none" if row.evidence_kinds else "-")
    )
    return [control, e(applies), how, status, evidence, seq_links(row.samples, row.events)]


def _span(item: KindEvidence, zone: ZoneInfo) -> str:
    first, last = when(item.first, zone), when(item.last, zone)
    return first if first == last else f"{first} to {last}"


def _how_details(row: ControlStatus) -> str:
    details = [f"coverage: {row.coverage.value}"]
    if row.config:
        details.append(f"aims.yaml: {', '.join(row.config)}")
    if row.nist:
        details.append(f"NIST AI RMF: {', '.join(row.nist)}")
    if row.ai_act:
        details.append(f"EU AI Act: {', '.join(row.ai_act)}")
    return "; ".join(details)


def _evidence(pack: PackFigures, zone: ZoneInfo) -> Html:
    rows = [
        tag(
            "tr",
            join(
                [
                    tag("td", e(f"#{event.seq}"), class_="n"),
                    tag("td", e(when(event.at, zone))),
                    tag("td", e(event.kind)),
                    tag("td", e(event.actor)),
                    tag("td", e(event.subject)),
                    tag("td", e(event.hash), class_="mono"),
                ]
            ),
            id=f"e{event.seq}",
        )
        for event in pack.cited
    ]
    head = tag("thead", tag("tr", join(tag("th", e(h)) for h in _EVIDENCE_HEADERS)))
    return join(
        [
            tag("h2", e("Evidence cited"), id="evidence"),
            none_line(
                "Every event this page names, by sequence number. The full events, with their "
                "payloads, are in evidence.jsonl; verify_pack.py recomputes every hash."
            ),
            tag("table", head + tag("tbody", join(rows)), id="evidence-table"),
        ]
    )


_EVIDENCE_HEADERS = ("Event", "Time", "Kind", "Actor", "Subject", "SHA-256")
