"""Rules for what the system does: decisions about people, their stakes, oversight, agency."""

from __future__ import annotations

import re

from intake.rules import PEOPLE, Findings, _first, _rx

_NO_DECISIONS = _rx(
    r"(?:no|doesn't make|does not make|won't make|will not make|never makes?|"
    r"not used for|not making) (?:any )?decisions?",
    r"no decisions? about "
    r"(?:people|individuals|customers)",
    r"not about (?:individual )?people",
)
_DECIDES = _rx(
    r"(?:automatically|auto-?)\s?(?:reject|approve|decline|decide|accept|block|close|"
    r"refuse|deny|grant|fire|dismiss|allocate|assign|shortlist|rank|score)\w*",
    rf"(?:decide|decides|deciding|determine|determines)\w*(?: automatically)? (?:whether|which|"
    rf"who|if)\b.{{0,60}}{PEOPLE}",
    r"decides? automatically",
    rf"(?:approve|reject|decline|accept|refuse|deny)\w*.{{0,30}}\b(?:loans?|credit|mortgages?|"
    rf"applications?|claims?|candidates?|applicants?|{PEOPLE})",
    r"(?:without|no) (?:any )?(?:human|person|manual) (?:review|check|involvement|approval)",
    r"makes? the (?:final )?decision",
)
_RECOMMENDS = _rx(
    rf"(?:shortlist|rank|score|rate|assess|evaluate|screen|flag|prioriti[sz]e|triage|"
    rf"recommend|suggest|predict|classify|segment|profil|monitor|grade|mark(?!et)|select|"
    rf"identify|assign|allocate|decide|approve|reject|decline|detect)\w*\b.{{0,60}}\b{PEOPLE}",
    rf"{PEOPLE}.{{0,40}}\b(?:scores?|rankings?|ratings?|risk (?:scores?|levels?|ratings?)|"
    rf"shortlists?|eligibility|creditworthiness|grades?)\b",
    r"(?:credit|loan|mortgage|insurance|hiring|recruitment|promotion|eligibility) decisions?",
    r"creditworthiness",
    r"credit scor\w*",
    r"\bcvs?\b.{0,40}(?:screen|shortlist|rank|sift)",
    r"(?:assess|rank|score|screen|review|recommend|approve|decline|reject)\w*\b.{0,40}"
    r"\b(?:applications?|claims?)\b",
    r"(?:screen|shortlist|rank|sift)\w*.{0,40}\bcvs?\b",
)
_SIGNIFICANT = _rx(
    r"loans?",
    r"credit",
    r"mortgages?",
    r"overdrafts?",
    r"insurance",
    r"hir(?:e|ing)",
    r"recruit\w*",
    r"job",
    r"candidates?",
    r"applicants?",
    r"\bcvs?\b",
    r"promotions?",
    r"dismiss\w*",
    r"terminat\w*",
    r"disciplinary",
    r"redundan\w*",
    r"performance (?:reviews?|ratings?)",
    r"pay\b",
    r"salar\w*",
    r"bonus\w*",
    r"benefits?",
    r"housing",
    r"tenan\w*",
    r"admissions?",
    r"exams?",
    r"grades?",
    r"grading",
    r"visas?",
    r"asylum",
    r"immigration",
    r"medical",
    r"health",
    r"treatment",
    r"(?:close|freeze|block)\w* (?:their |"
    r"the )?accounts?",
    r"account (?:closures?|freezes?)",
    r"fraud",
    r"hardship",
    r"debt",
    r"collections?",
    r"arrears",
    r"legal",
    r"court",
    r"police",
    r"eligib\w*",
    r"access to (?:services|accounts|products)",
    r"shifts?",
    r"vulnerab\w*",
)
_MINOR = _rx(
    r"(?:minor|small|low)[- ](?:impact|stakes)",
    r"marketing (?:segments?|offers?|"
    r"emails?)",
    r"which (?:newsletter|offer|content|articles?|ad)",
    r"(?:product|content) recommendations?",
    r"routing (?:of )?(?:queries|tickets|"
    r"emails)",
    r"route (?:queries|tickets|emails|calls)",
)

_IN_THE_LOOP = _rx(
    r"human[- ]in[- ]the[- ]loop",
    r"in the loop",
    r"(?:a |an |our |the )?(?:person|human|agent|adviser|advisor|colleague|manager|recruiter|"
    r"underwriter|reviewer|analyst|handler|engineer|lawyer|editor|someone|somebody|staff "
    r"member|team member|member of (?:staff|the team)|teacher|doctor|officer)s? "
    r"(?:always |then )?(?:reviews?|checks?|approves?|signs? off|edits?|reads?|verif\w+|"
    r"makes? (?:the|every|each|all) (?:final )?decisions?|decides?|confirms?)",
    r"(?:review|check|approv|sign off|edit)\w* (?:by|from) (?:a |an )?(?:person|human|"
    r"colleague|manager|recruiter|underwriter|reviewer|second engineer|adviser|advisor|"
    r"analyst|agent)",
    r"before (?:it is |it's |they are |anything is )?(?:sent|published|"
    r"used|posted|merged|acted on|applied|released)",
    r"(?:every|each|all) "
    r"(?:output|draft|reply|replies|answer|decision|suggestion|recommendation|change|"
    r"email|letter|response)s? (?:is |are )?(?:reviewed|checked|approved|edited|read)",
    r"(?:we|i|they|staff|agents|reviewers|recruiters|underwriters) (?:always )?(?:review|"
    r"check|approve|edit|read) (?:every|each|all|it|them|the)",
    r"(?:humans?|people|recruiters|underwriters|managers|teachers) (?:make|take) (?:the|all|"
    r"every) (?:final )?decisions?",
    r"final (?:decision|say|call) (?:is|stays|rests) "
    r"with (?:a |the )?(?:person|human|team|recruiter|underwriter|manager|adviser)",
    r"only (?:a )?(?:draft|drafts|suggestions?|recommendations?)",
    r"(?:engineers|analysts|advisers|advisors|tutors|colleagues|people|humans|editors|lawyers|"
    r"teachers|invigilators|investigators|officers|reviewers|copywriters|underwriters) "
    r"(?:always )?(?:review|check|approve|edit|read|decide|sign off)",
    r"(?:everything|every \w+|each \w+) is (?:reviewed|checked|approved|edited|read|signed off)",
    r"before (?:publication|sending|use|release|merge|merging|it goes out|going out|"
    r"they are released|they go out)",
    r"(?:a|an) \w+ (?:reads|checks|reviews|approves|edits) (?:and \w+ )?(?:every|each|all)",
    r"(?:someone|somebody|a person|a human)(?: \w+){0,5} (?:always )?(?:checks?|reviews?|"
    r"approves?|reads?|edits?)\b",
    r"before (?:replying|responding|answering)",
)
_ON_THE_LOOP = _rx(
    r"on[- ]the[- ]loop",
    r"spot[- ]?check\w*",
    r"sample\w* (?:of )?(?:the )?"
    r"(?:outputs?|answers|replies|decisions|chats|conversations)",
    r"(?:monitor|watch|oversee)\w* (?:it|the (?:outputs?|system|bot|agent|"
    r"dashboard))",
    r"(?:watch|monitor|check|review)\w* (?:a |the |its )?dashboards?",
    r"(?:can|could) (?:step in|intervene|"
    r"override|switch it off|turn it off)",
    r"(?:weekly|monthly|daily) "
    r"(?:review|check|audit)s?",
    r"review (?:a sample|after|afterwards|"
    r"exceptions)",
    r"after the fact",
    r"hand(?:s)? (?:over|off) to a "
    r"(?:person|human|agent)",
)
_NO_OVERSIGHT = _rx(
    r"fully automat\w*",
    r"no (?:human|person|manual) (?:review|check|"
    r"oversight|involvement|in the loop)",
    r"without (?:any )?(?:human|"
    r"person|manual|anyone) (?:review|checks?|checking|oversight|"
    r"involvement|looking)",
    r"(?:nobody|no one) (?:checks|reviews|looks|checking|reviewing)",
    r"automatically (?:sent|posted|"
    r"published|applied|rejected|approved|declined)",
    r"straight (?:out )?to "
    r"(?:customers|candidates|the customer)",
    r"nobody checks each",
    r"(?:appear|happen|go out)\w* automatically",
)

_AGENT = _rx(
    r"\b(?:ai|autonomous|coding|software|llm) agents?\b",
    r"\bagents? (?:that|which) (?:can |will |would )?(?!review|check|approve|read)",
    r"\bagentic\b",
    r"autonomous\w*",
    r"\b(?:sends?|posts?|books?|closes?|updates?|creates?|files?|pays?|refunds?|"
    r"cancels?|merges?|deletes?|moves?|publish(?:es)?)\b(?: \w+){1,2} automatically",
    r"(?:on|by) its own",
    r"by itself",
    r"without (?:asking|"
    r"waiting for) (?:anyone|a person|us)",
    r"takes? actions?",
    r"(?:automatically|itself) (?:creates?|updates?|sends?|books?|closes?|merges?|"
    r"files?|raises?|cancels?|refunds?|pays?|moves?|changes?|deletes?|posts?|"
    r"opens?|triggers?|runs?|executes?|deploys?|schedules?)",
    r"(?:it|the bot|the assistant|the tool) (?:will |can |would )?(?:create|update|"
    r"send|book|close|merge|file|raise|cancel|refund|pay|move|change|delete|"
    r"post|open|trigger|run|execute|deploy|schedule|reply)s? (?:the |a |an |new |"
    r"tickets?|emails?|pull requests?|PRs?|payments?|orders?|records?|meetings?|"
    r"refunds?|jobs?|code|messages?|replies|cases?|invoices?)",
)
_ASSISTANT = _rx(
    r"\bdraft\w*",
    r"suggest\w*",
    r"summar\w+",
    r"translat\w+",
    r"answer\w* "
    r"questions",
    r"brainstorm\w*",
    r"\bwrit(?:e|ing)\b",
    r"rewrit\w+",
    r"proofread\w*",
    r"generat\w+",
    r"explain\w*",
    r"search\w*",
    r"analys\w+",
    r"classif\w+",
    r"score\w*",
    r"predict\w*",
    r"recommend\w*",
    r"transcrib\w+",
    r"\bgrad(?:e|es|ing)\b",
    r"\banswer(?:s|ing)?\b",
    r"\brepl(?:y|ies|ying)\b",
    r"\bmark(?:s|ing)?\b",
    r"\bpric(?:e|es|ing)\b",
    r"assess\w*",
    r"evaluat\w+",
    r"\brat(?:e|es|ing)\b",
    r"captions?",
    r"\bflag\w*",
    r"match\w*",
    r"personalis\w+|personaliz\w+",
    r"chatbot",
    r"assistant",
    r"autocomplet\w*",
    r"code completion",
    r"\bfaq\b",
    r"extract\w*",
    r"detect\w*",
    r"rank\w*",
    r"screen\w*",
    r"identify\w*",
    r"monitor\w*",
    r"forecast\w*",
    r"design\w*",
    r"images?",
)
_WRITE = _rx(
    r"\bwrite\b",
    r"write access",
    r"read[- ]write",
    r"(?:create|update|change|"
    r"modify|delete|close|merge|send|post|book|cancel|refund|pay|move|edit|file|"
    r"raise|assign|approve|reject|deploy|execute|trigger)\w*\b(?! access)",
    r"make (?:payments?|transactions?|changes?|bookings?)",
    r"act(?:s|ing)? on",
)
_READ_ONLY = _rx(
    r"read[- ]only",
    r"only (?:read|reads|view|views|look)",
    r"can(?:'t|not) "
    r"(?:change|write|update|send)",
    r"no write access",
)
_SYSTEMS = _rx(
    r"\bcrm\b",
    r"salesforce",
    r"\bjira\b",
    r"servicenow",
    r"github",
    r"(?:e-?mail|outlook|mailbox\w*|inbox\w*)",
    r"calendars?",
    r"sharepoint",
    r"confluence",
    r"databases?",
    r"(?:payments?|ledger|core banking) (?:system|"
    r"platform)",
    r"zendesk",
    r"\bslack\b",
    r"teams\b",
    r"(?:ticketing|ticket) "
    r"system",
    r"hr system",
    r"workday",
    r"(?:file|shared) drives?",
    r"code ?base",
    r"repositor(?:y|ies)",
    r"(?:support )?tickets?",
    r"spreadsheets?",
    r"(?:customer|loan|case) records?",
    r"the web|internet|browser",
)


def detect_decisions(text: str) -> Findings:
    found = Findings()
    if phrase := _first(_NO_DECISIONS, text):
        found.put("decisions_about_people", "none", f'"{phrase}"')
        return found
    if (phrase := _first(_DECIDES, text)) and re.search(
        PEOPLE + r"|loans?|credit|claims?|"
        r"applications?|accounts?",
        text,
        re.I,
    ):
        found.put("decisions_about_people", "decides", f'"{phrase}"')
    elif phrase := _first(_RECOMMENDS, text):
        found.put("decisions_about_people", "recommends", f'"{phrase}"')
    if "decisions_about_people" in found.values:
        if phrase := _first(_MINOR, text):
            found.put("decision_stakes", "minor", f'"{phrase}"')
        elif phrase := _first(_SIGNIFICANT, text):
            found.put("decision_stakes", "significant", f'"{phrase}"')
    return found


def _negated(text: str) -> tuple[int, int] | None:
    match = _NO_OVERSIGHT.search(text)
    return match.span() if match else None


def detect_oversight(text: str) -> Findings:
    found = Findings()
    negated = _negated(text)
    loop = _IN_THE_LOOP.search(text)
    if loop and negated and loop.start() < negated[1] and negated[0] < loop.end():
        # "no human review" contains "human review": the negation is the finding.
        loop = None
    if loop:
        found.put("human_oversight", "in-the-loop", f'"{loop.group(0).strip()}"')
        return found
    # A stated per-output review wins over "automatically": agents often act on their own and
    # still have every change reviewed.
    for value, pattern in (("none", _NO_OVERSIGHT), ("on-the-loop", _ON_THE_LOOP)):
        if phrase := _first(pattern, text):
            found.put("human_oversight", value, f'"{phrase}"')
            break
    return found


def detect_agency(text: str) -> Findings:
    found = Findings()
    if phrase := _first(_AGENT, text):
        found.put("autonomy", "agent", f'"{phrase}"')
        systems = [m.group(0).strip().lower() for m in _SYSTEMS.finditer(text)]
        if systems:
            found.put("permissions", sorted(set(systems)), "systems named in the description")
        if phrase := _first(_READ_ONLY, text):
            found.put("agent_write_access", False, f'"{phrase}"')
        elif phrase := _first(_WRITE, text):
            found.put("agent_write_access", True, f'"{phrase}"')
    elif phrase := _first(_ASSISTANT, text):
        found.put("autonomy", "assistant", f'"{phrase}"')
    return found
