"""Reading what a passage says about a catalogue tool, and when that contradicts the catalogue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from governance.config import OrgConfig
from retrieval.chunking import chunk_document
from retrieval.conflicts import conflict_note, conflicts_in, record_conflicts, stances
from retrieval.corpus import ChunkRecord
from retrieval.documents import parse_document
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent
from tests.conftest import SAMPLE


def _chunk(text: str, section: str = "1. Note-takers") -> ChunkRecord:
    return ChunkRecord(
        id="c1",
        content_hash="h" * 64,
        document_title="Meeting Tools Update",
        section_path=(section,),
        source="/policies/meeting-tools-update.md",
        url=None,
        text=text,
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Otter.ai is approved for all Acme work.", [("Otter.ai", "permits")]),
        ("OTTER.AI IS APPROVED FOR ALL WORK.", [("Otter.ai", "permits")]),
        ("Otter.ai Is Approved For All Work", [("Otter.ai", "permits")]),
        ("Staff may use Otter for customer calls.", [("Otter.ai", "permits")]),
        ("The use of Otter.ai is now permitted.", [("Otter.ai", "permits")]),
        ("Otter is not approved.", [("Otter.ai", "forbids")]),
        ("DeepL Pro is no longer allowed.", [("DeepL Pro", "forbids")]),
        ("Do not use DeepL Pro.", [("DeepL Pro", "forbids")]),
        (
            "Microsoft 365 Copilot must not be used for Acme work.",
            [("Microsoft 365 Copilot", "forbids")],
        ),
        # Narrowed, not banned: a purpose or a class of data.
        ("Microsoft 365 Copilot must not be used to decide loans.", []),
        ("Otter.ai is not approved for customer data.", []),
        # Another product, a set-aside name, nobody.
        ("Personal Copilot Free subscriptions must not be used.", []),
        ("Use Teams transcription instead of Otter, which is approved.", []),
        ("No one may use Otter.", []),
        (
            "Otter.ai is approved for all Acme work, and Microsoft 365 Copilot is prohibited.",
            [("Otter.ai", "permits"), ("Microsoft 365 Copilot", "forbids")],
        ),
    ],
)
def test_what_a_sentence_says_about_a_tool(
    sample_config: OrgConfig, sentence: str, expected: list[tuple[str, str]]
) -> None:
    assert [
        (tool, stance.value) for tool, stance, _ in stances(sentence, sample_config.catalogue)
    ] == expected


def test_a_passage_approving_a_prohibited_tool_is_a_conflict(sample_config: OrgConfig) -> None:
    [conflict] = conflicts_in(
        [_chunk("Otter.ai is approved for all Acme work. Teams is fine too.")],
        sample_config.catalogue,
    )
    assert (conflict.tool, conflict.status.value, conflict.says.value) == (
        "Otter.ai",
        "prohibited",
        "permits",
    )
    assert conflict.sentence == "Otter.ai is approved for all Acme work."
    assert conflict.place == "Meeting Tools Update § 1. Note-takers"
    note = conflict_note([conflict], "Priya Raman (Head of AI Governance)")
    assert note == (
        "The policy documents and the catalogue disagree about Otter.ai: the catalogue says "
        "prohibited; Meeting Tools Update § 1. Note-takers says otherwise. Follow the catalogue "
        "until this is resolved, and ask Priya Raman (Head of AI Governance)."
    )


def test_a_passage_banning_an_approved_tool_is_a_conflict(sample_config: OrgConfig) -> None:
    [conflict] = conflicts_in(
        [_chunk("DeepL Pro is prohibited on all devices.")], sample_config.catalogue
    )
    assert (conflict.tool, conflict.says.value) == ("DeepL Pro", "forbids")


def test_the_sample_policies_agree_with_the_sample_catalogue(sample_config: OrgConfig) -> None:
    chunks = []
    for path in sorted((SAMPLE / "policies").glob("*.md")):
        document = parse_document(path, path.read_bytes())
        chunks += [
            ChunkRecord(
                c.id, c.content_hash, document.title, c.section_path, str(path), None, c.text
            )
            for c in chunk_document(document)
        ]
    # They do take stances (so the reader is exercised), and every one agrees.
    assert len([s for c in chunks for s in stances(c.text, sample_config.catalogue)]) >= 10
    assert conflicts_in(chunks, sample_config.catalogue) == []


def test_a_conflict_is_recorded_once_however_often_it_is_met(db, sample_config: OrgConfig) -> None:
    conflicts = conflicts_in(
        [_chunk("Otter.ai is approved for all Acme work.")], sample_config.catalogue
    )
    with db.session() as session:
        first = record_conflicts(session, conflicts, actor="U0ACME0009")
    with db.session() as session:
        again = record_conflicts(session, conflicts + conflicts, actor="U0ACME0010")
        rows = session.scalars(
            select(EvidenceEvent).where(EvidenceEvent.kind == EvidenceKind.POLICY_CONFLICT)
        ).all()
        payloads = [json.loads(row.payload) for row in rows]
    assert (len(first), again) == (1, [])
    assert [(p["tool"], p["catalogue_status"], p["place"]) for p in payloads] == [
        ("Otter.ai", "prohibited", "Meeting Tools Update § 1. Note-takers")
    ]
