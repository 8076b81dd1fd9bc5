"""Slack-specific identifiers, in one place: action, block and callback ids, slash commands.

Ids that repeat within one message (one button per choice) get a `:N` suffix; listeners match
them with `pattern()`.
"""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    CHOICE = "aims_choice"  # an intake choice button (suffixed :N) or select
    FEEDBACK_UP = "aims_feedback_up"
    FEEDBACK_DOWN = "aims_feedback_down"
    HOME_ASK = "aims_home_ask"
    HOME_REGISTER = "aims_home_register"
    HOME_INCIDENT = "aims_home_incident"
    ASK_INPUT = "aims_ask_input"

    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.value)}(:\d+)?$")

    def numbered(self, index: int) -> str:
        return f"{self.value}:{index}"


class BlockId(StrEnum):
    CHOICES = "aims_choices"
    FEEDBACK = "aims_feedback"
    SOURCES = "aims_sources"
    HOME_ACTIONS = "aims_home_actions"
    ASK_QUESTION = "aims_ask_question"


class CallbackId(StrEnum):
    ASK_MODAL = "aims_ask_modal"


class Command(StrEnum):
    HELP = "/aims"
    ASK = "/ai-ask"
    REGISTER = "/ai-register"
    STATUS = "/ai-status"
    INCIDENT = "/ai-incident"
    FEEDBACK = "/ai-feedback"


class AimsSubcommand(StrEnum):
    """The first word after /aims (anything else shows the help)."""

    AUDIT = "audit"
    ACK = "ack"  # a policy acknowledgement campaign
    FINDING = "finding"  # a lead raises a finding


class ApprovalIds(StrEnum):
    """Approval buttons (on approver DMs and the requester's changes-requested note) and the
    reason and edit modals."""

    ACTIONS_BLOCK = "approval_actions"
    APPROVE = "approval_approve"
    APPROVE_WITH_CONDITIONS = "approval_approve_with_conditions"
    REQUEST_CHANGES = "approval_request_changes"
    REJECT = "approval_reject"
    REASON_MODAL = "approval_reason_modal"
    REASON_BLOCK = "approval_reason_block"
    REASON_INPUT = "approval_reason_input"
    EDIT = "approval_edit"
    EDIT_MODAL = "approval_edit_modal"
    EDIT_REASON_BLOCK = "approval_edit_reason"
    FIELD_INPUT = "value"  # the action id of each field's input; its block id names the field


class ReviewIds(StrEnum):
    """The review DM's buttons and the review form."""

    START = "review_start"
    SNOOZE = "review_snooze"
    MODAL = "review_form"
    IN_USE = "review_in_use"
    CHANGED = "review_changed"
    INCIDENTS = "review_incidents"
    PERFORMING = "review_performing"
    OUTCOME = "review_outcome"
    NOTES = "review_notes"
    RETIRE_REASON = "review_retire_reason"
    RETIRE_ON = "review_retire_on"
    DISPOSAL = "review_data_disposal"
    VALUE = "value"  # every input's action_id: the block_id says which question it answers


class IncidentIds(StrEnum):
    """The "Close incident" button on incident notices, and the report and closure forms."""

    CLOSE = "incident_close"
    REPORT_MODAL = "incident_report"
    CLOSE_MODAL = "incident_close_form"
    AI_USE = "incident_ai_use"
    TOOL = "incident_tool"
    WHAT = "incident_what"
    DAY = "incident_day"
    TIME = "incident_time"
    SEVERITY = "incident_severity"
    HARMED = "incident_harmed"
    HARM_DETAILS = "incident_harm_details"
    SERIOUS = "incident_serious"
    ROOT_CAUSE = "incident_root_cause"
    ACTION = "incident_corrective_action"
    VALUE = "value"


class GatewayIds(StrEnum):
    """The "Get a gateway key" button (approval outcome notice, App Home) and the modal that
    shows the key once."""

    GET_KEY = "gateway_get_key"
    KEY_MODAL = "gateway_key_modal"


class AckIds(StrEnum):
    """Policy acknowledgements: the buttons of a person's request, the leads' "ask for the new
    version" button, and the campaign form (/aims ack)."""

    CONFIRM = "ack_confirm"
    QUESTION = "ack_question"
    RESTART = "ack_restart"
    START_MODAL = "ack_start"
    POLICY = "ack_policy"
    AUDIENCE_KIND = "ack_audience_kind"
    CHANNEL = "ack_channel"
    USERGROUP = "ack_usergroup"
    DUE = "ack_due"
    SUMMARY = "ack_summary"


class FindingIds(StrEnum):
    """Findings and corrective actions: "Mark it done" on an action's notice, and the form
    that raises a finding (/aims finding)."""

    COMPLETE = "finding_complete"
    RAISE_MODAL = "finding_raise"


class FeedbackIds(StrEnum):
    """Feedback from people an AI use affects: the "Give feedback" button and its form."""

    GIVE = "feedback_give"
    MODAL = "feedback_modal"
