"""Key rules: binding sentences quoted word for word, strongest first, spread over sections."""

from __future__ import annotations

from retrieval.key_rules import ChunkText, key_rules


def _chunk(ordinal: int, section: str, text: str) -> ChunkText:
    return ChunkText(chunk_id=f"c{ordinal}", ordinal=ordinal, section_path=[section], text=text)


def test_prohibitions_outrank_duties_and_each_section_gives_one_rule() -> None:
    chunks = [
        _chunk(0, "1 Purpose", "This policy explains how we use AI tools at work every day."),
        _chunk(
            1,
            "2 Data",
            "You must register every AI tool before you use it with real data. "
            "You must never paste customer account numbers into any chat assistant.",
        ),
        _chunk(2, "3 Reporting", "You do not need all the answers before you report a problem."),
        _chunk(3, "4 Secrets", "API keys and passwords must not go into any AI tool at all."),
        _chunk(4, "5 Questions", "Should a vendor be allowed to train on our data?"),
    ]
    rules = key_rules(chunks, limit=5)
    assert [rule.text for rule in rules] == [
        "You must never paste customer account numbers into any chat assistant.",
        "API keys and passwords must not go into any AI tool at all.",
    ]
    assert [rule.section for rule in rules] == ["2 Data", "4 Secrets"]


def test_the_pick_is_limited_and_shown_in_policy_order() -> None:
    chunks = [
        _chunk(n, f"{n} Section", f"Staff must follow rule number {n} of this policy at all times.")
        for n in range(8)
    ]
    rules = key_rules(chunks, limit=3)
    assert [rule.chunk_id for rule in rules] == ["c0", "c1", "c2"]
