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
    INFO_MODAL = "aims_info_modal"


class Command(StrEnum):
    HELP = "/aims"
    ASK = "/ai-ask"
    REGISTER = "/ai-register"
    STATUS = "/ai-status"
    INCIDENT = "/ai-incident"


class EvidenceKind(StrEnum):
    INBOUND = "slack.inbound"
    DUPLICATE = "slack.inbound.duplicate"
    OUTBOUND = "slack.outbound"
    ERROR = "slack.error"
    REJECTED = "slack.rejected"
    FEEDBACK = "answer.feedback"
