"""The slot plan: which questions the intake can ask, in order, and when each applies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from governance.tiering_rules import ANNEX_III_AREAS, ARTICLE_5_PRACTICES, DECISION_NONE

Kind = Literal["text", "choice", "multi", "bool", "list", "person"]
Fields = dict[str, Any]


def _always(_: Fields) -> bool:
    return True


def _third_party(fields: Fields) -> bool:
    return fields.get("third_party") is True


_SENSITIVE = {"personal", "special-category", "customer", "confidential"}


def _supplier_gets_sensitive_data(fields: Fields) -> bool:
    """Where a supplier keeps data, and under what contract, matters once the data is more
    than public or internal (or not known yet)."""
    data = fields.get("data_categories")
    return _third_party(fields) and (data is None or bool(_SENSITIVE & set(data)))


def _decides(fields: Fields) -> bool:
    return bool(fields.get("decisions_about_people", DECISION_NONE) != DECISION_NONE)


def _decides_significantly(fields: Fields) -> bool:
    """Who is affected is recorded where decisions about people matter to them; it never
    changes the tier, so a minor one is not worth the question."""
    significant = fields.get("decision_stakes") == "significant" or fields.get("annex_iii_areas")
    return _decides(fields) and bool(significant)


def _agent(fields: Fields) -> bool:
    return fields.get("autonomy") == "agent"


@dataclass(frozen=True)
class Slot:
    name: str
    label: str
    question: str
    kind: Kind = "text"
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    optional: bool = False
    help: str = ""
    applies: Callable[[Fields], bool] = _always
    # Shown on the summary's edit menu.
    editable: bool = True
    # Asked in the conversation; otherwise only set from the description, an edit or the catalogue.
    asked: bool = True


NONE_OF_THESE = "none"

SLOTS: tuple[Slot, ...] = (
    Slot(
        "purpose",
        "Purpose",
        "Describe the AI use in a sentence or two: what will it do, for whom, and with which tool?",
        help='For example: "We want Copilot to draft replies '
        'to customer complaints; an adviser checks each reply before it is sent."',
    ),
    Slot(
        "title",
        "Title",
        "What short title should the register show for it?",
        help='A few words, e.g. "Complaint reply drafting with Copilot".',
        editable=True,
    ),
    Slot(
        "tool",
        "Tool",
        'Which AI tool, product or model will you use? Say "built in-house" '
        "if your team is building it.",
        help="For example: Microsoft 365 Copilot, ChatGPT Enterprise, a vendor's product "
        "name, or built in-house.",
    ),
    Slot(
        "third_party",
        "Supplier",
        "Does it come from an outside supplier, or is it built in-house?",
        kind="bool",
        choices=(("yes", "Outside supplier"), ("no", "Built in-house")),
    ),
    Slot(
        "business_unit",
        "Business unit",
        "Which team or business unit will use it?",
        help="For example: Customer Operations, Marketing, People (HR), Lending.",
    ),
    Slot(
        "owner",
        "Business owner",
        'Who is the accountable business owner? Say "me", @mention them, or type their name.',
        kind="person",
        choices=(("me", "Me"),),
        help="The owner answers for the use, approves changes and does the reviews.",
    ),
    Slot(
        "deployment",
        "Deployment",
        "Who will use it or see what it produces?",
        kind="choice",
        choices=(
            ("internal", "Only my team (internal)"),
            ("employee-facing", "Employees across the company"),
            ("customer-facing", "Customers"),
            ("public", "The general public"),
        ),
        help="Pick the widest group that uses it or sees its output.",
    ),
    Slot(
        "data_categories",
        "Data",
        "What kinds of data will go into it? You can name "
        'several, e.g. "1, 4" or "personal and customer data".',
        kind="multi",
        choices=(
            ("personal", "Personal data"),
            ("special-category", "Special category (health, biometrics, ethnicity…)"),
            ("confidential", "Confidential business data"),
            ("customer", "Customer data"),
            ("internal", "Internal only"),
            ("public", "Public information only"),
        ),
        help="Personal data is anything about an identifiable person: names, emails, CVs, "
        "account details, call recordings.",
    ),
    Slot(
        "decisions_about_people",
        "Decisions about people",
        "Does it make or recommend "
        "decisions about individual people (e.g. hiring, credit, access to a service)?",
        kind="choice",
        choices=(
            (DECISION_NONE, "No decisions about people"),
            ("recommends", "It recommends; a person decides"),
            ("decides", "It decides by itself"),
        ),
    ),
    Slot(
        "decision_stakes",
        "Stakes",
        "How much do those decisions affect the people concerned?",
        kind="choice",
        choices=(
            (
                "significant",
                "Significantly (jobs, credit, insurance, housing, "
                "education, benefits, legal status, health)",
            ),
            ("minor", "Only in minor ways"),
        ),
        applies=_decides,
    ),
    Slot(
        "affected_people",
        "Affected people",
        "Whose lives or work does its output affect? "
        '(e.g. customers, job applicants, employees) Say "skip" if nobody in particular.',
        kind="list",
        optional=True,
        applies=_decides_significantly,
    ),
    Slot(
        "annex_iii_areas",
        "EU AI Act high-risk areas",
        'Is it used in any of these areas? Name all that apply, or "none of these".',
        kind="multi",
        choices=tuple((c.id, c.label) for c in ANNEX_III_AREAS)
        + ((NONE_OF_THESE, "None of these"),),
    ),
    Slot(
        "article_5_practices",
        "EU AI Act prohibited practices",
        "Some of the description "
        "resembles a practice the EU AI Act prohibits. Does it do any of these?",
        kind="multi",
        choices=tuple((c.id, c.label) for c in ARTICLE_5_PRACTICES)
        + ((NONE_OF_THESE, "None of these"),),
    ),
    Slot(
        "human_oversight",
        "Human oversight",
        "How do people oversee what it produces?",
        kind="choice",
        choices=(
            ("in-the-loop", "A person checks every output before it is used (in the loop)"),
            ("on-the-loop", "People monitor it and can step in (on the loop)"),
            ("none", "No human review"),
        ),
    ),
    Slot(
        "autonomy",
        "Autonomy",
        "Does it only produce outputs (content, suggestions, scores, "
        "decisions), or can it take actions in other systems by itself (an agent)?",
        kind="choice",
        choices=(
            ("assistant", "It produces outputs; it doesn't act in other systems"),
            ("agent", "It takes actions by itself (an agent)"),
        ),
    ),
    Slot(
        "permissions",
        "Agent permissions",
        "Which systems can the agent reach, and what can "
        'it do there? (e.g. "read Jira, comment on tickets")',
        kind="list",
        applies=_agent,
    ),
    Slot(
        "agent_write_access",
        "Agent write access",
        "Can the agent change anything (write, send, pay, delete), or only read?",
        kind="bool",
        choices=(("yes", "It can write or act"), ("no", "Read only")),
        applies=_agent,
    ),
    Slot("vendor", "Vendor", "Which company supplies it?", applies=_third_party),
    Slot(
        "data_location",
        "Where data is processed",
        "Where will the supplier process and store the data?",
        kind="choice",
        choices=(
            ("UK", "UK"),
            ("EU/EEA", "EU/EEA"),
            ("US", "United States"),
            ("unknown", "Don't know"),
        ),
        applies=_supplier_gets_sensitive_data,
        help="Pick one, or type the country or region.",
    ),
    Slot(
        "contract_dpa",
        "Contract / DPA",
        "Is a contract with a data processing agreement (DPA) in place with the supplier?",
        kind="choice",
        choices=(
            ("yes", "Yes, signed"),
            ("in progress", "In progress"),
            ("no", "No"),
            ("not sure", "Not sure"),
        ),
        applies=_supplier_gets_sensitive_data,
    ),
    Slot(
        "provenance",
        "Model provenance",
        "What model is underneath and where does it come "
        'from (e.g. "OpenAI GPT-4o via Microsoft")? Say "skip" if you don\'t know.',
        optional=True,
        applies=_third_party,
        # Requesters rarely know it (most said "skip"): a high-risk supplier use lists it as an
        # open item for the approvers instead (intake.engine).
        asked=False,
    ),
    Slot(
        "logging_arrangements",
        "Logging",
        "How will its inputs, outputs and decisions be "
        "logged, and for how long? (High-risk uses must keep logs.)",
        optional=True,
    ),
    Slot(
        "escalation_route",
        "Escalation route",
        "If it goes wrong, who should people contact, and how?",
        optional=True,
    ),
)

# Not a register field: the yes/no question that puts inferred risk-raising facts to the
# requester before any of them is filed (intake/confirm.py).
CONFIRM_FACTS = Slot(
    "confirm_facts",
    "Facts to confirm",
    "Is that right?",
    kind="bool",
    choices=(("yes", "Yes, that's right"), ("no", "No, let me answer")),
    editable=False,
)
SLOTS_BY_NAME = {slot.name: slot for slot in (*SLOTS, CONFIRM_FACTS)}
# Fields a requester may not know yet: "don't know" files no value and lists an open item.
UNKNOWABLE = {
    "tool",
    "vendor",
    "data_location",
    "provenance",
    "logging_arrangements",
    "escalation_route",
    "model_version",
}
# Asked only when the computed tier is high: they are the high-tier controls' inputs.
HIGH_TIER_ONLY = {"logging_arrangements", "escalation_route"}
