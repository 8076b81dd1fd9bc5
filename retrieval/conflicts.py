"""Policy passages that say the opposite of the tool catalogue about a tool.

The catalogue is the organisation's verdict on each tool; a passage that names a prohibited tool
as approved (or an approved tool as prohibited) is either stale or planted, and quoting it under
a "No: prohibited" verdict tells the asker both things at once. Such passages are never cited:
the answer says the two disagree, names the place and the governance leads, and the ledger keeps
the conflict (once) for the weekly digest.

Reading is deterministic and sentence-level, so every conflict can be explained by quoting one
sentence. A sentence takes a stance on a tool when a permissive phrase ("is approved", "may use")
or a restrictive one ("is prohibited", "is not approved", "must not be used") applies to the
tool's name: phrases of the "X is approved" shape apply to the names before them, phrases of the
"may use X" shape to the names after them, within one clause and up to the next phrase. A sentence
saying both about one tool takes no stance. Restricted tools have no yes/no verdict to contradict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.config import CatalogueTool, ToolStatus
from retrieval.corpus import ChunkRecord
from retrieval.text import sha256_text, split_sentences, strip_bullet
from retrieval.tools import Mention, tool_mentions
from store import evidence
from store.evidence_kinds import EvidenceKind
from store.models import EvidenceEvent


class Stance(StrEnum):
    PERMITS = "permits"
    FORBIDS = "forbids"


CATALOGUE_STANCE: dict[ToolStatus, Stance] = {
    ToolStatus.APPROVED: Stance.PERMITS,
    ToolStatus.APPROVED_WITH_CONDITIONS: Stance.PERMITS,
    ToolStatus.PROHIBITED: Stance.FORBIDS,
    ToolStatus.UNDER_REVIEW: Stance.FORBIDS,
}
_STATUS_WORDS = {
    ToolStatus.APPROVED: "approved",
    ToolStatus.APPROVED_WITH_CONDITIONS: "approved with conditions",
    ToolStatus.RESTRICTED: "restricted",
    ToolStatus.PROHIBITED: "prohibited",
    ToolStatus.UNDER_REVIEW: "under review (not to be used yet)",
}

_PERMIT = (
    r"(?:approved|allowed|permitted|authori[sz]ed|sanctioned|cleared|whitelisted|allow-?listed)"
)
_FORBID = (
    r"(?:prohibited|banned|forbidden|blocked|disallowed|blacklisted|block-?listed|"
    rf"not\s+(?:yet\s+)?{_PERMIT}|no\s+longer\s+{_PERMIT})"
)
_COPULA = r"(?:is|are|was|were|has been|have been|remains?|stays?|becomes?)"
_ADVERBS = r"(?:\s+(?:now|also|fully|officially|hereby|strictly|still|only|generally))*"
_USE = r"(?:use|install|invite|access|sign up (?:to|for))"
_NEGATIVE = r"(?:must not|may not|mustn't|cannot|can't|should not|shouldn't|do not|don't|never)"

# (pattern, what it says, "before": it applies to the names before it; "after": to those after)
_PHRASES: tuple[tuple[re.Pattern[str], Stance, str], ...] = (
    (re.compile(rf"\b{_COPULA}{_ADVERBS}\s+{_PERMIT}\b"), Stance.PERMITS, "before"),
    (re.compile(rf"\b{_COPULA}{_ADVERBS}\s+{_FORBID}\b"), Stance.FORBIDS, "before"),
    (re.compile(rf"\b(?:isn't|aren't|wasn't|weren't)\s+{_PERMIT}\b"), Stance.FORBIDS, "before"),
    (re.compile(rf"\b(?:may|can|could){_ADVERBS}\s+be\s+used\b"), Stance.PERMITS, "before"),
    (
        re.compile(
            r"\b(?:(?:must|may|should|can|shall)\s*not|cannot|(?:must|should|shall)\s+never|"
            r"may\s+no\s+longer)\s+be\s+used\b"
        ),
        Stance.FORBIDS,
        "before",
    ),
    (
        re.compile(
            rf"\b(?:may|can|could){_ADVERBS}\s+{_USE}\b|\b(?:is|are)\s+(?:free|welcome|"
            rf"allowed|permitted)\s+to\s+{_USE}\b|\b(?:has|have)\s+(?:now\s+)?"
            rf"(?:approved|allowed|authori[sz]ed|cleared)\b|\bapproved\s+tools?\s+(?:include|are)\b"
        ),
        Stance.PERMITS,
        "after",
    ),
    (
        re.compile(
            rf"\b{_NEGATIVE}{_ADVERBS}\s+{_USE}\b|\b(?:is|are)\s+not\s+(?:allowed|permitted)\s+"
            rf"to\s+{_USE}\b|\b(?:has|have)\s+(?:now\s+)?(?:banned|prohibited|blocked)\b"
        ),
        Stance.FORBIDS,
        "after",
    ),
)
# Clauses: a stance never reaches across these.
_CLAUSE_BREAK = re.compile(
    r"[;|]|\b(?:but|however|whereas|while|although|though|except|unlike|instead|rather than|"
    r"unless|other than)\b"
)
# "No one may use X" permits nothing.
_NOBODY = re.compile(r"\b(?:no one|nobody|no staff|no employee|none of)\b")
# A name that is qualified into another product ("personal Copilot", "ChatGPT Free") or set
# aside ("not Otter", "except Otter") says nothing about the catalogue entry.
_QUALIFIED_BEFORE = re.compile(
    r"\b(?:personal|free|consumer|private|home|individual|unofficial|unapproved|not|except|"
    r"excluding|than|instead of|apart from)\s+$"
)
_QUALIFIED_AFTER = re.compile(r"^\s+(?:free|plus|pro|personal|individual|consumer)\b")
# Followed by a capitalised word that is not part of its name, a name is another product
# ("Claude Code", "Copilot Chat"); a verb or a joining word is not ("Otter.ai Is Approved").
_PRODUCT_WORD = re.compile(
    r"^\s+(?!(?i:is|are|was|were|has|have|had|may|can|could|must|should|shall|will|remains?|"
    r"becomes?|and|or|nor|for|in|on|at|to|of|with|not|now|also|only)\b)[A-Z][\w.-]*"
)
# A restriction with a purpose, data class or circumstance ("must not be used to decide...",
# "is not approved for customer data") narrows the tool's use; it does not ban the tool.
_NARROWED = re.compile(
    r"^\s*(?:to|when|if|with|by|as|unless|until|without|outside|where|"
    r"for(?!\s+(?:any\s+|all\s+)?(?:[\w.-]+\s+)?(?:work|business|purposes?)\b))\b"
)


@dataclass(frozen=True)
class Conflict:
    """A passage saying the opposite of the catalogue about one tool."""

    tool: str
    status: ToolStatus
    says: Stance
    sentence: str
    chunk: ChunkRecord

    @property
    def place(self) -> str:
        """Where it is, as a person would cite it: "Document § Section"."""
        section = self.chunk.section_path[-1] if self.chunk.section_path else ""
        return f"{self.chunk.document_title} § {section}" if section else self.chunk.document_title

    @property
    def subject(self) -> str:
        """One ledger subject per tool, catalogue status and passage (the dedupe key)."""
        passage = sha256_text(f"{self.chunk.source}\n{self.chunk.content_hash}")[:16]
        return f"policy-conflict:{self.tool[:60]}:{self.status.value}:{passage}"

    def payload(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "catalogue_status": self.status.value,
            "passage_says": self.says.value,
            "sentence": self.sentence,
            "document": self.chunk.document_title,
            "section": list(self.chunk.section_path),
            "place": self.place,
            "source": self.chunk.source,
            "chunk_id": self.chunk.id,
            "chunk_hash": self.chunk.content_hash,
        }


def stances(text: str, catalogue: Sequence[CatalogueTool]) -> list[tuple[str, Stance, str]]:
    """(tool name, stance, sentence) for each sentence of `text` that takes one on a tool."""
    found: list[tuple[str, Stance, str]] = []
    for sentence in split_sentences(text):
        sentence = strip_bullet(sentence)
        for tool, stance in _sentence_stances(sentence, catalogue).items():
            found.append((tool, stance, sentence))
    return found


def conflicts_in(
    chunks: Iterable[ChunkRecord], catalogue: Sequence[CatalogueTool]
) -> list[Conflict]:
    """The first conflicting sentence per (chunk, tool)."""
    by_name = {tool.name: tool for tool in catalogue}
    conflicts: list[Conflict] = []
    for chunk in chunks:
        seen: set[str] = set()
        for name, stance, sentence in stances(chunk.text, catalogue):
            tool = by_name[name]
            expected = CATALOGUE_STANCE.get(tool.status)
            if expected is None or stance is expected or name in seen:
                continue
            seen.add(name)
            conflicts.append(Conflict(name, tool.status, stance, sentence, chunk))
    return conflicts


def _sentence_stances(sentence: str, catalogue: Sequence[CatalogueTool]) -> dict[str, Stance]:
    lowered = sentence.lower()
    mentions = _plain_mentions(sentence, tool_mentions(sentence, catalogue))
    if not mentions:
        return {}
    said: dict[str, set[Stance]] = {}
    for start, end in _clauses(lowered):
        clause_mentions = [m for m in mentions if start <= m.start < end]
        if not clause_mentions:
            continue
        for name, stance in _clause_stances(lowered, start, end, clause_mentions):
            said.setdefault(name, set()).add(stance)
    return {name: next(iter(found)) for name, found in said.items() if len(found) == 1}


def _clauses(lowered: str) -> list[tuple[int, int]]:
    cuts = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(lowered)), len(lowered)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _clause_stances(
    lowered: str, start: int, end: int, mentions: list[Mention]
) -> list[tuple[str, Stance]]:
    clause = lowered[start:end]
    phrases = sorted(
        (start + m.start(), start + m.end(), stance, direction)
        for pattern, stance, direction in _PHRASES
        for m in pattern.finditer(clause)
    )
    result: list[tuple[str, Stance]] = []
    for index, (p_start, p_end, stance, direction) in enumerate(phrases):
        if stance is Stance.PERMITS and _NOBODY.search(lowered[start:p_start]):
            continue
        if direction == "before":
            low = phrases[index - 1][1] if index else start
            window, narrowed_from = (low, p_start), p_end
        else:
            high = phrases[index + 1][0] if index + 1 < len(phrases) else end
            window, narrowed_from = (p_end, high), -1
        targets = [m for m in mentions if window[0] <= m.start and m.end <= window[1]]
        for mention in targets:
            tail = lowered[narrowed_from if narrowed_from >= 0 else mention.end : end]
            if stance is Stance.FORBIDS and _NARROWED.match(tail):
                continue
            result.append((mention.tool.name, stance))
    return result


def _plain_mentions(sentence: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions that name the catalogue entry itself: not qualified into another product, not
    set aside or in a parenthesis, and not a bare family name ("ChatGPT") beside a named variant
    ("ChatGPT Free")."""
    lowered = sentence.lower()
    kept = []
    for mention in mentions:
        before, after = lowered[max(0, mention.start - 20) : mention.start], lowered[mention.end :]
        if _QUALIFIED_BEFORE.search(before) or _QUALIFIED_AFTER.match(after):
            continue
        # (Offsets are into the lower-cased text; the original case is read only when the two
        # line up, which is every text but a few exotic scripts.)
        cased = sentence[mention.end :] if len(sentence) == len(lowered) else ""
        if _PRODUCT_WORD.match(cased) or _in_parenthesis(lowered, mention):
            continue
        text = lowered[mention.start : mention.end]
        if any(
            other.tool is not mention.tool
            and text in lowered[other.start : other.end]
            and (other.end - other.start) > (mention.end - mention.start)
            for other in mentions
        ):
            continue
        kept.append(mention)
    return kept


def _in_parenthesis(lowered: str, mention: Mention) -> bool:
    opened = lowered[: mention.start]
    return opened.count("(") > opened.count(")")


# --- what the answer says, and what the ledger keeps ------------------------------------------


def conflict_note(conflicts: Sequence[Conflict], ask: str) -> str:
    """The answer's account of a disagreement: both sides, the place, who resolves it."""
    lines = []
    for tool in dict.fromkeys(c.tool for c in conflicts):
        mine = [c for c in conflicts if c.tool == tool]
        places = "; ".join(dict.fromkeys(c.place for c in mine))
        lines.append(
            f"The policy documents and the catalogue disagree about {tool}: the catalogue says "
            f"{_STATUS_WORDS[mine[0].status]}; {places} says otherwise. Follow the catalogue "
            f"until this is resolved, and ask {ask}."
        )
    return "\n".join(lines)


def record_conflicts(
    session: Session, conflicts: Sequence[Conflict], *, actor: str, now: datetime | None = None
) -> list[Conflict]:
    """Append a policy.conflict event for each conflict not already in the ledger."""
    subjects = {c.subject for c in conflicts}
    if not subjects:
        return []
    known = set(
        session.scalars(
            select(EvidenceEvent.subject).where(
                EvidenceEvent.kind == EvidenceKind.POLICY_CONFLICT,
                EvidenceEvent.subject.in_(subjects),
            )
        )
    )
    recorded = []
    for conflict in conflicts:
        if conflict.subject in known:
            continue
        known.add(conflict.subject)
        evidence.append(
            session,
            actor=actor,
            kind=EvidenceKind.POLICY_CONFLICT,
            subject=conflict.subject,
            payload=conflict.payload(),
            now=now,
        )
        recorded.append(conflict)
    return recorded
