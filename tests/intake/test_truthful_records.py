"""Issue 14: the register holds what the requester said or confirmed, never a guess filed as
fact. Each test replays an example requesters met, from the description to the record."""

from __future__ import annotations

import pytest

from intake.answers import Problem, parse
from intake.record import build_fields, summary_text
from intake.replies import ReplyKind
from intake.slots import SLOTS_BY_NAME
from intake.state import Stage
from tests.intake.conftest import REQUESTER, Chat

MARKET_REPORTS = (
    "register: Our analysts want ChatGPT to summarise public market reports; "
    "no customer data involved."
)


def test_a_negation_and_public_reports_file_nothing_about_customers_or_the_public(
    chat: Chat,
) -> None:
    chat.start(MARKET_REPORTS.removeprefix("register: "), confirm=False)
    said = chat.state.fields
    # "no customer data" is a negation; "public reports" is public data, not a public audience.
    assert said.get("data_categories") == ["public"]
    assert "deployment" not in said and "affected_people" not in said
    assert "decisions_about_people" not in said and not chat.state.pending
    # "ChatGPT" is two catalogue tools: asked, never guessed.
    assert chat.asking == "tool"
    offered = [c.label for c in chat.last.replies[-1].choices]
    assert offered == [
        "ChatGPT Enterprise",
        "ChatGPT (free and personal accounts)",
        "Something else",
    ]


def test_unstated_decisions_are_asked_not_filed(chat: Chat) -> None:
    chat.start("We want DeepL Pro to translate our internal policies for the Dublin office.")
    answers = {"business_unit": "Legal", "owner": "me", "deployment": "only my team"}
    while chat.asking in answers:
        chat.say(answers[chat.asking or ""])
    assert chat.asking == "decisions_about_people"
    assert "decision_stakes" not in chat.state.fields


def test_an_ai_that_assigns_the_outcome_itself_is_put_as_deciding_with_its_words(
    chat: Chat,
) -> None:
    chat.start(
        "The disputes team wants an in-house model that automatically rejects chargeback claims "
        "from customers that look weak.",
        confirm=False,
    )
    assert chat.state.pending["decisions_about_people"] == "decides"
    question = chat.last.replies[-1].text
    assert 'Decisions about people: It decides by itself — from "automatically rejects' in question
    assert "decisions_about_people" not in chat.state.fields


def test_a_prohibited_practice_from_a_keyword_is_asked_quoting_it(chat: Chat) -> None:
    chat.start(
        "Use webcams with emotion recognition to see how stressed our warehouse staff are.",
        confirm=False,
    )
    assert chat.state.pending["article_5_practices"] == ["emotion_recognition_work_education"]
    assert "EU AI Act PROHIBITED practice" in chat.last.replies[-1].text
    assert "article_5_practices" not in chat.state.fields
    chat.say("no")  # not what it does: the practice becomes its own question, still offered
    assert "article_5_practices" not in chat.state.fields
    while chat.asking != "article_5_practices":
        assert chat.asking is not None, "the prohibited-practice question was never asked"
        chat.say(
            {
                "tool": "MoodSense",
                "third_party": "outside supplier",
                "business_unit": "Operations",
                "owner": "me",
                "deployment": "only my team",
                "data_categories": "special category",
                "decisions_about_people": "no",
                "human_oversight": "1",
                "autonomy": "1",
                "vendor": "MoodSense Ltd",
                "data_location": "UK",
                "contract_dpa": "no",
                "annex_iii_areas": "none of these",
                "logging_arrangements": "skip",
                "escalation_route": "skip",
            }[chat.asking]
        )
    assert "emotion-recognition-work-education" in chat.last.replies[-1].choices[0].value.replace(
        "_", "-"
    )


def test_copilot_for_code_is_asked_which_copilot(chat: Chat) -> None:
    chat.start("Our engineers want Copilot to suggest code in VS Code.")
    assert "tool" not in chat.state.fields and chat.asking == "tool"
    chat.say("the GitHub one")
    assert chat.state.fields["tool"] == "GitHub Copilot Business"
    assert chat.state.fields["vendor"] == "GitHub (Microsoft)"


def test_customer_questions_about_opening_hours_are_not_personal_data(chat: Chat) -> None:
    chat.start(
        "We want Zendesk AI to answer customer questions about opening hours on our website.",
        confirm=False,
    )
    read = chat.state.pending.get("data_categories") or chat.state.fields.get("data_categories")
    assert not read or not {"personal", "customer"} & set(read)


@pytest.mark.parametrize(
    ("slot", "answer", "expected"),
    [
        ("tool", "yes", "Name the AI tool"),
        ("vendor", "yes", "Name the company"),
        ("affected_people", "yes", "Name the groups"),
        ("provenance", "yes", "Name the model"),
        ("logging_arrangements", "yes", "Say what is logged"),
        ("escalation_route", "yes", "Say who people contact"),
        ("data_location", "Mars", 'I don\'t know "Mars" as a country or region'),
        ("decisions_about_people", "yes", "more than a yes or no answer"),
        ("deployment", "no", "more than a yes or no answer"),
        ("owner", "Operations team", "must be one person"),
    ],
)
def test_answers_that_are_not_answers_are_refused_with_what_is_expected(
    chat: Chat, slot: str, answer: str, expected: str
) -> None:
    with pytest.raises(Problem, match=expected):
        parse(SLOTS_BY_NAME[slot], answer, chat.engine.config, REQUESTER)


def test_a_place_is_a_country_or_region(chat: Chat) -> None:
    config = chat.engine.config
    where = SLOTS_BY_NAME["data_location"]
    assert parse(where, "Frankfurt", config, REQUESTER).value == "EU/EEA"
    assert parse(where, "Canada", config, REQUESTER).value == "Canada"
    assert parse(where, "in Microsoft's Sydney region, Australia", config, REQUESTER).value == (
        "Australia"
    )


def test_dont_know_is_an_open_item_for_the_reviewers_never_a_value(chat: Chat) -> None:
    chat.start("Our lawyers want to try Luminance to review supplier contracts.")
    answers = {
        "tool": "Luminance",
        "business_unit": "Legal",
        "owner": "me",
        "deployment": "only my team",
        "data_categories": "confidential",
        "decisions_about_people": "no",
        "human_oversight": "1",
        "autonomy": "1",
        "vendor": "Don't know yet",
        "data_location": "not sure",
        "contract_dpa": "in progress",
    }
    chat.answer_until_summary(answers)
    record = build_fields(chat.state)
    assert record.vendor == "" and record.data_location == ""
    assert record.open_items == ["vendor", "data_location"]
    assert "Open items for the reviewers (not known yet): Vendor, Where data is processed" in (
        chat.text
    )


def test_a_yes_to_a_multiple_choice_question_is_asked_again_with_the_choices(chat: Chat) -> None:
    chat.start("We want Microsoft 365 Copilot to summarise our team's meeting notes.")
    answers = {"business_unit": "Finance", "owner": "me", "deployment": "only my team"}
    while chat.asking in answers:
        chat.say(answers[chat.asking or ""])
    assert chat.asking == "decisions_about_people"
    chat.say("yes")
    assert chat.asking == "decisions_about_people"
    assert "1. No decisions about people; 2. It recommends; a person decides" in chat.text
    assert "decisions_about_people" not in chat.state.fields


def test_a_policy_question_mid_registration_is_handed_back_and_the_question_kept(
    chat: Chat,
) -> None:
    chat.start("We want Microsoft 365 Copilot to summarise our team's meeting notes.")
    asking, before = chat.asking, dict(chat.state.fields)
    replies = chat.say("Is ChatGPT allowed for customer data?")
    assert replies[0].kind is ReplyKind.ASIDE and replies[0].text.startswith("Is ChatGPT")
    assert replies[-1].text.startswith("…and back to your registration:")
    assert chat.asking == asking and chat.state.fields == before


def test_the_summary_quotes_where_inferred_facts_came_from_and_shows_labels(chat: Chat) -> None:
    chat.start(
        "We'd like to use DeepL Pro to translate customer complaint letters on our website "
        "into Polish. An adviser checks each one before it is sent."
    )
    answers = {
        "business_unit": "Customer Operations",
        "owner": "me",
        "decisions_about_people": "no",
    }
    chat.answer_until_summary(answers)
    summary = summary_text(chat.state, chat.engine.config)
    assert summary.startswith("*Use DeepL Pro to translate customer complaint letters")
    assert "• Data: Personal data, Customer data — from " in summary
    assert "• Deployment: Customers — from " in summary
    assert "• Where data is processed: EU/EEA — from the catalogue entry for DeepL Pro" in summary
    assert chat.state.stage is Stage.CONFIRMING


def test_a_prohibited_catalogue_tool_is_flagged_at_intake(chat: Chat) -> None:
    replies = chat.start("I want to use Otter.ai to transcribe my team's meetings.")
    assert "Otter.ai is prohibited in the tool catalogue" in replies[0].text


def test_a_low_risk_use_of_an_approved_tool_is_told_it_is_on_the_fast_track(chat: Chat) -> None:
    chat.start("I want ChatGPT Enterprise to tidy up our team's internal meeting notes.")
    answers = {
        "business_unit": "Finance",
        "owner": "me",
        "deployment": "only my team",
        "data_categories": "internal",
        "decisions_about_people": "no",
        "human_oversight": "I read every summary before I share it",
        "autonomy": "1",
    }
    asked = []
    while chat.asking is not None:
        asked.append(chat.asking)
        chat.say(answers[chat.asking])
    assert not {"vendor", "data_location", "contract_dpa", "provenance"} & set(asked)
    assert "Risk tier: *MINIMAL*" in chat.text
    assert "Fast track: ChatGPT Enterprise is an approved catalogue tool" in chat.text
