"""Rule extraction from how requesters actually describe uses."""

from __future__ import annotations

import pytest

from governance.config import OrgConfig
from governance.tiering_rules import ANNEX_III_AREAS, ARTICLE_5_PRACTICES
from intake.extract import rule_findings
from intake.rules_categories import detect_categories

AREA_EXAMPLES = {
    "biometrics": "identify callers from their voice instead of security questions",
    "critical_infrastructure": "adjust the electricity grid load automatically",
    "education": "grade apprentices' written assignments and give a mark",
    "employment": "screen CVs and shortlist candidates for interview",
    "essential_services": "assess the creditworthiness of personal loan applicants",
    "law_enforcement": "help the police evaluate evidence about suspects",
    "migration": "assess visa applications for new hires",
    "justice_democracy": "target political advertising to voters before the election",
}
PRACTICE_EXAMPLES = {
    "social_scoring": "a trustworthiness score for customers from their social media activity",
    "emotion_recognition_work_education": "read call centre agents' emotions from their webcam",
    "facial_scraping": "scrape profile pictures from social media to build a face database",
    "manipulation": "use dark patterns so customers don't close their accounts",
    "exploiting_vulnerabilities": "target customers in financial difficulty with high-interest "
    "credit card offers",
    "biometric_categorisation": "infer customers' religion and ethnicity from their selfies",
    "predictive_policing": "predict which customers will commit fraud based only on their "
    "personality and nationality",
    "realtime_remote_biometric_id": "live facial recognition on CCTV in public streets for the "
    "police",
}


def test_every_category_has_an_example() -> None:
    assert set(AREA_EXAMPLES) == {a.id for a in ANNEX_III_AREAS}
    assert set(PRACTICE_EXAMPLES) == {p.id for p in ARTICLE_5_PRACTICES}


@pytest.mark.parametrize(("area", "text"), AREA_EXAMPLES.items())
def test_annex_iii_areas_are_recognised(area: str, text: str) -> None:
    assert area in detect_categories(text).values.get("annex_iii_areas", [])


@pytest.mark.parametrize(("practice", "text"), PRACTICE_EXAMPLES.items())
def test_article_5_practices_are_recognised(practice: str, text: str) -> None:
    assert detect_categories(text).values["article_5_practices"] == [practice]


@pytest.mark.parametrize(
    "text",
    [
        "fraud detection on card transactions; analysts decide whether to block a card",
        "sentiment analysis of anonymous customer survey answers",
        "identify vulnerable customers so we can offer them extra support",
        "summarise internal meeting notes",
    ],
)
def test_ordinary_uses_are_not_prohibited(text: str) -> None:
    assert "article_5_practices" not in detect_categories(text).values


def test_negated_data_does_not_count(sample_config: OrgConfig) -> None:
    found = rule_findings(
        "Explain legacy code to developers. Code only, no customer data.", sample_config, "U1"
    )
    assert found.values["data_categories"] == ["confidential"]


def test_the_phrase_that_fired_is_kept(sample_config: OrgConfig) -> None:
    found = rule_findings(
        "We want Copilot to draft replies to customer complaints", sample_config, "U1"
    )
    assert found.why["tool"] == 'catalogue: "Microsoft 365 Copilot"'
    assert "customer complaints" in found.why["data_categories"]
