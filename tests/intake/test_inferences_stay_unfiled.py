"""Paths other than the description that could file an inference: corrections, a declined
confirmation, a new description, old buttons, the tool becoming unknown."""

from __future__ import annotations

from intake.record import summary_text
from tests.intake.conftest import Chat

DEEPL = "We want DeepL Pro to translate our internal policies."
DEEPL_ANSWERS = {
    "business_unit": "Legal",
    "owner": "me",
    "deployment": "only my team",
    "data_categories": "internal",
    "decisions_about_people": "no",
    "human_oversight": "1",
}


def test_a_correction_that_implies_raising_facts_is_confirmed_first(chat: Chat) -> None:
    chat.start(DEEPL)
    while chat.asking != "deployment":
        chat.say(DEEPL_ANSWERS[chat.asking or ""])
    chat.say("It ranks CVs for recruitment")
    assert chat.asking == "confirm_facts"
    assert not {"annex_iii_areas", "decisions_about_people", "decision_stakes"} & set(
        chat.state.fields
    )


def test_also_adds_to_the_data_instead_of_replacing_it(chat: Chat) -> None:
    chat.start(DEEPL)
    chat.answer_until_summary(DEEPL_ANSWERS)
    chat.say("actually we also paste customer emails into it")
    chat.say("yes")
    assert chat.state.fields["data_categories"] == ["internal", "personal", "customer"]


def test_a_no_files_nothing_from_the_words_after_it(chat: Chat) -> None:
    chat.start("We want ChatGPT Enterprise to screen CVs for the hiring team.", confirm=False)
    chat.say("no, it does not screen CVs, it only formats them")
    assert not {"annex_iii_areas", "decisions_about_people", "decision_stakes"} & set(
        chat.state.fields
    )


def test_a_new_description_replaces_what_the_old_one_implied(chat: Chat) -> None:
    chat.start(DEEPL)
    chat.answer_until_summary(DEEPL_ANSWERS)
    assert "Fast track: DeepL Pro" in chat.text
    chat.say("edit purpose")
    chat.say("We want Midjourney to make marketing images from public product photos.")
    assert chat.state.fields["tool"] == "Midjourney"
    assert chat.state.fields.get("vendor") != "DeepL SE"
    assert not chat.state.fields["title"].startswith("Translate")
    assert "Midjourney is restricted" in "\n".join(chat.state.warnings)
    assert "Fast track" not in summary_text(chat.state, chat.engine.config)


def test_an_old_yes_button_cannot_confirm_newer_facts(chat: Chat) -> None:
    chat.start("We want Microsoft 365 Copilot to draft replies to customer emails.", confirm=False)
    old_yes = chat.last.replies[-1].choices[0].value
    chat.click(old_yes)
    chat.answer_until_summary(
        {"business_unit": "Customer Operations", "owner": "me", **DEEPL_ANSWERS}
    )
    chat.say("edit purpose")
    chat.say("We want Microsoft 365 Copilot to screen CVs and rank job applicants.")
    assert chat.asking == "confirm_facts"
    chat.click(old_yes)
    assert "have changed since" in chat.text
    assert "annex_iii_areas" not in chat.state.fields


def test_dont_know_the_tool_takes_its_catalogue_facts_away(chat: Chat) -> None:
    chat.start(DEEPL)
    chat.answer_until_summary(DEEPL_ANSWERS)
    chat.say("edit tool")
    chat.say("don't know")
    assert "tool" in chat.state.open_items
    assert not {"vendor", "data_location", "contract_dpa"} & {
        n for n, s in chat.state.sources.items() if s == "catalogue"
    }


def test_an_old_something_else_button_asks_for_the_tool_again(chat: Chat) -> None:
    chat.start("Our analysts want ChatGPT to summarise public market reports.")
    chat.click("tool=ChatGPT Enterprise")
    assert chat.state.fields["tool"] == "ChatGPT Enterprise"
    chat.click("tool=other")
    assert chat.asking == "tool" and "tool" not in chat.state.fields
    assert chat.state.fields.get("vendor") is None


def test_a_description_phrased_as_a_question_is_taken(chat: Chat) -> None:
    chat.start("")
    chat.say("Can we use Microsoft 365 Copilot to summarise our team meetings?")
    assert chat.state.fields["tool"] == "Microsoft 365 Copilot"


def test_an_old_summary_button_is_not_an_answer(chat: Chat) -> None:
    chat.start(DEEPL)
    assert chat.asking == "business_unit"
    chat.say("confirm", choice="confirm")
    assert "business_unit" not in chat.state.fields and chat.asking == "business_unit"
