"""Rules for the EU AI Act categories: Article 5 practices and Annex III areas.

Ids are governance.tiering_rules'. A rule here is a fact the tiering acts on, so patterns are
specific; near misses are left to embedding similarity, which only ever asks.
"""

from __future__ import annotations

import re

from intake.rules import Findings, _first, _rx

_EMOTION = (
    r"(?:emotion\w*|mood|feelings?|stress(?:ed)? levels?|frustrat\w+|anger|angry|"
    r"engagement|attentive\w*|bored\w*|happiness|sentiment)"
)
_BIOMETRIC_SIGNAL = (
    r"(?:fac(?:e|es|ial)|voices?|tone of voice|webcams?|cameras?|video|"
    r"expressions?|biometric\w*|eye[- ]tracking|keystrokes?)"
)
_AT_WORK = (
    r"(?:employees?|staff|workers?|colleagues?|agents?|students?|pupils?|learners?|"
    r"team members?|workforce|call[- ]centre|at work|in (?:the )?classroom|interns?)"
)

ARTICLE_5_RULES: dict[str, re.Pattern[str]] = {
    "social_scoring": _rx(
        r"social (?:credit )?scor\w*",
        r"trustworthiness scores?",
        r"(?:score|rate|rank)\w* (?:people|citizens|customers|individuals)\b"
        r".{0,60}\b(?:social media|lifestyle|social behaviou?r|personal "
        r"behaviou?r|friends|personality)",
    ),
    "emotion_recognition_work_education": _rx(
        rf"{_EMOTION}.{{0,80}}{_AT_WORK}.{{0,80}}{_BIOMETRIC_SIGNAL}",
        rf"{_EMOTION}.{{0,80}}{_BIOMETRIC_SIGNAL}.{{0,80}}{_AT_WORK}",
        rf"{_AT_WORK}.{{0,80}}{_EMOTION}.{{0,80}}{_BIOMETRIC_SIGNAL}",
        rf"{_AT_WORK}.{{0,80}}{_BIOMETRIC_SIGNAL}.{{0,80}}{_EMOTION}",
        rf"{_BIOMETRIC_SIGNAL}.{{0,80}}{_AT_WORK}.{{0,80}}{_EMOTION}",
        rf"{_BIOMETRIC_SIGNAL}.{{0,80}}{_EMOTION}.{{0,80}}{_AT_WORK}",
    ),
    "facial_scraping": _rx(
        r"scrap\w*.{0,80}(?:faces?|facial|photos?|selfies|images of "
        r"people|profile pictures)",
        r"(?:faces?|facial|photos?|selfies|profile pictures).{0,80}scrap\w*",
    ),
    "manipulation": _rx(
        r"subliminal",
        r"manipulat\w*",
        r"dark patterns?",
        r"exploit\w* (?:their |people's |customers' )?cognitive bias\w*",
        r"without (?:them|customers|people|users) (?:noticing|realising|"
        r"realizing|knowing)",
    ),
    "exploiting_vulnerabilities": _rx(
        r"(?:exploit|take advantage|prey)\w*.{0,80}(?:vulnerab\w*|elderly|old(?:er)? people|"
        r"financial difficult\w*|in debt|struggling|addict\w*|gambl\w*|children|dementia|"
        r"disabilit\w*)",
        r"(?:target|push|upsell|sell|market)\w*.{0,60}(?:vulnerable|elderly|financial "
        r"difficult\w*|in debt|in arrears|struggling|addict\w*|problem gambl\w*|children|"
        r"dementia).{0,80}(?:loans?|credit|products?|offers?|spend|borrow|gambl\w*|buy)",
    ),
    "biometric_categorisation": _rx(
        r"(?:infer|predict|detect|determine|classify|categori[sz]e|guess|work out)\w*.{0,80}"
        r"(?:race|racial|ethnic\w*|religio\w*|sexual orientation|sexuality|political "
        r"(?:views|opinions|leanings)|trade union)"
        r".{0,80}(?:fac(?:e|es|ial)|photos?|images?|voice|biometric\w*|selfies|video)",
        r"(?:fac(?:e|es|ial)|photos?|images?|voice|biometric\w*|selfies|video).{0,80}"
        r"(?:race|racial|ethnic\w*|religio\w*|sexual orientation|sexuality|political "
        r"(?:views|opinions|leanings)|trade union)",
    ),
    "predictive_policing": _rx(
        r"(?:predict|forecast|assess|estimate)\w*.{0,80}(?:commit|likely to commit|become) "
        r"(?:a )?(?:crimes?|criminals?|offen[cs]es?|offenders?)",
        r"(?:predict|flag|identify)\w*.{0,60}(?:future |likely )?(?:criminals?|offenders?)"
        r".{0,80}(?:personality|profil\w*|background|nationality|postcode|ethnic\w*)",
        r"(?:fraud|crime|criminal)\w*.{0,80}based (?:only |solely |purely )?on (?:their )?"
        r"(?:personality|nationality|ethnic\w*|background|character traits)",
    ),
    "realtime_remote_biometric_id": _rx(
        r"(?:live|real[- ]time) (?:facial|face) (?:recognition|identification|matching)"
        r".{0,120}(?:police|law enforcement|public (?:spaces?|places?|streets?)|crowds?)",
        r"(?:police|law enforcement).{0,120}(?:live|real[- ]time) (?:facial|face) "
        r"(?:recognition|identification)",
    ),
}

ANNEX_III_RULES: dict[str, re.Pattern[str]] = {
    "biometrics": _rx(
        r"(?:facial|face|voice|gait) (?:recognition|identification|matching)",
        r"biometric (?:identification|categori[sz]ation)",
        r"identify (?:people|customers|visitors|individuals|callers|"
        r"shoppers) (?:by|from|using|with) (?:their )?(?:faces?|voices?|"
        r"fingerprints?)",
        rf"{_EMOTION}.{{0,60}}(?:from|in|using|of) (?:their |the |"
        r"callers'? |customers'? )?(?:faces?|facial|voices?|tone of voice|video)",
        r"emotion recognition",
    ),
    "critical_infrastructure": _rx(
        r"critical infrastructure",
        r"(?:electricity|power|energy) "
        r"(?:grid|network|supply)",
        r"water (?:supply|treatment|"
        r"network)",
        r"gas (?:network|supply|pipeline)",
        r"(?:road )?traffic (?:control|management|lights)",
        r"heating (?:network|supply|system)",
        r"safety component",
        r"(?:payment|clearing|settlement) "
        r"(?:system|infrastructure|network) (?:operations|"
        r"routing|load balancing|failover)",
    ),
    "education": _rx(
        r"\b(?:grade|grading|mark|marking|score|scoring|assess\w*)\b.{0,40}"
        r"(?:exams?|essays?|assignments?|coursework|tests?|students?|pupils?|"
        r"learners?|apprentices?)\b",
        r"admissions?\b.{0,40}(?:course|school|universit|college|programme|"
        r"apprenticeship)",
        r"(?:school|universit\w*|college) admissions?",
        r"proctor\w*",
        r"cheating (?:in|during|on) (?:exams?|tests?)",
        r"(?:students?|pupils?|learners?)'? (?:learning outcomes|results|"
        r"performance|progress)",
        r"which (?:course|programme) .{0,30}"
        r"(?:students?|learners?)",
    ),
    "employment": _rx(
        r"\b(?:cvs?|résumés?|resumes?)\b",
        r"job (?:applicants?|applications?|"
        r"candidates?|adverts?|ads)",
        r"\b(?:candidates?|(?<!loan )(?<!credit )"
        r"applicants?)\b.{0,60}"
        r"(?:shortlist|rank|screen|interview|hire|hiring|reject|role|job|"
        r"vacanc)",
        r"(?:shortlist|rank|screen|assess|score)\w*.{0,40}"
        r"(?:candidates?|job applicants?|recruits?)",
        r"recruit\w*",
        r"hiring",
        r"talent acquisition",
        r"video interviews?",
        r"(?:performance|productivity) (?:reviews?|ratings?|monitoring|of "
        r"(?:staff|employees|agents|workers|colleagues))",
        r"(?:monitor|track|rate|evaluate)\w* (?:the )?(?:staff|employees?|"
        r"workers?|agents?|colleagues?|drivers?)\b",
        r"(?:promotions?|dismissals?|terminations?|redundanc\w*|disciplinary)"
        r"\b",
        r"(?:allocate|assign)\w* (?:shifts|tasks|work) (?:to|between|"
        r"among) (?:staff|employees|workers|agents)",
    ),
    "essential_services": _rx(
        r"credit ?worthiness",
        r"credit (?:scor\w*|decisions?|risk "
        r"(?:of|for) (?:applicants|individuals|customers|borrowers)|"
        r"limits?|applications?)",
        r"loan (?:applications?|decisions?|"
        r"approvals?|eligibility)",
        r"(?:approve|decline|reject)\w* "
        r"(?:loans?|credit|mortgages?|overdrafts?|credit card)",
        r"affordability (?:checks?|assessments?)",
        r"mortgage "
        r"(?:applications?|decisions?)",
        r"(?:life|health) insurance",
        r"(?:public |social |welfare )?benefits? (?:eligibility|"
        r"claims?|applications?)",
        r"emergency (?:calls?|services?|"
        r"dispatch)",
        r"(?:lend|lending) decisions?",
        r"(?:buy now,? pay later|bnpl) (?:applications?|decisions?)",
    ),
    "law_enforcement": _rx(
        r"\bpolice\b",
        r"law enforcement",
        r"criminal investigations?",
        r"(?:evidence|suspects?) .{0,40}(?:investigat|prosecut)\w*",
    ),
    "migration": _rx(
        r"\bvisas?\b",
        r"asylum",
        r"border (?:control|checks?|security)",
        r"immigration",
        r"residence permits?",
        r"migrants?\b",
    ),
    "justice_democracy": _rx(
        r"\bjudges?\b",
        r"judicial",
        r"courts? (?:to |will )?(?:decide|"
        r"rule|ruling|decisions?)",
        r"(?:alternative )?dispute "
        r"resolution",
        r"arbitrat\w*",
        r"\belections?\b",
        r"\bvot(?:ers?|"
        r"ing)\b",
        r"political (?:campaigns?|ads|advertising)",
    ),
}

# Fraud detection and plain text sentiment are explicitly not credit scoring or emotion
# recognition; these phrases stop the matching areas firing on them alone.
_NOT_CREDIT = _rx(r"fraud (?:detection|prevention|monitoring|alerts?|checks?)")


def detect_categories(text: str) -> Findings:
    found = Findings()
    for practice, pattern in ARTICLE_5_RULES.items():
        if phrase := _first(pattern, text):
            found.add_to("article_5_practices", practice, f'"{phrase[:80]}"')
    for area, pattern in ANNEX_III_RULES.items():
        if phrase := _first(pattern, text):
            if (
                area == "essential_services"
                and _NOT_CREDIT.search(text)
                and not re.search(r"credit ?worthiness|credit scor|loan|mortgage", text, re.I)
            ):
                continue
            found.add_to("annex_iii_areas", area, f'"{phrase[:80]}"')
    if "emotion_recognition_work_education" in found.values.get("article_5_practices", []):
        # The prohibited practice is the finding; the Annex III biometrics match is the same words.
        areas = found.values.get("annex_iii_areas", [])
        if "biometrics" in areas:
            areas.remove("biometrics")
            if not areas:
                found.values.pop("annex_iii_areas")
    return found
