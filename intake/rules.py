"""Rule-based extraction: what a description or an answer says about the register fields.

Rules are the default and the authority: they are predictable, explainable ("matched
'customer-facing'") and cheap. Each finding carries the phrase that triggered it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.config import CatalogueTool
from retrieval.tools import find_tools


@dataclass
class Findings:
    """Field values (JSON form) and, for each, the phrase that justified it."""

    values: dict[str, Any] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, value: Any, phrase: str) -> None:
        self.values[name] = value
        self.why[name] = phrase

    def add_to(self, name: str, item: str, phrase: str) -> None:
        items: list[str] = self.values.setdefault(name, [])
        if item not in items:
            items.append(item)
            said = [p for p in self.why.get(name, "").split(", ") if p]
            if phrase not in said:
                self.why[name] = ", ".join([*said, phrase])


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0).strip() if match else None


PEOPLE = (
    r"(?:people|persons?|individuals?|customers?|clients?|applicants?|candidates?|"
    r"employees?|staff|colleagues?|workers?|students?|pupils?|learners?|borrowers?|"
    r"members?|users?|citizens?|patients?|tenants?|claimants?|policyholders?|"
    r"agents?|managers?|recruits?|hires?|visitors?|apprentices?|trainees?|"
    r"callers?|suspects?|debtors?|drivers?)"
)

# --- tool, vendor, supplier ------------------------------------------------------------------
_IN_HOUSE = _rx(
    r"in[- ]house",
    r"(?:build|built|building|develop\w*|train\w*) (?:our own|"
    r"(?:it|this|a model|the model|a classifier) ourselves|a (?:custom|bespoke) "
    r"(?:model|classifier|system))",
    r"our own (?:model|classifier|system|tool)",
    r"(?:data science|machine learning|ml|engineering) team (?:is |are |has |have )?"
    r"(?:build|built|building|develop\w*|train\w*)",
    r"home[- ]grown",
    r"(?:we|i) (?:will |are going to |want to |plan to )?(?:build|train|develop) "
    r"(?:a |an |our )",
)
_MODEL_VERSION = _rx(
    r"gpt-?\d(?:\.\d)?(?:o|-turbo|-mini| mini| turbo)?",
    r"claude (?:\d(?:\.\d)?"
    r" )?(?:sonnet|opus|haiku)(?: \d(?:\.\d)?)?",
    r"llama ?\d(?:\.\d)?",
    r"mistral(?: large| small| 7b)?",
    r"gemini (?:\d(?:\.\d)? )?(?:pro|flash|"
    r"ultra)",
    r"xgboost",
    r"bert\b",
)
_GENERIC_VENDORS: dict[str, tuple[str, str]] = {
    # phrase → (tool, vendor) for well-known services outside the sample catalogue
    "azure openai": ("Azure OpenAI Service", "Microsoft"),
    "openai api": ("OpenAI API", "OpenAI"),
    "aws bedrock": ("Amazon Bedrock", "Amazon Web Services"),
    "amazon bedrock": ("Amazon Bedrock", "Amazon Web Services"),
    "salesforce einstein": ("Salesforce Einstein", "Salesforce"),
    "einstein": ("Salesforce Einstein", "Salesforce"),
    "workday": ("Workday AI", "Workday"),
    "servicenow": ("ServiceNow Now Assist", "ServiceNow"),
    "google cloud vertex": ("Vertex AI", "Google"),
    "vertex ai": ("Vertex AI", "Google"),
    "hugging face": ("Hugging Face model", "Hugging Face"),
    "intercom fin": ("Intercom Fin", "Intercom"),
    "synthesia": ("Synthesia", "Synthesia"),
    "elevenlabs": ("ElevenLabs", "ElevenLabs"),
    "clearview": ("Clearview AI", "Clearview AI"),
    "textio": ("Textio", "Textio"),
}


def detect_tool(text: str, catalogue: Sequence[CatalogueTool]) -> Findings:
    found = Findings()
    tools = find_tools(text, list(catalogue))
    if tools:
        tool = tools[0]
        found.put("tool", tool.name, f'catalogue: "{tool.name}"')
        found.put("vendor", tool.vendor, f"catalogue vendor of {tool.name}")
        found.put("third_party", True, f"{tool.name} is a supplier's product")
    else:
        lowered = text.lower()
        for name, (tool_name, vendor) in _GENERIC_VENDORS.items():
            if re.search(rf"\b{re.escape(name)}\b", lowered):
                found.put("tool", tool_name, f'"{name}"')
                found.put("vendor", vendor, f'"{name}"')
                found.put("third_party", True, f'"{name}" is a supplier\'s service')
                break
    if "third_party" not in found.values and (phrase := _first(_IN_HOUSE, text)):
        found.put("third_party", False, f'"{phrase}"')
        found.put("tool", "Built in-house", f'"{phrase}"')
    if phrase := _first(_MODEL_VERSION, text):
        found.put("model_version", phrase, f'"{phrase}"')
    return found


# --- audience, people, data ------------------------------------------------------------------
_DEPLOYMENT: list[tuple[str, re.Pattern[str]]] = [
    (
        "public",
        _rx(
            r"\bpublic[- ]facing\b",
            r"(?:general |wider )?public\b(?!(?: [\w-]+){0,2} (?:information|"
            r"data|sources|documents|web|internet|websites?|pages|holidays|sector|"
            r"domain|stock|images?|photos?|records|transport|sources|registers?|"
            r"filings|texts?|content|statements?|reports?|consultations?|publications?|"
            r"articles?|research|rates|terms|commentary|materials?|datasets?|"
            r"announcements?|prices?|tenders?|guidance|regulations?|sites?|pages?))",
            r"anyone (?:on|visiting) (?:the|our) (?:web)?site",
            r"open to everyone",
            r"social media (?:posts?|followers)",
        ),
    ),
    (
        "customer-facing",
        _rx(
            r"customer[- ]facing",
            r"client[- ]facing",
            r"(?:to|for|with|"
            r"by) (?:our |the )?(?:customers|clients|borrowers|"
            r"policyholders|members|applicants|candidates|merchants)\b",
            r"customers? (?:will|can|would|could) (?:use|see|chat|talk|"
            r"receive|get|interact)",
            r"(?:on|in|through) (?:our|the) "
            r"(?:website|app|mobile app|banking app|web chat|live chat|"
            r"help ?centre)(?! (?:repositor\w*|code\w*|team|backend|"
            r"developers|releases?))",
            r"(?:customers|clients)'? (?:see|receive|get)",
            r"sent to (?:customers|clients|applicants|candidates)",
            r"(?:replies|responses|emails|letters|messages) to "
            r"(?:customers|clients|complaints|customer complaints)",
            r"chatbot for customers",
            r"(?:final )?response letters?",
            r"customers?'? (?:emails?|messages?|chats?|questions|queries)\b.{0,60}"
            r"\b(?:repl\w+|respon\w+|answers?)\b",
        ),
    ),
    (
        "employee-facing",
        _rx(
            r"employee[- ]facing",
            r"staff[- ]facing",
            r"(?:all|every) "
            r"(?:staff|employees|colleagues)",
            r"(?:staff|employees|"
            r"colleagues) (?:will|can|could) (?:use|ask|chat|see)",
            r"(?:for|to) (?:our |all )?(?:staff|employees|colleagues|"
            r"workers|agents)\b(?! (?:data|records|performance))",
            r"(?:intranet|employee (?:portal|helpdesk|self-service))",
            r"(?:hr|it|people) (?:helpdesk|help desk|chatbot|assistant) for",
            r"(?:staff|employees?|colleagues?)'? (?:emails?|questions|queries|"
            r"requests)",
        ),
    ),
    (
        "internal",
        _rx(
            r"\binternal(?:ly)? (?:only|use|tool|team)\b",
            r"only (?:my|our|the) "
            r"team",
            r"back[- ]office",
            r"(?:my|our|the) (?:\w+ )?team only",
            r"only for (?:my|our|the) (?:\w+ )?team",
            r"(?:nobody|no one) outside (?:the|my|our) "
            r"team",
            r"just (?:me|us|our team)",
            r"within (?:my|our|the) team",
            r"only (?:analysts|engineers|developers|the \w+ team)",
            r"only (?:the |our )?(?:[\w&]+ ){0,2}(?:analysts|engineers|developers|underwriters|"
            r"investigators|desk)\b(?! and (?:customers|clients|the public))",
            r"\binternal (?:project |team )?meetings\b",
        ),
    ),
]

_AFFECTED: list[tuple[str, re.Pattern[str]]] = [
    (
        "customers",
        _rx(
            r"customers?",
            r"clients?",
            r"borrowers?",
            r"policyholders?",
            r"account holders?",
            r"merchants?",
            r"complain\w+",
        ),
    ),
    (
        "job applicants",
        _rx(
            r"(?:job )?applicants? for (?:jobs|roles)",
            r"candidates?",
            r"job applicants?",
            r"\bcvs?\b",
            r"recruit\w*",
            r"hiring",
        ),
    ),
    (
        "loan applicants",
        _rx(
            r"(?:loan|credit|mortgage) applicants?",
            r"applicants? for "
            r"(?:loans?|credit|mortgages?)",
            r"loan applications?",
        ),
    ),
    (
        "employees",
        _rx(
            r"employees?",
            r"\bstaff\b",
            r"colleagues?",
            r"workers?",
            r"call[- ]centre agents?",
            r"\bagents'",
        ),
    ),
    ("students", _rx(r"students?", r"pupils?", r"learners?", r"apprentices?")),
    ("children", _rx(r"children", r"\bkids\b", r"minors\b", r"under[- ]18s?")),
    (
        "the public",
        _rx(
            r"(?:general |wider )?public\b(?!(?: [\w-]+){0,2} (?:information|data|sources|"
            r"documents|web|internet|websites?|reports?|filings|records|publications?|"
            r"articles?|research|rates|terms|commentary|materials?|datasets?|content|"
            r"statements?|prices?|guidance|regulations?|pages?|sector|holidays|transport))",
            r"citizens?",
            r"voters?",
            r"passers[- ]by",
            r"visitors?",
        ),
    ),
    ("patients", _rx(r"patients?")),
]

_DATA: list[tuple[str, re.Pattern[str]]] = [
    (
        "special-category",
        _rx(
            r"health (?:data|information|records|conditions?|details|issues|problems)",
            r"illness(?:es)?",
            r"medical",
            r"biometric",
            r"fac(?:e|es|ial) (?:images?|photos?|scans?|"
            r"recognition)",
            r"ethnic\w*",
            r"\brace\b",
            r"religio\w*",
            r"sexual orientation",
            r"sexuality",
            r"trade union",
            r"disabilit\w*",
            r"criminal (?:records?|convictions?|offen\w*)",
            r"genetic",
            r"sickness (?:absence|records)",
            r"political "
            r"(?:views|opinions)",
            r"special[- ]category",
            r"mental health",
            r"\bvoices?\b(?! (?:of|and|assistants?|notes))",
            r"webcam",
            r"pregnan\w*",
        ),
    ),
    (
        "personal",
        _rx(
            r"personal (?:data|information|details)",
            r"names?\b(?! of (?:the )?"
            r"(?:files?|products?|tools?|documents?))",
            r"e-?mail addresses",
            r"addresses\b",
            r"phone numbers?",
            r"dates? of birth",
            r"\bcvs?\b",
            r"résumés?",
            r"candidates?",
            r"applicants?",
            r"employees?'? "
            r"(?:data|records|details|performance|information)",
            r"customers?'? "
            r"(?:data|records|details|information|accounts?|transactions?|"
            r"complaints?|emails?|messages?|calls?|conversations?|chats?|"
            r"names|histor\w*|profiles?|letters?|cases?|"
            r"balances?|arrears)",
            r"customer (?:complaints?|emails?|"
            r"calls?|conversations?|chats?|messages?|records|data|accounts?|"
            r"details|information|profiles?|histor\w*|letters?|transactions?|"
            r"correspondence|cases?|files?|behaviou?r)",
            r"(?:loan|credit|mortgage) applicants?",
            r"transaction (?:data|"
            r"histor\w*)",
            r"credit (?:files?|histor\w*|reports?|scor\w*)",
            r"payslips?",
            r"salar\w+",
            r"bank statements?",
            r"\bid documents?",
            r"passports?",
            r"selfies?",
            r"recordings? of (?:calls|customers|staff|"
            r"meetings)",
            r"call recordings?",
            r"performance (?:reviews?|ratings?|"
            r"data)",
            r"interviews?",
            r"photos? of (?:people|customers|staff)",
            r"social media (?:profiles?|activity|accounts?)",
            r"(?:staff|employee|hr) (?:data|"
            r"records|files)",
            r"personal(?:ly identifiable)?",
            r"\bpii\b",
            r"who (?:said|spoke)",
            r"(?:student|pupil) (?:records|data|essays?|"
            r"work)",
            r"meeting (?:recordings?|transcripts?)",
            r"(?:staff|employee|colleague|customer|client)s?'? (?:chats?|messages?"
            r"|conversations?|emails?|faces?|voices?|behaviou?r|activity)",
            r"(?:calls?|chats?|emails?|messages?|letters?) (?:from|with|of) "
            r"(?:customers|clients|borrowers|applicants|candidates|employees|"
            r"staff|colleagues)",
            r"complaints?",
            r"(?:employee|staff|worker|customer|applicant|"
            r"candidate|student|patient|tenant)s?'? (?:\w+ )?(?:records|histor\w*|"
            r"details|files|data)",
            r"attendance|absence records|timesheets|"
            r"payslips?|payroll",
            r"customers?'? (?:\w+ )?(?:claims?|disputes?|chargebacks?|documents?|uploads?)",
        ),
    ),
    (
        "customer",
        _rx(
            r"customers?'? (?:data|records|details|information|accounts?|"
            r"transactions?|complaints?|emails?|messages?|calls?|conversations?|"
            r"chats?|names|histor\w*|profiles?|letters?|cases?)",
            r"customer (?:data|records|details|information|accounts?|transactions?|"
            r"complaints?|emails?|messages?|calls?|conversations?|chats?|letters?|"
            r"cases?|histor\w*|profiles?|tickets?|feedback|reviews?|"
            r"survey)",
            r"clients?'? (?:data|records|accounts?|files?|emails?|"
            r"details)",
            r"(?:loan|credit|mortgage) applications?",
            r"transaction (?:data|histor\w*|records)",
            r"support tickets?",
            r"complaints?",
            r"(?:calls?|chats?|emails?|messages?|letters?) "
            r"(?:from|with|of) (?:customers|clients|borrowers|applicants)",
            r"(?:account|payment) (?:data|histor\w*)",
            r"bank statements?",
            r"(?:loan|credit|mortgage) applicants?",
            r"customers?'? "
            r"(?:letters?|balances?|arrears|behaviou?r)",
            r"(?:customer|client) (?:satisfaction )?survey",
            r"customers?'? (?:\w+ )?(?:claims?|disputes?|chargebacks?|documents?|uploads?)",
            r"transaction details",
            r"credit (?:files?|histor\w*|reports?)",
            r"application (?:data|forms?)",
        ),
    ),
    (
        "confidential",
        _rx(
            r"confidential",
            r"source code",
            r"\bcode\b",
            r"(?:our |the )?"
            r"(?:code ?base|repositor\w+)",
            r"contracts?",
            r"board (?:papers|"
            r"packs?|minutes)",
            r"financial (?:results|forecasts?|models?)",
            r"strategy (?:documents?|papers?)",
            r"trade secrets?",
            r"unpublished",
            r"m&a",
            r"pricing models?",
            r"legal advice",
            r"audit (?:reports?|findings)",
            r"risk reports?",
            r"(?:security|incident) (?:logs?|reports?)",
            r"post[- ]?mortems?",
            r"model (?:documentation|validation)",
        ),
    ),
    (
        "internal",
        _rx(
            r"internal (?:documents?|data|policies|procedures|wiki|notes|reports?|"
            r"knowledge|information|emails?|guidance|faqs?)",
            r"(?:our )?(?:policies|"
            r"procedures|handbooks?|playbooks?|runbooks?)",
            r"confluence",
            r"sharepoint",
            r"intranet",
            r"meeting notes",
            r"\bwiki\b",
            r"(?:team|internal) (?:docs|documentation)",
            r"\bjira\b",
            r"(?:it|service ?desk|helpdesk) tickets?",
            r"knowledge base",
            r"product (?:documentation|docs|information)",
            r"(?:spreadsheets|presentations|slide decks|internal reports)\b",
            r"survey (?:answers|responses|results)",
            r"sensor data",
            r"(?:town hall|internal) (?:videos?|recordings?|meetings?)",
        ),
    ),
    (
        "public",
        _rx(
            r"public(?:ly available)?(?: [\w-]+){0,2} (?:information|data|sources|documents|"
            r"web|internet|websites?|pages|reports?|filings|publications?|articles?|"
            r"research|commentary|datasets?|statements?|rates|terms)",
            r"press releases?",
            r"(?:our )?(?:website|"
            r"blog|marketing) (?:copy|content|posts?|articles?|images?)",
            r"published (?:articles?|research|reports?)",
            r"news articles?",
            r"open data",
            r"public web",
            r"regulations?\b",
            r"regulatory (?:texts?|publications?|guidance)",
            r"marketing (?:copy|"
            r"images?|campaigns?|materials?|content)",
            r"stock (?:images?|photos?)",
            r"background images?",
        ),
    ),
]


def detect_audience(text: str) -> Findings:
    found = Findings()
    for value, pattern in _DEPLOYMENT:
        if phrase := affirmed(pattern, text):
            found.put("deployment", value, f'"{phrase}"')
            break
    for label, pattern in _AFFECTED:
        if phrase := affirmed(pattern, text):
            found.add_to("affected_people", label, f'"{phrase}"')
    return found


# A negation earlier in the same clause: "no customer data", "never shown to customers",
# "we don't use any personal data".
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|nor|excluding|except|none|nothing about)\b|n't\b", re.I
)
_CLAUSE_END = re.compile(r"[.;:,!?()\-–—]|\b(?:but|so|while|although|though|whereas)\b", re.I)


def negated(text: str, start: int) -> bool:
    """Whether the words just before `start` (within its clause, up to six words) negate it."""
    before = text[max(0, start - 60) : start]
    clause = _CLAUSE_END.split(before)[-1]
    words = clause.split()[-6:]
    return bool(_NEGATION.search(" ".join(words)))


def affirmed(pattern: re.Pattern[str], text: str) -> str | None:
    """The first mention that is not negated: "no customer data" says nothing is used."""
    for match in pattern.finditer(text):
        if not negated(text, match.start()):
            return match.group(0).strip()
    return None


def detect_data(text: str) -> Findings:
    found = Findings()
    for category, pattern in _DATA:
        if phrase := affirmed(pattern, text):
            found.add_to("data_categories", category, f'"{phrase}"')
    cats = found.values.get("data_categories", [])
    if "special-category" in cats and "personal" not in cats:
        # Special category data is personal data first (UK GDPR Art. 9).
        cats.append("personal")
    return found
