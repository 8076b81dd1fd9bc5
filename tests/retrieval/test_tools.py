"""Tool names in questions: aliases, case, spacing and misspellings; unknown tools; verdicts."""

from __future__ import annotations

import pytest

from governance.models import DataCategory
from retrieval.tools import detect_data_categories, find_tools, find_unknown_tools
from retrieval.verdicts import tool_match, tool_text


def _names(question, config):
    return [tool.name for tool in find_tools(question, config.catalogue)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Can I paste customer data into ChatGPT?", ["ChatGPT Enterprise"]),
        ("can i use chat gpt for emails", ["ChatGPT Enterprise"]),
        ("Is CHATGPT's image tool ok?", ["ChatGPT Enterprise"]),
        ("Can I use ChatGPT Plus for work?", ["ChatGPT (free and personal accounts)"]),
        ("Copilot in Teams for meeting notes?", ["Microsoft 365 Copilot"]),
        ("may I use github copilot on the payments repo", ["GitHub Copilot Business"]),
        ("Is Otter.ai allowed?", ["Otter.ai"]),
        ("Can I paste code into Claude.ai?", ["Claude (Team plan)"]),
        ("What about the GPT-4o model?", ["ChatGPT Enterprise"]),
        ("Compare DeepL and Grammarly for me", ["DeepL Pro", "Grammarly"]),
        ("Can I paste code into ChatGPT to debug it?", ["ChatGPT Enterprise"]),  # not "Pro"
    ],
)
def test_catalogue_names_and_aliases_are_found(sample_config, question, expected):
    assert _names(question, sample_config) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Is chatgtp ok for drafting?", "ChatGPT Enterprise"),  # swapped letters
        ("grammerly on my laptop?", "Grammarly"),
        ("use midjurney for a campaign", "Midjourney"),
        ("Is Cluade allowed?", "Claude (Team plan)"),
        ("perplexety for research?", "Perplexity"),
        ("can I use copliot", "Microsoft 365 Copilot"),
    ],
)
def test_common_misspellings_are_tolerated(sample_config, question, expected):
    assert _names(question, sample_config) == [expected]


@pytest.mark.parametrize(
    "question",
    [
        "Can we use deep learning for fraud detection?",  # not DeepL
        "What is the notation for risk tiers?",
        "How do I report an incident?",
    ],
)
def test_ordinary_words_are_not_mistaken_for_tools(sample_config, question):
    assert _names(question, sample_config) == []


def test_unknown_ai_tools_are_named_as_the_asker_wrote_them(sample_config):
    catalogue = sample_config.catalogue
    assert find_unknown_tools("Can I use Jasper to write marketing copy?", catalogue) == ["Jasper"]
    assert find_unknown_tools("Can I use Foobar AI to summarise board minutes?", catalogue) == [
        "Foobar AI"
    ]
    assert find_unknown_tools("Can I use ChatGPT for emails?", catalogue) == []
    assert find_unknown_tools("Can I use Excel to analyse data?", catalogue) == []


def test_data_categories_in_a_question():
    found = detect_data_categories("Can I paste a customer's health records and their CV?")
    assert DataCategory.CUSTOMER in found
    assert DataCategory.SPECIAL_CATEGORY in found
    assert DataCategory.PERSONAL in found
    assert detect_data_categories("Can I use Copilot to draft an email?") == []


def test_verdict_refuses_data_the_tool_does_not_allow(sample_config):
    chatgpt = find_tools("ChatGPT", sample_config.catalogue)[0]
    match = tool_match(chatgpt, [DataCategory.CUSTOMER])
    assert match.blocked_data == ["customer"]
    assert match.verdict.startswith("No: customer data may not be put into ChatGPT Enterprise")
    text = tool_text(match)
    assert "approved with conditions" in text
    assert "No customer data" in text  # the catalogue's conditions are listed
    assert "Acceptable Use of AI Tools § 4.2 ChatGPT Enterprise" in text


@pytest.mark.parametrize(
    ("tool", "starts"),
    [
        ("DeepSeek", "No: DeepSeek is prohibited"),
        ("Cursor", "Not yet: Cursor is under review"),
        ("DeepL", "Yes: DeepL Pro is approved"),
        ("Gemini", "Only in limited cases"),
    ],
)
def test_verdict_follows_the_catalogue_status(sample_config, tool, starts):
    found = find_tools(tool, sample_config.catalogue)[0]
    assert tool_match(found, []).verdict.startswith(starts)
