"""People as an approval message names them: by their name in aims.yaml, or else by their Slack
user id, which the message then lists as a mention (so Slack shows the person, while the
terminal and the CLI keep the plain id)."""

from __future__ import annotations

from collections.abc import Iterable

from governance.approvals.fast_track import FAST_TRACK_ACTOR
from governance.config import SLACK_USER_ID, OrgConfig

FAST_TRACK_NAME = "the AIMS fast track"


class Names:
    """Display names for one message; `mentions` are the ids it had to show bare."""

    def __init__(self, config: OrgConfig) -> None:
        self.config = config
        self.mentions: list[str] = []

    def __call__(self, who: str) -> str:
        if who == FAST_TRACK_ACTOR:
            return FAST_TRACK_NAME
        if self.config.person(who) is None and SLACK_USER_ID.match(who):
            if who not in self.mentions:
                self.mentions.append(who)
        return self.config.display_name(who)

    def any_of(self, people: Iterable[str]) -> str:
        """ "A or B or C"."""
        return " or ".join(self(person) for person in people)
