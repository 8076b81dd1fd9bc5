"""Every kind of message the outbox sends, named once with what it tells whom.

The kind is stored on each outbox row (and in its notice); senders and renderers read the
notice, not the kind, so the kind is for people reading the table and for the audit pack. Some
values equal an evidence kind ("incident.reported"): the message tells people about the event
the ledger records. See store.evidence_kinds for the ledger's catalogue.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    """What an outbox message is: value (the stored kind) and meaning."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> OutboxKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    APPROVAL_REQUEST = (
        "approval.request",
        "Posted in the governance channel: an AI use needs approval (the thread's first message).",
    )
    APPROVAL_DM = "approval.dm", "An approver is asked, by direct message, to decide an approval."
    APPROVAL_DECISION = (
        "approval.decision",
        "In the approval's thread: an approver decided.",
    )
    APPROVAL_REQUESTER = (
        "approval.requester",
        "The requester's status message: how each approval their request needs stands, posted "
        "once in the thread where they registered (else in their DM), then updated.",
    )
    APPROVAL_REQUESTER_UPDATE = (
        "approval.requester_update",
        "The requester's status message is updated: an approver decided, or the request closed "
        "or was replaced.",
    )
    APPROVAL_ORIGIN = (
        "approval.origin",
        "Never sent: the thread where the requester registered an AI use, so what they are told "
        "about its approval replies there.",
    )
    APPROVAL_DM_UPDATE = (
        "approval.dm_update",
        "An approver's request message loses its buttons: decided or replaced.",
    )
    APPROVAL_SUPERSEDED = (
        "approval.superseded",
        "In the approval's thread: the request was replaced by a newer version.",
    )
    APPROVAL_OUTCOME = (
        "approval.outcome",
        "The outcome of an approval request: in its thread, to the requester (a reply where "
        "they registered) and to the business owner.",
    )
    APPROVAL_NUDGE = "approval.nudge", "An approver is reminded of an overdue approval."
    APPROVAL_ESCALATION = (
        "approval.escalation",
        "In the approval's thread and to each governance lead: an approval is still undecided.",
    )
    REVIEW_DUE = "review.due", "An owner is asked to do the periodic review of an AI use."
    REVIEW_REMINDER = "review.reminder", "An owner is reminded of an overdue periodic review."
    REVIEW_ESCALATION = (
        "review.escalation",
        "The governance leads are told a periodic review is overdue.",
    )
    REVIEW_LAPSED = (
        "review.lapsed",
        "The owner and the leads are told a record was flagged or suspended for a lapsed review.",
    )
    INCIDENT_REPORTED = (
        "incident.reported",
        "The owner and the leads are told an AI incident was reported.",
    )
    INCIDENT_FOLLOW_UP = (
        "incident.follow_up",
        "The owner and the leads are asked where an open incident stands.",
    )
    INCIDENT_CLOSED = (
        "incident.closed",
        "The people involved are told an incident was closed, with cause and corrective action.",
    )
    INTAKE_EXPIRED = (
        "intake.expired",
        "A requester is told their unfinished registration was closed.",
    )
    POLICY_SEARCH_UNAVAILABLE = (
        "policy_search.unavailable",
        "The governance leads are told policy search is down (its index does not answer); at "
        "most once per ten minutes.",
    )
    DIGEST_WEEKLY = "digest.weekly", "The weekly governance digest, in the digest channel."
    DIGEST_CHART = "digest.chart", "The weekly digest's chart, in the digest's thread."
    GATEWAY_KEY_ISSUED = (
        "gateway.key.issued",
        "The owner of an AI use is told a gateway key was issued for it (never the key itself).",
    )
    GATEWAY_KEY_REVOKED = (
        "gateway.key.revoked",
        "The owner of an AI use is told one of its gateway keys was revoked, and why.",
    )
    ACK_REQUEST = (
        "ack.request",
        "A person is asked, by direct message, to read and acknowledge a policy version.",
    )
    ACK_DONE = (
        "ack.done",
        "A person's acknowledgement request loses its buttons: acknowledged, or replaced.",
    )
    ACK_REMINDER = "ack.reminder", "A person is reminded of a policy they have not acknowledged."
    ACK_ESCALATION = (
        "ack.escalation",
        "A manager or the governance leads are told who has not acknowledged a policy.",
    )
    ACK_QUESTION = (
        "ack.question",
        "The governance leads are asked a question about a policy the bot could not answer.",
    )
    ACK_POLICY_CHANGED = (
        "ack.policy_changed",
        "The governance leads are told a policy changed under open campaigns, with a button to "
        "ask for the new version.",
    )
    FINDING_RAISED = "finding.raised", "A finding's owner is told it was raised and is theirs."
    FINDING_ACTION = (
        "finding.action",
        "A corrective action's owner is told it is theirs, with its due date.",
    )
    FINDING_NUDGE = (
        "finding.nudge",
        "A corrective action's owner is nudged before or after its due date.",
    )
    FINDING_ESCALATION = (
        "finding.escalation",
        "The governance leads are told a corrective action is overdue.",
    )
    FINDING_STATUS = (
        "finding.status",
        "A finding's owner is told it moved on: actions done, closed, reopened.",
    )
    MANAGEMENT_REVIEW_INPUTS = (
        "management_review.inputs",
        "The management review's inputs, posted to the governance channel (the thread's first "
        "message).",
    )
    MANAGEMENT_REVIEW_CHART = (
        "management_review.chart",
        "The management review's chart and export, in its thread.",
    )
    MANAGEMENT_REVIEW_NOTE = (
        "management_review.note",
        "In the management review's thread: a decision or an action was recorded.",
    )
    FEEDBACK_RECEIVED = (
        "feedback.received",
        "An AI use's owner is told of feedback about it from someone it affects.",
    )
