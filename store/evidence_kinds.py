"""Every kind of event the evidence ledger records, named once, with what it means and what it
carries, so writers, readers and the audit pack cannot drift apart.

`EvidenceKind` is the catalogue: each member is the kind string stored in the ledger (never
renamed: the chain hashes cover it), a one-line meaning an auditor can read, and the pydantic
model of the payload its writers put in the event. `store.evidence.append` refuses a kind that
is not here and a payload that does not match its kind's model. Walk the catalogue with
`for kind in EvidenceKind: kind.meaning, kind.payload_model`.

Payload models describe the payload as written (before secrets are redacted): dates and times
are ISO strings in the stored JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Payload(BaseModel):
    """A payload whose fields are fixed: a field no writer sends is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FromTo(Payload):
    from_: Any = Field(alias="from")
    to: Any


# --- the register ----------------------------------------------------------------------------


class RecordCreated(Payload):
    record: dict[str, Any]  # the first version's fields, with ref, status and version
    reason: str


class RecordUpdated(Payload):
    version: int
    changes: dict[str, FromTo]  # field name -> its value before and after
    reason: str


class RecordTransitioned(Payload):
    from_: str = Field(alias="from")
    to: str
    version: int
    reason: str


class RecordRetired(Payload):
    reason: str
    retire_on: date
    data_disposal: str


class RecordTierOverridden(Payload):
    from_: str | None = Field(alias="from")
    to: str
    justification: str


class RecordImported(Payload):
    source: str  # the file imported from
    row: int  # as a person counts in the file: the header is row 1
    source_ref: str


# --- periodic reviews ------------------------------------------------------------------------


class ReviewSnoozed(Payload):
    due_on: date
    until: date


class ReviewCompleted(Payload):
    due_on: date
    outcome: Literal["continue", "change", "retire"]
    answers: dict[str, Any] | None


class ReviewDue(Payload):
    due_on: date
    notified: list[str]


class ReviewReminded(Payload):
    due_on: date
    reminder: int


class ReviewEscalated(Payload):
    due_on: date
    to: list[str]
    overdue_days: int


class ReviewLapsed(Payload):
    due_on: date
    effect: Literal["suspended", "flag"]


# --- approvals -------------------------------------------------------------------------------


class ApprovalSlot(Payload):
    key: str
    role: str
    require: Literal["all", "any"]
    approvers: list[str]
    rules: list[str]


class ApprovalRequested(Payload):
    request_id: int
    version: int
    tier: str | None
    tier_reasons: list[Any]
    slots: list[ApprovalSlot]


class ApprovalSuperseded(Payload):
    request_id: int
    version: int
    why: str


class ApprovalDecided(Payload):
    request_id: int
    version: int
    slot: str
    verdict: str
    on_behalf_of: str | None
    reason: str
    conditions: list[Any]
    via: str


class ApprovalRefused(Payload):
    request_id: int
    slot: str
    version: int
    why: str


class DecisionSummary(Payload):
    slot: str
    verdict: str
    by: str
    on_behalf_of: str | None
    at: datetime


class ApprovalCompleted(Payload):
    request_id: int
    version: int
    outcome: str
    conditions: list[str]
    next_review: date | None
    decisions: list[DecisionSummary]


class ApprovalNudged(Payload):
    request_id: int
    version: int
    pending: list[str]  # the slots still waiting for a decision


class ApprovalEscalated(ApprovalNudged):
    leads: list[str]


# --- incidents -------------------------------------------------------------------------------


class IncidentReported(Payload):
    ref: str
    record: str | None  # the register record it is about, if any
    ai_use_ref: str | None
    unregistered_tool: str
    what_happened: str
    occurred_at: datetime
    severity: Literal["low", "medium", "high", "critical"]
    people_harmed: bool
    harm_details: str
    serious_incident: Literal["yes", "no", "unsure"]


class IncidentFollowedUp(Payload):
    follow_up: int
    open_days: int


class IncidentClosed(Payload):
    root_cause: str
    corrective_action: str


# --- training (AI literacy, EU AI Act Art. 4) -------------------------------------------------


class TrainingRecorded(Payload):
    person: str  # a Slack user id
    course: str
    completed_on: date
    evidence_url: str | None
    source: str  # "cli", "slack" or "import:<file name>"
    row: int | None = None  # the row of an imported file, as a person counts (header is row 1)


# --- intake ----------------------------------------------------------------------------------


class TranscriptLine(Payload):
    who: str
    text: str
    at: datetime


class FieldConflict(Payload):
    field: str
    rules: Any
    llm: Any


class IntakeTranscript(Payload):
    conversation_id: int
    workspace: str
    thread: str
    transcript: list[TranscriptLine]
    sources: dict[str, str]  # field -> where its value came from (rules, llm, answer, ...)
    why: dict[str, str]
    conflicts: list[FieldConflict]
    llm_calls: list[dict[str, Any]]


class IntakeExpired(Payload):
    user: str
    title: str
    hours: int


# --- policy answers and documents ------------------------------------------------------------


class AnswerRetrieval(Payload):
    method: str
    confidence: float


class AnswerCitation(Payload):
    number: int
    chunk_id: str
    chunk_hash: str
    source: str
    section: str


class AnswerTool(Payload):
    name: str
    status: str


class AnswerConflict(Payload):
    tool: str
    catalogue_status: str
    place: str
    chunk_id: str
    chunk_hash: str


class AnswerLLM(Payload):
    model: str
    prompt_sha256: str
    raw_output: str
    rejected_citations: list[int]
    error: str | None
    fallback_reason: str | None


class AnswerGiven(Payload):
    question: str  # redacted of personal data
    question_sha256: str  # of the question as asked
    answer: str
    covered: bool
    mode: str
    retrieval: AnswerRetrieval
    citations: list[AnswerCitation]
    tools: list[AnswerTool]
    unknown_tools: list[str]
    records: list[str] | None = None
    conflicts: list[AnswerConflict] | None = None
    fallback_reason: str | None = None
    llm: AnswerLLM | None = None


class AnswerFeedback(Payload):
    vote: Literal["up", "down"]
    answer_ref: str
    channel: str | None
    message_ts: str | None


class IngestedDocument(Payload):
    source: str
    sha256: str | None


class SkippedDocument(Payload):
    source: str
    reason: str


class IngestFlag(Payload):
    source: str
    section: list[str]
    sentence: str
    reason: str


class PoliciesIngested(Payload):
    pipeline: str
    added: list[IngestedDocument]
    changed: list[IngestedDocument]
    removed: list[str]
    unchanged: int
    skipped: list[SkippedDocument]
    flagged: list[IngestFlag]
    trust_lapsed: list[str]
    chunks_embedded: int
    total_chunks: int


class PolicyConflict(Payload):
    tool: str
    catalogue_status: str
    passage_says: str
    sentence: str
    document: str
    section: list[str]
    place: str
    source: str
    chunk_id: str
    chunk_hash: str


class TrustedPassage(Payload):
    section: str
    sentence: str
    reason: str


class PolicyTrust(Payload):
    source: str
    title: str
    sha256: str
    justification: str
    flagged: list[TrustedPassage]  # the flagged sentences the decision covers


class CatalogueSynced(Payload):
    changed: list[str]  # tools added, changed or removed


class DigestQueued(Payload):
    channel: str
    quiet: bool
    counts: dict[str, int]


# --- the Slack edge --------------------------------------------------------------------------


class SlackInbound(BaseModel):
    """The request body exactly as Slack sent it (any shape); for one that could not be read,
    `{"malformed": true, "reason": ..., "body": ...}` or `body_sha256` instead of the body."""

    model_config = ConfigDict(extra="allow", frozen=True)


class SlackInboundDuplicate(Payload):
    key: str


class SlackOutbound(Payload):
    method: str
    args: dict[str, Any]
    result: Any = None


class SlackError(Payload):
    error: str
    payload_type: str


class SlackRejected(Payload):
    reason: str
    not_recorded_since_last: int


# --- the enforcement gateway -----------------------------------------------------------------


class GatewayKeyIssued(Payload):
    key_id: str  # KEY-0001; the key itself is never recorded
    key_prefix: str  # its first characters, to recognise it by
    record_ref: str
    version: int  # the record's version when the key was issued
    via: str  # slack, cli


class GatewayKeyRevoked(Payload):
    key_id: str
    key_prefix: str
    record_ref: str
    reason: str


class GatewayOptionChanged(Payload):
    record_ref: str
    option: Literal["restore_placeholders"]
    from_: bool = Field(alias="from")
    to: bool


class GatewayDecision(Payload):
    """One request the gateway decided (forwarded as received, redacted, or refused).

    Counts and hashes only: the prompt and answer text are kept only when `gateway.store_text`
    is on, in `text`."""

    key_id: str | None  # None: no key, or a key no use holds
    key_prefix: str  # the first characters of the key as presented ("" without a key)
    record_ref: str | None
    version: int | None  # the approved version whose terms applied
    model: str
    outcome: Literal["allow", "redact", "refuse"]
    reason: str | None  # governance.gateway.models.RefusalReason value, None when forwarded
    message: str
    found: dict[str, int]  # kind of personal data -> how many were found
    redacted: dict[str, int]  # kind -> how many were replaced by placeholders
    prompt_sha256_received: str
    prompt_sha256_forwarded: str | None  # None: not forwarded
    upstream: str | None
    upstream_status: int | None
    latency_ms: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    via: Literal["http", "in-process"]
    text: dict[str, Any] | None = None  # {"prompt": ..., "answer": ...} with store_text only


class GatewayCompleted(Payload):
    """What came back for one forwarded request: written after the answer (or the failure),
    linked to its `gateway.decision` event, which was durable before the request left."""

    decision_seq: int  # the sequence number of the request's gateway.decision event
    key_id: str | None
    record_ref: str | None
    model: str
    upstream: str
    stream: bool
    outcome: Literal[
        "answered", "upstream_error", "upstream_failed", "upstream_timeout", "cancelled"
    ]
    upstream_status: int | None  # None: no response (connection failed, timed out)
    reference: str | None  # the reference id the caller was given for a failure
    latency_ms: float  # from forwarding to the last byte of the answer
    first_byte_ms: float | None  # from forwarding to the first byte (time to first token)
    prompt_tokens: int | None  # as the upstream reported them in `usage`
    completion_tokens: int | None
    restored: int  # placeholders mapped back to the originals in the answer
    answer_sha256: str | None  # of the answer body as the caller received it
    text: dict[str, Any] | None = None  # {"answer": ...} with gateway.store_text only


# --- the ledger's own integrity: signing keys and signed digests -------------------------------


class VerbatimPayload(Payload):
    """Signatures, public keys and hashes: public by design, so stored as written. Secret
    redaction would take a "signature" field for a secret and destroy it. Fields named in
    `REDACTED_AS_USUAL` (free text someone typed) are still redacted."""

    REDACTED_AS_USUAL: ClassVar[frozenset[str]] = frozenset()


class LedgerKeyCreated(VerbatimPayload):
    fingerprint: str  # "ed25519:" + sha256 of the raw public key, hex
    public_key_pem: str  # the private key never enters the ledger
    algorithm: Literal["ed25519"]


class LedgerKeyRotated(VerbatimPayload):
    previous_fingerprint: str
    fingerprint: str
    public_key_pem: str
    endorsement: str  # hex signature by the previous key over b"aims-key-rotation:" + fingerprint
    reason: str

    REDACTED_AS_USUAL: ClassVar[frozenset[str]] = frozenset({"reason"})


class LedgerDigest(VerbatimPayload):
    """A signed digest of the chain (store/ledger_verify.py checks it)."""

    digest: int  # 1, 2, 3 ... per ledger
    first_seq: int  # the events this digest adds: the previous digest's last_seq + 1 ...
    last_seq: int  # ... to this one
    head_hash: str  # the hash of event last_seq
    event_count: int  # events 1..last_seq
    created_at: datetime
    previous_signature: str | None  # the previous digest's signature (None for digest 1)
    key_fingerprint: str
    signature: str  # hex Ed25519 signature over the digest without this field, canonical JSON


# --- policy acknowledgements -----------------------------------------------------------------


class AckCampaignStarted(Payload):
    campaign: str
    document: str  # the document's title
    source: str
    version_sha256: str  # the document's bytes when the campaign started
    audience: str  # what the lead chose, e.g. "#all-staff"
    people: int
    due_on: date
    summary: str
    key_rules: list[str]
    supersedes: str | None = None  # the campaign for the previous version


class AckSent(Payload):
    campaign: str
    person: str
    version_sha256: str
    shown_sha256: str  # the exact words of the message sent


class AckAcknowledged(Payload):
    campaign: str
    person: str
    document: str
    version_sha256: str
    shown_sha256: str
    via: str = "message"  # where they clicked: the request message, or App Home


class AckRefused(Payload):
    campaign: str
    person: str  # who clicked
    reason: str


class AckChased(Payload):
    campaign: str
    person: str
    days_waiting: int
    number: int = 0  # the reminder's number; 0 for an escalation
    told: list[str] = Field(default_factory=list)  # an escalation: the manager or the leads


class AckWithdrawn(Payload):
    campaign: str
    person: str
    reason: str


class AckQuestion(Payload):
    campaign: str
    person: str
    routed_to_leads: bool
    question: str = ""


# --- findings, corrective actions, management review, feedback --------------------------------


class FindingRaised(Payload):
    ref: str
    kind: str
    source: str
    source_ref: str
    title: str
    description: str
    records: list[str]
    controls: list[str]
    severity: str
    owner: str
    root_cause: str


class FindingUpdated(Payload):
    finding: str
    field: str
    from_: Any = Field(alias="from")
    to: Any


class FindingActionAdded(Payload):
    finding: str
    action: str
    description: str
    owner: str
    due_on: date


class FindingActionDone(Payload):
    finding: str
    action: str
    note: str


class FindingActionNudged(Payload):
    finding: str
    action: str
    owner: str
    due_on: date
    when: Literal["before", "after"]


class FindingActionEscalated(Payload):
    finding: str
    action: str
    owner: str
    due_on: date
    told: list[str]


class FindingVerified(Payload):
    finding: str
    verification: str


class FindingReopened(Payload):
    finding: str
    reason: str


class ManagementReviewPrepared(Payload):
    review: str
    period_start: date
    period_end: date
    first_seq: int  # the evidence the inputs summarise
    last_seq: int
    inputs: dict[str, Any]


class ManagementReviewDecided(Payload):
    review: str
    decision: str


class ManagementReviewMinutes(Payload):
    review: str
    held_on: date
    attendees: list[str]
    decisions: list[str]
    actions: list[str]  # corrective action refs
    first_seq: int
    last_seq: int


class FeedbackReceived(Payload):
    feedback: str
    record: str
    text: str
    anonymous: bool
    reporter: str | None = None  # only when they consented to be named


class FeedbackTurnedInto(Payload):
    feedback: str
    into: Literal["finding", "incident"]
    ref: str


# --- the catalogue ---------------------------------------------------------------------------


class EvidenceKind(StrEnum):
    """What an evidence event records: value (the stored kind), meaning, payload model."""

    meaning: str
    payload_model: type[BaseModel]

    def __new__(cls, value: str, meaning: str, payload_model: type[BaseModel]) -> EvidenceKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        member.payload_model = payload_model
        return member

    RECORD_CREATED = (
        "record.created",
        "An AI use was entered in the AI register, with its first version's fields.",
        RecordCreated,
    )
    RECORD_UPDATED = (
        "record.updated",
        "A register record was changed: a new version, with each field's old and new value.",
        RecordUpdated,
    )
    RECORD_TRANSITIONED = (
        "record.transitioned",
        "A register record moved to another lifecycle status (for example approved, live).",
        RecordTransitioned,
    )
    RECORD_RETIRED = (
        "record.retired",
        "An AI use was retired at review, with the reason, the date and how its data is disposed.",
        RecordRetired,
    )
    RECORD_TIER_OVERRIDDEN = (
        "record.tier_overridden",
        "A person overrode the computed risk tier of an AI use, with a justification.",
        RecordTierOverridden,
    )
    RECORD_IMPORTED = (
        "record.imported",
        "A register record was created by importing a row of a spreadsheet.",
        RecordImported,
    )
    REVIEW_DUE = (
        "review.due",
        "The periodic review of an AI use fell due and its owner was asked to do it.",
        ReviewDue,
    )
    REVIEW_REMINDED = (
        "review.reminded",
        "An owner was reminded of an overdue periodic review.",
        ReviewReminded,
    )
    REVIEW_ESCALATED = (
        "review.escalated",
        "An overdue periodic review was escalated to the governance leads.",
        ReviewEscalated,
    )
    REVIEW_LAPSED = (
        "review.lapsed",
        "A periodic review was not done within the grace period; the record was flagged or "
        "suspended.",
        ReviewLapsed,
    )
    REVIEW_SNOOZED = (
        "review.snoozed",
        "A person postponed a due periodic review, within the allowed bound.",
        ReviewSnoozed,
    )
    REVIEW_COMPLETED = (
        "review.completed",
        "A periodic review was completed: the answers given and the outcome (continue, change, "
        "retire).",
        ReviewCompleted,
    )
    APPROVAL_REQUESTED = (
        "approval.requested",
        "A version of an AI use was submitted for approval, naming the approvals it needs.",
        ApprovalRequested,
    )
    APPROVAL_SUPERSEDED = (
        "approval.superseded",
        "An open approval request was replaced by a newer version of the record.",
        ApprovalSuperseded,
    )
    APPROVAL_DECIDED = (
        "approval.decided",
        "An approver (or their delegate) decided one required approval, with reason and "
        "conditions.",
        ApprovalDecided,
    )
    APPROVAL_REFUSED = (
        "approval.refused",
        "An attempt to decide an approval was refused (not an approver, own request, outdated).",
        ApprovalRefused,
    )
    APPROVAL_COMPLETED = (
        "approval.completed",
        "Every required approval was decided; the request closed with its outcome.",
        ApprovalCompleted,
    )
    APPROVAL_NUDGED = (
        "approval.nudged",
        "Approvers who had not decided an overdue approval were reminded.",
        ApprovalNudged,
    )
    APPROVAL_ESCALATED = (
        "approval.escalated",
        "An approval still undecided after the reminder was escalated to the governance leads.",
        ApprovalEscalated,
    )
    INCIDENT_REPORTED = (
        "incident.reported",
        "Someone reported an AI incident: what happened, when, severity and harm to people.",
        IncidentReported,
    )
    INCIDENT_FOLLOWED_UP = (
        "incident.followed_up",
        "The owner and the leads were asked where an open incident stands.",
        IncidentFollowedUp,
    )
    INCIDENT_CLOSED = (
        "incident.closed",
        "An incident was closed with its root cause and corrective action.",
        IncidentClosed,
    )
    TRAINING_RECORDED = (
        "training.recorded",
        "A person's completion of an AI training course (AI literacy, human oversight) was "
        "recorded, with its date, evidence link and where the record came from.",
        TrainingRecorded,
    )
    INTAKE_TRANSCRIPT = (
        "intake.transcript",
        "The conversation that registered an AI use, with where each field's value came from.",
        IntakeTranscript,
    )
    INTAKE_EXPIRED = (
        "intake.expired",
        "An unfinished registration conversation was closed after a period of silence.",
        IntakeExpired,
    )
    ANSWER_GIVEN = (
        "answer.given",
        "The bot answered a policy question, citing the passages and tool statuses it used.",
        AnswerGiven,
    )
    ANSWER_FEEDBACK = (
        "answer.feedback",
        "A person rated a policy answer helpful or not.",
        AnswerFeedback,
    )
    POLICIES_INGESTED = (
        "policies.ingested",
        "Policy documents were loaded: which were added, changed, removed or flagged.",
        PoliciesIngested,
    )
    # Appended once per (tool, catalogue status, passage), the first time an answer or an
    # ingest finds it; the weekly digest lists those still open.
    POLICY_CONFLICT = (
        "policy.conflict",
        "A policy passage contradicts the tool catalogue about a tool.",
        PolicyConflict,
    )
    POLICY_TRUSTED = (
        "policy.trusted",
        "A governance lead vouched for a policy document version, so its flagged passages are "
        "answered from.",
        PolicyTrust,
    )
    POLICY_UNTRUSTED = (
        "policy.untrusted",
        "A governance lead withdrew trust from a policy document.",
        PolicyTrust,
    )
    CATALOGUE_SYNCED = (
        "catalogue.synced",
        "The catalogue of approved and blocked AI tools was changed from the organisation's "
        "configuration.",
        CatalogueSynced,
    )
    DIGEST_QUEUED = (
        "digest.queued",
        "The weekly governance digest was queued for the governance channel, with its figures.",
        DigestQueued,
    )
    SLACK_INBOUND = (
        "slack.inbound",
        "A verified request from Slack (message, command, click or form) was received.",
        SlackInbound,
    )
    SLACK_INBOUND_DUPLICATE = (
        "slack.inbound.duplicate",
        "A Slack request already handled arrived again (a retry or double click) and was ignored.",
        SlackInboundDuplicate,
    )
    SLACK_OUTBOUND = (
        "slack.outbound",
        "The bot sent something to Slack (a message, an update, a form), and Slack's reply.",
        SlackOutbound,
    )
    SLACK_ERROR = (
        "slack.error",
        "A request failed on the bot's side; the reference id the person was given.",
        SlackError,
    )
    SLACK_REJECTED = (
        "slack.rejected",
        "A request claiming to come from Slack was refused (bad signature, stale, malformed).",
        SlackRejected,
    )

    GATEWAY_KEY_ISSUED = (
        "gateway.key.issued",
        "A gateway key was issued for an approved AI use (recorded by id and prefix, never the "
        "key).",
        GatewayKeyIssued,
    )
    GATEWAY_KEY_REVOKED = (
        "gateway.key.revoked",
        "A gateway key was revoked, with the reason; requests with it are refused from then on.",
        GatewayKeyRevoked,
    )
    GATEWAY_OPTION_CHANGED = (
        "gateway.option.changed",
        "A gateway option of an AI use was changed (restoring placeholders in answers).",
        GatewayOptionChanged,
    )
    GATEWAY_DECISION = (
        "gateway.decision",
        "The gateway allowed, redacted or refused one AI request of an AI use, and why.",
        GatewayDecision,
    )
    GATEWAY_COMPLETED = (
        "gateway.completed",
        "A request the gateway forwarded was answered or failed upstream: status, latency and "
        "token counts, linked to its decision.",
        GatewayCompleted,
    )

    ACK_CAMPAIGN_STARTED = (
        "ack.campaign_started",
        "A governance lead asked an audience to acknowledge one version of a policy, with the "
        "key rules quoted and a due date.",
        AckCampaignStarted,
    )
    ACK_SENT = (
        "ack.sent",
        "A person was sent a policy to acknowledge; the hash of the exact words they were shown.",
        AckSent,
    )
    ACK_ACKNOWLEDGED = (
        "ack.acknowledged",
        "A person acknowledged that they read a policy version and will follow it.",
        AckAcknowledged,
    )
    ACK_REFUSED = (
        "ack.refused",
        "An acknowledgement was refused: not the addressee, or a superseded policy version.",
        AckRefused,
    )
    ACK_REMINDED = (
        "ack.reminded",
        "A person was reminded of a policy they have not acknowledged.",
        AckChased,
    )
    ACK_ESCALATED = (
        "ack.escalated",
        "A person's manager or the governance leads were told a policy is still unacknowledged.",
        AckChased,
    )
    ACK_WITHDRAWN = (
        "ack.withdrawn",
        "A person left a campaign's audience, so they are no longer asked or reminded.",
        AckWithdrawn,
    )
    ACK_QUESTION = (
        "ack.question",
        "A person asked a question about a policy they were asked to acknowledge.",
        AckQuestion,
    )

    FINDING_RAISED = (
        "finding.raised",
        "A finding (nonconformity, observation or opportunity for improvement) was raised, with "
        "its source, records, controls, severity and owner.",
        FindingRaised,
    )
    FINDING_UPDATED = (
        "finding.updated",
        "A finding's details changed (its root cause), with the old and new value.",
        FindingUpdated,
    )
    FINDING_ACTION_ADDED = (
        "finding.action_added",
        "A corrective action was planned for a finding, with its owner and due date.",
        FindingActionAdded,
    )
    FINDING_ACTION_DONE = (
        "finding.action_done",
        "A corrective action was done.",
        FindingActionDone,
    )
    FINDING_ACTION_NUDGED = (
        "finding.action_nudged",
        "A corrective action's owner was nudged before or after its due date.",
        FindingActionNudged,
    )
    FINDING_ACTION_ESCALATED = (
        "finding.action_escalated",
        "An overdue corrective action was escalated to the governance leads.",
        FindingActionEscalated,
    )
    FINDING_VERIFIED = (
        "finding.verified",
        "The effectiveness of a finding's corrective actions was verified, and how.",
        FindingVerified,
    )
    FINDING_CLOSED = (
        "finding.closed",
        "A verified finding was closed.",
        FindingVerified,
    )
    FINDING_REOPENED = (
        "finding.reopened",
        "A finding was reopened, with the reason.",
        FindingReopened,
    )
    MANAGEMENT_REVIEW_PREPARED = (
        "management_review.prepared",
        "The inputs of a management review were prepared for a period, with the evidence range "
        "they summarise.",
        ManagementReviewPrepared,
    )
    MANAGEMENT_REVIEW_DECIDED = (
        "management_review.decided",
        "A governance lead recorded a decision of a management review.",
        ManagementReviewDecided,
    )
    MANAGEMENT_REVIEW_MINUTES = (
        "management_review.minutes",
        "The minutes of a management review: attendees, decisions, actions, evidence range.",
        ManagementReviewMinutes,
    )
    FEEDBACK_RECEIVED = (
        "feedback.received",
        "Someone affected by an AI use reported a concern about it (anonymously unless they "
        "consented to be named).",
        FeedbackReceived,
    )
    FEEDBACK_TURNED_INTO = (
        "feedback.turned_into",
        "A governance lead turned feedback into a finding or an incident.",
        FeedbackTurnedInto,
    )

    LEDGER_KEY_CREATED = (
        "ledger.key_created",
        "A key for signing digests of the ledger was created; its public key and fingerprint.",
        LedgerKeyCreated,
    )
    LEDGER_KEY_ROTATED = (
        "ledger.key_rotated",
        "A governance lead replaced the ledger's signing key; the old key endorsed the new one.",
        LedgerKeyRotated,
    )
    LEDGER_DIGEST = (
        "ledger.digest",
        "A signed digest of the ledger: the events it covers, the head hash and the previous "
        "digest's signature.",
        LedgerDigest,
    )

    @property
    def verbatim_fields(self) -> frozenset[str]:
        """The payload fields stored as written, without secret redaction (signatures and
        public keys of the ledger's own kinds); none for every other kind."""
        model = self.payload_model
        if not issubclass(model, VerbatimPayload):
            return frozenset()
        return frozenset(model.model_fields) - model.REDACTED_AS_USUAL

    def check(self, payload_json: str) -> BaseModel:
        """The payload (its JSON text) read with this kind's model; PayloadMismatch if it does
        not fit. Error messages name fields and problems, never the values (secrets stay out
        of logs)."""
        try:
            return self.payload_model.model_validate_json(payload_json)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'payload'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise PayloadMismatch(
                f"the payload of a {self.value!r} event must match "
                f"{self.payload_model.__name__}: {problems}"
            ) from None


class UnknownEvidenceKind(ValueError):
    """A kind that is not in the catalogue (EvidenceKind)."""


class PayloadMismatch(ValueError):
    """A payload that does not match its kind's payload model."""


_BY_VALUE: Mapping[str, EvidenceKind] = {kind.value: kind for kind in EvidenceKind}


def evidence_kind(kind: str) -> EvidenceKind:
    """The catalogued kind with this value (a member, or its string); UnknownEvidenceKind if
    the catalogue has no such kind."""
    found = _BY_VALUE.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise UnknownEvidenceKind(
            f"{kind!r} is not an evidence kind: every kind the ledger records is declared, with "
            "its meaning and payload, in store/evidence_kinds.py (EvidenceKind)"
        )
    return found
