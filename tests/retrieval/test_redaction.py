"""Personal data in a question is replaced by placeholders before it leaves the process."""

from __future__ import annotations

from retrieval.redaction import redact


def test_contact_details_and_identifiers_are_replaced():
    result = redact(
        "Can I paste jane.doe@example.com, +44 20 7946 0958, NI number AB 12 34 56 C and "
        "card 4111 1111 1111 1111 into ChatGPT?"
    )
    assert "jane.doe" not in result.text and "7946" not in result.text
    assert "4111" not in result.text and "AB 12 34 56 C" not in result.text
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "UK_NINO", "CREDIT_CARD"} <= set(result.entities)
    assert result.text.startswith("Can I paste <EMAIL_ADDRESS>")
    assert result.text.endswith("into ChatGPT?")


def test_titled_names_and_ibans_are_replaced():
    result = redact("Mr John Smith's IBAN GB82 WEST 1234 5698 7654 32 - can Claude check it?")
    assert result.text == "<PERSON>'s IBAN <IBAN_CODE> - can Claude check it?"


def test_a_question_without_personal_data_is_unchanged():
    question = "May I use Copilot on a confidential board paper from 2025?"
    result = redact(question)
    assert result.text == question and not result.changed
