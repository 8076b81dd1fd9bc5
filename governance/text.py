"""People's words inside Slack mrkdwn: shown as typed, never read as markup or mentions."""

from __future__ import annotations


def esc(text: str) -> str:
    """&, < and > would otherwise be read as markup (`<!channel>`, disguised links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
