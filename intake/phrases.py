"""What a requester's reply is, by its words: a command ("back", "skip", "cancel"), a "don't
know", a correction, or a policy question typed instead of an answer."""

from __future__ import annotations

import re

CANCELS = re.compile(r"^\s*(?:cancel|stop|quit|abort|exit|never ?mind|forget it)\b[.!]?\s*$", re.I)
GOES_BACK = re.compile(r"^\s*(?:back|go back|previous|undo)[.!]?\s*$", re.I)
SKIPS = re.compile(r"^\s*(?:skip|skip (?:it|this|this one)|pass|next)[.!]?\s*$", re.I)
DONT_KNOW = re.compile(
    r"^\s*(?:(?:i )?(?:don't|do not|dont|don’t) know|not sure|no idea|no clue|unknown|unsure|"
    r"idk|dunno|n/?a\b|tbc\b|to be confirmed|not (?:decided|known) yet|not yet known)",
    re.I,
)
# A question typed instead of an answer: "Can I use ChatGPT for this?"
QUESTION = re.compile(
    r"\?\s*$|^\s*(?:can|may|could) (?:i|we)\b|^\s*(?:am i|are we) allowed\b|"
    r"^\s*is it (?:ok|okay|allowed|permitted)\b",
    re.I,
)
HELP_ASKED = re.compile(r"^\s*(?:help|\?|what do you mean\??|i don't understand|explain)\s*$", re.I)
CORRECTION = re.compile(
    r"^\s*(?:actually|correction|sorry|wait|oops|in fact|to be clear|"
    r"one more thing|also|update|change)\b",
    re.I,
)
CONFIRMS = re.compile(
    r"^\s*(?:confirm|yes|y|submit|file it|looks (?:good|right|fine)|"
    r"that'?s (?:right|correct)|correct|ok|okay|go ahead|send it)\b",
    re.I,
)
EDIT_ASKED = re.compile(r"^\s*(?:edit|change|fix)\b\s*(.*)$", re.I)
# "Also" adds to what a list field holds rather than replacing it.
ALSO = re.compile(r"\b(?:also|too|as well|additionally|in addition)\b", re.I)


def is_aside(said: str) -> bool:
    """A policy question typed where an answer was expected (not "skip?" or "me?")."""
    return len(said.split()) >= 3 and bool(QUESTION.search(said))
