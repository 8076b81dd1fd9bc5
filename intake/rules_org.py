"""Rules for who and where: business unit, owner, supplier answers, and a title."""

from __future__ import annotations

import re

from governance.config import OrgConfig
from intake.rules import Findings, _first, _rx

UNITS: dict[str, str] = {
    # phrase (lower case) → the business unit's name as the register shows it
    "customer operations": "Customer Operations",
    "customer service": "Customer Operations",
    "customer support": "Customer Operations",
    "contact centre": "Customer Operations",
    "call centre": "Customer Operations",
    "complaints": "Customer Operations",
    "support team": "Customer Operations",
    "hr": "People (HR)",
    "people team": "People (HR)",
    "human resources": "People (HR)",
    "talent acquisition": "People (HR)",
    "recruitment": "People (HR)",
    "recruiting": "People (HR)",
    "marketing": "Marketing",
    "brand": "Marketing",
    "finance": "Finance",
    "legal": "Legal",
    "compliance": "Compliance",
    "risk": "Risk",
    "credit risk": "Credit Risk",
    "lending": "Lending",
    "underwriting": "Lending",
    "collections": "Collections",
    "payments": "Payments",
    "fraud": "Financial Crime",
    "financial crime": "Financial Crime",
    "aml": "Financial Crime",
    "engineering": "Engineering",
    "platform": "Engineering",
    "developers": "Engineering",
    "it": "IT",
    "it service desk": "IT",
    "service desk": "IT",
    "security": "Security",
    "data science": "Data Science",
    "analytics": "Data Science",
    "sales": "Sales",
    "procurement": "Procurement",
    "internal audit": "Internal Audit",
    "audit": "Internal Audit",
    "facilities": "Facilities",
    "learning and development": "People (HR)",
    "l&d": "People (HR)",
    "training team": "People (HR)",
    "product": "Product",
    "savings": "Savings",
    "treasury": "Treasury",
    "communications": "Communications",
    "comms": "Communications",
    "investor relations": "Finance",
    "design": "Product",
    "operations": "Operations",
    "research": "Research",
    "partnerships": "Partnerships",
    "growth": "Growth",
    "customer insight": "Customer Insight",
    "office of the ceo": "Office of the CEO",
    "onboarding": "Operations",
    "onboarding operations": "Operations",
    "credit": "Credit Risk",
    "platform engineering": "Engineering",
    "acme academy": "People (HR)",
    "academy": "People (HR)",
    "contact centre team": "Customer Operations",
    "brand team": "Marketing",
    "payroll": "Payroll",
    "mortgages": "Lending",
    "wellbeing": "People (HR)",
}
_UNIT_CONTEXT = re.compile(
    r"\b(?:in|for|from|our|the|my|by)\s+(?:the\s+)?("
    + "|".join(re.escape(k) for k in sorted(UNITS, key=len, reverse=True))
    + r")\s+(?:team|department|dept|function|unit|division|org|teams|staff|colleagues)\b",
    re.I,
)
_UNIT_ALTERNATIVES = "|".join(re.escape(k) for k in sorted(UNITS, key=len, reverse=True))
# "Financial crime want…", "The payments platform team…": a unit as the sentence's subject.
_UNIT_SUBJECT = re.compile(
    r"(?:^|[.!?]\s+)(?:the\s+|our\s+|my\s+)?(" + _UNIT_ALTERNATIVES + r")(?:\s+\w+)?"
    r"(?:\s+(?:team|teams|department|function|colleagues))?\s+(?:want|wants|would|asked|"
    r"ask|are|is|has|have|need|needs|plan|plans|proposed|suggested|runs?|team|department)\b",
    re.I,
)
_UNIT_BARE = re.compile(
    r"^\s*(?:the\s+|our\s+|my\s+)?("
    + "|".join(re.escape(k) for k in sorted(UNITS, key=len, reverse=True))
    + r")(?:\s+(?:team|department|dept|function|unit|division))?\s*[.!]?\s*$",
    re.I,
)

_LOCATION: list[tuple[str, re.Pattern[str]]] = [
    ("UK", _rx(r"\buk\b", r"united kingdom", r"britain", r"london", r"\bgb\b")),
    (
        "EU/EEA",
        _rx(
            r"\beu\b",
            r"\beea\b",
            r"europe\w*",
            r"ireland",
            r"dublin",
            r"frankfurt",
            r"germany",
            r"netherlands",
            r"amsterdam",
            r"france",
            r"paris",
            r"sweden",
        ),
    ),
    (
        "US",
        _rx(
            r"\bus\b",
            r"\busa\b",
            r"united states",
            r"america\w*",
            r"virginia",
            r"california",
            r"oregon",
        ),
    ),
    (
        "unknown",
        _rx(
            r"(?:don't|do not|dont) know",
            r"not sure",
            r"unknown",
            r"no idea",
            r"unsure",
            r"not known",
        ),
    ),
]
_LOCATION_CONTEXT = _rx(
    r"(?:hosted|processed|stored|located|data cent(?:re|er)s?|region|"
    r"servers?|data residency|tenant)\b.{0,40}"
)

_CONTRACT: list[tuple[str, re.Pattern[str]]] = [
    (
        "no",
        _rx(
            r"\bno (?:contract|dpa|agreement)",
            r"(?:don't|do not|haven't|have not) "
            r"(?:have|got|signed) (?:a |any )?(?:contract|dpa)",
            r"no contract yet",
            r"^\s*no\b",
            r"(?:just|only) (?:the )?(?:free|click[- ]through|standard terms)",
            r"personal (?:account|subscription)",
        ),
    ),
    (
        "in progress",
        _rx(
            r"in progress",
            r"negotiat\w+",
            r"being (?:signed|drafted|reviewed|"
            r"agreed)",
            r"procurement (?:is|are) (?:on|working)",
            r"pending",
            r"waiting for",
            r"(?:not|isn't|is not) signed yet",
            r"under review",
            r"in (?:legal|procurement) review",
            r"about to sign",
        ),
    ),
    (
        "not sure",
        _rx(
            r"not sure",
            r"(?:don't|do not|dont) know",
            r"unsure",
            r"no idea",
            r"unknown",
            r"maybe",
            r"probably",
        ),
    ),
    (
        "yes",
        _rx(
            r"^\s*(?:yes|yep|yeah|y)\b",
            r"(?:dpa|contract|agreement)s? (?:is |are )?"
            r"(?:signed|in place|agreed)",
            r"(?:signed|have|got) (?:a |the |our )?"
            r"(?:dpa|contract|data processing agreement|enterprise agreement|msa)",
            r"enterprise (?:agreement|licen[cs]e|contract)",
            r"covered by (?:our |the )?"
            r"(?:existing |microsoft |enterprise )?(?:contract|agreement|licen[cs]e|dpa)",
            r"existing (?:contract|agreement|licen[cs]e)",
        ),
    ),
]


def detect_unit(text: str, *, answering: bool = False) -> Findings:
    """The business unit a description names as the user of the AI (a known unit, never the
    team that merely builds it); an answer to the question may name any team."""
    found = Findings()
    match = _UNIT_SUBJECT.search(text)
    if match and not _proper_unit(match):
        match = None
    match = match or _UNIT_CONTEXT.search(text) or _UNIT_BARE.search(text)
    if match and _built_by(text, match):
        match = None
    if match:
        found.put("business_unit", UNITS[match.group(1).lower()], f'"{match.group(0).strip()}"')
        return found
    named = _ANY_TEAM.search(text)
    if named is None or _built_by(text, named):
        return found
    name = re.sub(r"\s+(?:ops|operations)$", "", named.group(1).strip().lower())
    if name in UNITS or f"{name} team" in UNITS:
        unit = UNITS.get(name) or UNITS[f"{name} team"]
        found.put("business_unit", unit, f'"{named.group(0)}"')
    elif answering:
        # An unlisted team is still a team when it is the answer: "the lettings team".
        found.put("business_unit", named.group(1).strip().title(), f'"{named.group(0)}"')
    return found


def _built_by(text: str, match: re.Match[str]) -> bool:
    """ "built by our data science team": the builder, not the user."""
    return bool(_BUILDER.search(text[max(0, match.start() - 20) : match.start() + 4]))


_BUILDER = re.compile(r"\b(?:built|developed|made|run|maintained)\s+by\b", re.I)


_ANY_TEAM = re.compile(
    r"\b(?:the|our|my)\s+((?:[A-Za-z&]+\s+){0,1}[A-Za-z&]+)\s+team\b(?!\s+"
    r"(?:leaders?|members?|managers?))",
    re.I,
)


def _proper_unit(match: re.Match[str]) -> bool:
    """A sentence-initial unit counts when it reads as a name: "IT want…", not "It runs…"."""
    word = match.group(1)
    if word.lower() == "it":
        return word == "IT"
    return word[:1].isupper() or bool(re.search(r"team|department", match.group(0), re.I))


def parse_unit_answer(text: str) -> str:
    """A typed business unit: a known one by its register name, otherwise as typed."""
    found = detect_unit(text, answering=True)
    if "business_unit" in found.values:
        return str(found.values["business_unit"])
    lowered = text.strip().lower().rstrip(".")
    lowered = re.sub(r"^(?:the|our|my)\s+|\s+(?:team|department|dept)$", "", lowered)
    if lowered in UNITS:
        return UNITS[lowered]
    return text.strip().rstrip(".")[:200]


def match_person(text: str, config: OrgConfig, requester: str) -> str | None:
    """A Slack id from a mention, "me", an id, or a person's name in the config."""
    stripped = text.strip()
    if mention := re.search(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>", stripped):
        return mention.group(1)
    if re.fullmatch(
        r"(?:it'?s |that'?s |the owner is )?(?:me|myself|i am|i'm|i will be|"
        r"i'll be|mine|me please)[.!]?",
        stripped,
        re.I,
    ):
        return requester
    if config.person(stripped.upper()):
        return stripped.upper()
    said = " ".join(stripped.lower().rstrip(".!").split())
    full = [p for p in config.people if " ".join(p.name.lower().split()) == said]
    if full:
        return full[0].slack_id
    # One word is a first or last name, when exactly one person has it; more words must be
    # someone's whole name ("Dana Whitfield" is not Dana Okafor).
    if " " in said:
        return None
    named = [
        p for p in config.people if said in (p.name.split()[0].lower(), p.name.split()[-1].lower())
    ]
    return named[0].slack_id if len(named) == 1 else None


_OWNER = _rx(
    r"(?:owner (?:is|will be)|owned by|accountable (?:is|will be)|"
    r"business owner[:,]?)\s+(<@[A-Z0-9|]+>|me\b|[A-Z][a-z]+(?: [A-Z][a-z]+)?)",
    r"(<@[A-Z0-9|]+>|[A-Z][a-z]+(?: [A-Z][a-z]+)?) (?:will be|is) (?:the )?"
    r"(?:business )?owner",
)


def detect_owner(text: str, config: OrgConfig, requester: str) -> Findings:
    found = Findings()
    match = _OWNER.search(text)
    if match:
        who = next(g for g in match.groups() if g)
        person = match_person(who, config, requester)
        if person:
            found.put("owner", person, f'"{match.group(0)}"')
    return found


def detect_supplier(text: str, *, answering: bool = False) -> Findings:
    """Where data is processed and whether a contract exists; looser when answering directly."""
    found = Findings()
    scope = text if answering else " ".join(m.group(0) for m in _LOCATION_CONTEXT.finditer(text))
    for value, pattern in _LOCATION:
        if scope and (phrase := _first(pattern, scope)):
            found.put("data_location", value, f'"{phrase}"')
            break
    contract_scope = (
        text
        if answering
        else " ".join(
            s for s in re.split(r"[.;\n]", text) if re.search(r"contract|dpa|agreement", s, re.I)
        )
    )
    for value, pattern in _CONTRACT:
        if contract_scope and (phrase := _first(pattern, contract_scope)):
            found.put("contract_dpa", value, f'"{phrase}"')
            break
    return found


# "We'd like to", "The collections team wants to", "Marketing want": who wants it, which the
# title leaves out; the verb after it ("use", "translate", "build") is the requester's and stays.
_LEAD_IN = re.compile(
    r"^\s*(?:(?:we|i|(?:our|my|the) [\w&'-]+(?: [\w&'-]+){0,3}|[A-Z][\w&-]*(?: [\w&-]+){0,2})"
    r"(?:'d|'re| would| are)?\s+"
    r"(?:would like|'d like|like|want|wants|plan|plans|planning|intend|intends|need|needs|"
    r"are going|going|hope|wish|are looking|looking|would love|asked whether we can|asked)"
    r"(?:\s+to)?\s+)",
    re.I,
)
_USE_SENTENCE = re.compile(
    r"\b(?:use|using|build|buy|deploy|pilot|want|wants|like|ai|model|agent|assistant|tool|bot)\b",
    re.I,
)


def make_title(description: str) -> str:
    """A short register title from the sentence that says what the use is, in the requester's
    own words: "We'd like to use DeepL to translate letters" -> "Use DeepL to translate letters"."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s|\n", description.strip()) if s.strip()]
    chosen = next(
        (s for s in sentences if _USE_SENTENCE.search(s)), sentences[0] if sentences else ""
    )
    chosen = re.sub(r"^\s*(?:hi|hello|hey|hiya|yo)\b[\s,!.-]*", "", chosen, flags=re.I)
    title = _LEAD_IN.sub("", chosen, count=1).strip().rstrip(".!?")
    title = title or chosen.strip()
    if len(title) > 80:
        title = title[:77].rsplit(" ", 1)[0] + "..."
    return (title[:1].upper() + title[1:]) if title else "New AI use"
