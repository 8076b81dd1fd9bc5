"""The EU AI Act categories the tiering rules name: Article 5 practices and Annex III areas.

Data only. Intake matches descriptions against `examples` (rules and embeddings); tiering quotes
`label` and `reference` in its reasons. Ids are stored on records, so never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    reference: str
    # Plain-language descriptions of uses in this category, for embedding similarity.
    examples: tuple[str, ...]


ARTICLE_5_PRACTICES: tuple[Category, ...] = (
    Category(
        "social_scoring",
        "social scoring of people",
        "Art. 5(1)(c)",
        (
            "score citizens or customers on their social behaviour or personality and treat them "
            "worse in unrelated contexts",
            "a trustworthiness score of people built from their behaviour across many sources",
        ),
    ),
    Category(
        "emotion_recognition_work_education",
        "emotion recognition in the workplace or in education",
        "Art. 5(1)(f)",
        (
            "detect the emotions or mood of employees from their faces or voices at work",
            "infer whether students are bored, stressed or engaged from webcam video",
            "analyse call centre agents' voice to infer their emotional state",
        ),
    ),
    Category(
        "facial_scraping",
        "untargeted scraping of facial images",
        "Art. 5(1)(e)",
        ("scrape face images from the internet or CCTV to build a facial recognition database",),
    ),
    Category(
        "manipulation",
        "manipulative or subliminal techniques",
        "Art. 5(1)(a)",
        (
            "subliminal or manipulative techniques that distort people's decisions and cause harm",
            "dark patterns that push customers into decisions they would not otherwise take",
        ),
    ),
    Category(
        "exploiting_vulnerabilities",
        "exploiting vulnerabilities of people",
        "Art. 5(1)(b)",
        (
            "target people in financial difficulty, the elderly, children or disabled people to "
            "exploit their vulnerability and change their behaviour",
        ),
    ),
    Category(
        "biometric_categorisation",
        "biometric categorisation by sensitive traits",
        "Art. 5(1)(g)",
        (
            "infer race, religion, political opinions, sexual orientation or trade union "
            "membership from biometric data such as face images",
        ),
    ),
    Category(
        "predictive_policing",
        "predicting crime by individuals from profiling",
        "Art. 5(1)(d)",
        (
            "predict whether a person will commit a crime or fraud based only on profiling and "
            "personality traits",
        ),
    ),
    Category(
        "realtime_remote_biometric_id",
        "real-time remote biometric identification in public for law enforcement",
        "Art. 5(1)(h)",
        ("live facial recognition of people in public spaces for the police",),
    ),
)

ANNEX_III_AREAS: tuple[Category, ...] = (
    Category(
        "biometrics",
        "biometrics (identification, categorisation, emotion recognition)",
        "Annex III point 1",
        (
            "identify or verify people from their face, voice or fingerprint",
            "remote biometric identification of customers or visitors",
        ),
    ),
    Category(
        "critical_infrastructure",
        "critical infrastructure",
        "Annex III point 2",
        (
            (
                "safety component in managing the electricity grid, water, gas, heating or "
                "road traffic"
            ),
            "control of critical digital infrastructure or payment systems operations",
        ),
    ),
    Category(
        "education",
        "education and vocational training",
        "Annex III point 3",
        (
            "decide admission to courses, grade exams or assess students' learning outcomes",
            "detect cheating by students during tests",
        ),
    ),
    Category(
        "employment",
        "employment and worker management",
        "Annex III point 4",
        (
            "screen CVs, rank job candidates or evaluate interviews for recruitment",
            "decide promotions, terminations or task allocation, or monitor and evaluate the "
            "performance of employees",
        ),
    ),
    Category(
        "essential_services",
        "access to essential services, credit and insurance",
        "Annex III point 5",
        (
            "assess creditworthiness or credit scores of individuals for loans",
            "price life or health insurance for individuals or assess their risk",
            "decide eligibility for public benefits or essential services",
            "triage or prioritise emergency calls",
        ),
    ),
    Category(
        "law_enforcement",
        "law enforcement",
        "Annex III point 6",
        (
            "help the police assess the risk that a person becomes a victim or an offender, or "
            "evaluate evidence",
        ),
    ),
    Category(
        "migration",
        "migration, asylum and border control",
        "Annex III point 7",
        ("assess visa, asylum or residence permit applications or migration risks",),
    ),
    Category(
        "justice_democracy",
        "administration of justice and democratic processes",
        "Annex III point 8",
        (
            "help a judge or court research and interpret facts and the law",
            "influence the outcome of an election or people's voting behaviour",
        ),
    ),
)

PRACTICES_BY_ID = {c.id: c for c in ARTICLE_5_PRACTICES}
AREAS_BY_ID = {c.id: c for c in ANNEX_III_AREAS}

# decision_stakes values: "significant" = legal or similarly significant effects (jobs, credit,
# insurance, housing, education, benefits, legal status, health); "minor" otherwise.
SIGNIFICANT = "significant"
DECISION_NONE = "none"
