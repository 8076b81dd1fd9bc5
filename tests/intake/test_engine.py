"""The intake conversation as a requester experiences it (no database)."""

from __future__ import annotations

import copy

from intake.replies import ReplyKind
from intake.slots import SLOTS_BY_NAME
from intake.state import Stage
from tests.intake.conftest import COPILOT, COPILOT_ANSWERS, REQUESTER, Chat


def test_the_description_fills_what_it_can_and_only_the_rest_is_asked(chat: Chat) -> None:
    replies = chat.start(COPILOT, confirm=False)
    understood = replies[0].text
    assert "Microsoft 365 Copilot" in understood and "Human oversight" in understood
    # Facts that raise the risk wait for the requester's yes, quoting the words they came from.
    assert chat.asking == "confirm_facts" and "deployment" not in chat.state.fields
    assert 'Customers — from "replies to customer complaints"' in replies[-1].text
    chat.say("yes")
    assert chat.state.fields["deployment"] == "customer-facing"
    assert chat.state.sources["deployment"] == "confirmed"
    assert chat.state.fields["human_oversight"] == "in-the-loop"
    assert set(chat.state.fields["data_categories"]) == {"personal", "customer"}
    # One question at a time, and never one the description already answered.
    assert replies[-1].kind is ReplyKind.QUESTION and len(replies) == 2
    asked = [chat.asking]
    for _ in range(12):
        if chat.asking is None:
            break
        chat.say(COPILOT_ANSWERS[chat.asking])
        asked.append(chat.asking)
    assert not {"tool", "deployment", "human_oversight", "data_categories"} & set(asked)
    assert chat.state.stage is Stage.CONFIRMING


def test_fixed_answer_questions_offer_choices_with_stable_values(chat: Chat) -> None:
    chat.start("We'd like a cash flow forecasting model")
    chat.say("built in-house")
    while chat.asking != "deployment":
        chat.say({"business_unit": "Finance", "owner": "me"}[chat.asking or ""])
    question = chat.last.replies[-1]
    assert [c.value for c in question.choices] == [
        "deployment=internal",
        "deployment=employee-facing",
        "deployment=customer-facing",
        "deployment=public",
    ]
    chat.click("deployment=public")
    assert chat.state.fields["deployment"] == "public"


def test_third_party_tools_get_the_supplier_questions(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    # The catalogue settles what procurement already agreed; none of it is asked.
    assert chat.state.fields["data_location"] == "UK"
    assert chat.state.fields["contract_dpa"] == "yes"
    assert chat.state.fields["vendor"] == "Microsoft"
    assert chat.state.sources["data_location"] == "catalogue"
    assert not {"vendor", "data_location", "contract_dpa", "provenance"} & set(chat.state.history)


def test_in_house_tools_skip_the_supplier_questions(chat: Chat) -> None:
    chat.start("Our data science team is building a model to forecast cash flow for Finance.")
    answers = {
        "business_unit": "Finance",
        "owner": "me",
        "deployment": "1",
        "data_categories": "confidential",
        "decisions_about_people": "no",
        "human_oversight": "1",
        "autonomy": "1",
        "affected_people": "skip",
    }
    chat.answer_until_summary(answers)
    assert chat.state.fields["third_party"] is False
    assert not {"data_location", "contract_dpa", "vendor"} & set(chat.state.fields)
    assert chat.state.fields["eu_ai_act_role"] == "provider"


def test_summary_shows_the_tier_its_reasons_and_the_controls(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    summary = chat.last.replies[-1]
    assert summary.kind is ReplyKind.SUMMARY
    assert "Risk tier: *LIMITED*" in summary.text
    assert "transparency duties apply (EU AI Act Art. 50)" in summary.text
    assert "Tell people they are interacting with AI" in summary.text
    assert [c.value for c in summary.choices] == ["confirm", "edit", "cancel"]


def test_confirm_asks_the_caller_to_file(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    chat.click("confirm")
    assert chat.last.file is True and chat.state.stage is Stage.FILED


def test_a_correction_at_any_point_changes_the_field(chat: Chat) -> None:
    chat.start("We want ChatGPT Enterprise to summarise internal reports for my team only.")
    assert chat.state.fields["deployment"] == "internal"
    waiting_for = chat.asking
    chat.say("actually it is customer-facing")
    # It raises the risk, so it is put back to the requester in the words they used.
    assert chat.asking == "confirm_facts" and chat.state.fields["deployment"] == "internal"
    assert 'Customers — from "customer-facing"' in chat.text
    chat.say("yes")
    assert chat.state.fields["deployment"] == "customer-facing"
    assert chat.asking == waiting_for  # and the open question is asked again


def test_a_correction_at_the_summary_updates_the_tier(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    chat.say("actually it also screens CVs to shortlist job candidates")
    assert chat.asking == "confirm_facts" and "annex_iii_areas" not in chat.state.fields
    chat.say("yes")
    assert "employment" in chat.state.fields["annex_iii_areas"]
    assert chat.state.fields["decision_stakes"] == "significant"  # read from the correction
    # Now high risk: back to collecting, for the high-risk-only questions, before the summary.
    assert chat.state.stage is Stage.COLLECTING
    assert chat.asking == "logging_arrangements"
    chat.answer_until_summary({"logging_arrangements": "skip", "escalation_route": "skip"})
    assert chat.state.stage is Stage.CONFIRMING
    assert "Risk tier: *HIGH*" in chat.text


def test_edit_from_the_summary_returns_to_the_field_then_the_summary(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    chat.click("edit")
    assert "edit=business_unit" in [c.value for c in chat.last.replies[-1].choices]
    chat.click("edit=business_unit")
    assert chat.asking == "business_unit"
    assert "Now: Customer Operations." in chat.text
    chat.say("Complaints")
    assert chat.state.stage is Stage.CONFIRMING
    assert chat.state.fields["business_unit"] == "Customer Operations"  # complaints team


def test_back_returns_to_the_previous_question(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("Marketing")
    assert chat.asking == "owner"
    chat.say("back")
    assert chat.asking == "business_unit" and "business_unit" not in chat.state.fields
    chat.say("Customer Operations")
    assert chat.state.fields["business_unit"] == "Customer Operations"


def test_back_on_the_first_question_says_so(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("back")
    assert "nothing to go back to" in chat.text and chat.asking == "business_unit"


def test_skip_works_only_for_optional_questions(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("skip")
    assert chat.asking == "business_unit" and "can't skip it" in chat.text


def test_cancel_ends_the_conversation_without_filing(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("cancel")
    assert chat.state.stage is Stage.CANCELLED and chat.last.file is False
    assert "Nothing was filed" in chat.text


def _bad_answer_leaves_state_alone(chat: Chat, answer: str, expected: str) -> None:
    before = copy.deepcopy(chat.state.fields)
    asking = chat.asking
    chat.say(answer)
    assert chat.state.fields == before
    assert chat.asking == asking
    assert expected in chat.text
    assert chat.last.replies[-1].kind is ReplyKind.QUESTION


def test_bad_answers_are_asked_again_with_help(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("Customer Operations")
    chat.say("me")
    assert chat.asking == "decisions_about_people"
    _bad_answer_leaves_state_alone(chat, "", "I didn't get an answer")
    _bad_answer_leaves_state_alone(chat, "   ", "I didn't get an answer")
    _bad_answer_leaves_state_alone(chat, "sdfghjkl", "couldn't make sense")
    _bad_answer_leaves_state_alone(chat, "7", "There is no choice 7; pick 1 to 3")
    _bad_answer_leaves_state_alone(chat, "x" * 20_000, "20,000 characters")
    _bad_answer_leaves_state_alone(chat, "purple elephants dancing", "Pick one of the choices")
    chat.say("2")
    assert chat.state.fields["decisions_about_people"] == "recommends"


def test_a_huge_paste_is_kept_short_in_the_transcript(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("lorem ipsum " * 2000)
    stored = chat.state.transcript[-2].text  # the requester's line, before the re-ask
    assert len(stored) < 2100 and "characters, truncated" in stored


def test_a_huge_description_is_refused_and_the_description_asked_for(chat: Chat) -> None:
    chat.start("word " * 5000)
    assert chat.asking == "purpose" and "24,999 characters" in chat.text
    chat.say("We want DeepL Pro to translate internal policies for the Dublin office.")
    assert chat.state.fields["tool"] == "DeepL Pro"


def test_a_choice_that_does_not_exist_is_refused(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("Customer Operations")
    chat.say("me")
    chat.click("decisions_about_people=sometimes")
    assert "decisions_about_people" not in chat.state.fields
    assert chat.asking == "decisions_about_people"
    chat.click("no-such-slot=1")
    assert "no longer applies" in chat.text and chat.asking == "decisions_about_people"


def test_an_old_button_answers_its_own_question(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.click("deployment=public")  # clicked on an earlier message
    assert chat.state.fields["deployment"] == "public"
    assert chat.asking == "business_unit"


def test_starting_without_a_description_asks_for_one(chat: Chat) -> None:
    replies = chat.start("")
    assert chat.asking == "purpose"
    assert replies[-1].text.startswith(SLOTS_BY_NAME["purpose"].question)
    chat.say("Use Midjourney for campaign background images; Legal reviews every image.")
    assert chat.state.fields["tool"] == "Midjourney"
    assert chat.state.fields["title"].startswith("Use Midjourney")  # the requester's verb stays


def test_owner_accepts_me_a_mention_or_a_name(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("Customer Operations")
    chat.say("<@U0ACME0010>")
    assert chat.state.fields["owner"] == "U0ACME0010"
    chat.say("back")
    chat.say("Priya")
    assert chat.state.fields["owner"] == "U0ACME0001"
    chat.say("back")
    chat.click("owner=me")
    assert chat.state.fields["owner"] == REQUESTER


def test_agents_are_asked_about_permissions_and_write_access(chat: Chat) -> None:
    chat.start(
        "IT want an AI agent that reads service desk tickets and closes duplicates "
        "automatically in ServiceNow."
    )
    assert chat.state.fields["autonomy"] == "agent"
    answers = {
        "owner": "me",
        "deployment": "2",
        "affected_people": "skip",
        "decisions_about_people": "no",
        "human_oversight": "2",
        "data_location": "EU",
        "contract_dpa": "yes",
        "provenance": "skip",
        "logging_arrangements": "ServiceNow audit log",
        "escalation_route": "IT on-call",
        "data_categories": "internal",
        "permissions": "ServiceNow tickets",
        "agent_write_access": "yes",
    }
    chat.answer_until_summary(answers)
    assert chat.state.fields["agent_write_access"] is True
    assert "Risk tier: *HIGH*" in chat.text
    assert "agent that can write or act in systems" in chat.text


def test_high_risk_uses_are_asked_about_logging_and_escalation(chat: Chat) -> None:
    chat.start("Talent acquisition want to use HireVue to rank candidates from video interviews.")
    answers = {
        "owner": "me",
        "deployment": "4",
        "affected_people": "job applicants",
        "data_categories": "personal",
        "decision_stakes": "significant",
        "human_oversight": "recruiters review every ranking",
        "data_location": "US",
        "contract_dpa": "in progress",
        "provenance": "skip",
        "logging_arrangements": "scores kept 12 months",
        "escalation_route": "skip",
    }
    chat.answer_until_summary(answers)
    assert chat.state.fields["annex_iii_areas"] == ["employment"]
    assert chat.state.fields["logging_arrangements"] == "scores kept 12 months"
    assert "escalation_route" in chat.state.skipped


def test_prohibited_practices_are_named_in_the_summary(chat: Chat) -> None:
    chat.start(
        "A vendor offered software that reads call centre agents' emotions from their "
        "webcam video during calls."
    )
    assert chat.state.fields["article_5_practices"] == ["emotion_recognition_work_education"]
    answers = {
        "tool": "MoodMetrics",
        "business_unit": "Customer Operations",
        "owner": "me",
        "deployment": "2",
        "affected_people": "skip",
        "data_categories": "personal",
        "decisions_about_people": "no",
        "human_oversight": "2",
        "autonomy": "1",
        "vendor": "MoodMetrics Ltd",
        "data_location": "US",
        "contract_dpa": "no",
        "provenance": "skip",
    }
    chat.answer_until_summary(answers)
    assert "Risk tier: *PROHIBITED*" in chat.text
    assert "emotion recognition in the workplace or in education (Art. 5(1)(f))" in chat.text
    assert "Do not deploy" in chat.text


def test_help_repeats_the_question_with_guidance(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("help")
    assert "Customer Operations, Marketing" in chat.text and chat.asking == "business_unit"


def test_a_huge_paste_at_the_summary_just_shows_the_summary_again(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.answer_until_summary(COPILOT_ANSWERS)
    before = copy.deepcopy(chat.state.fields)
    chat.say("customer-facing agent " * 1500)
    assert chat.state.fields == before and chat.state.stage is Stage.CONFIRMING
    assert "Choose Confirm, Edit or Cancel" in chat.text


def test_owner_must_be_someone(chat: Chat) -> None:
    chat.start(COPILOT)
    chat.say("Customer Operations")
    for mash in ("asdfgh", "qwerty", "zzzz"):
        chat.say(mash)
        assert chat.asking == "owner" and "owner" not in chat.state.fields
    # A team, or a name nobody in the organisation has, can never click Approve.
    for nobody in ("Operations team", "Jane Smith", "yes"):
        chat.say(nobody)
        assert chat.asking == "owner" and "owner" not in chat.state.fields
        assert "must be one person" in chat.text
    chat.say("Priya Raman")
    assert chat.state.fields["owner"] == "U0ACME0001"
