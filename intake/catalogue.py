"""Which catalogue tools does a piece of text name?

retrieval.tools.find_tools is the shared matcher; until it is installed, a small word-boundary
matcher over names and aliases stands in so intake and the router work on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from governance.config import CatalogueTool


def _own_find_tools(text: str, catalogue: Sequence[CatalogueTool]) -> list[CatalogueTool]:
    lowered = text.lower()
    spans: list[tuple[int, int, CatalogueTool]] = []
    for tool in catalogue:
        for name in sorted({tool.name, *tool.aliases}, key=len, reverse=True):
            pattern = r"(?<![\w-])" + re.escape(name.lower()) + r"(?![\w-])"
            match = re.search(pattern, lowered)
            if match:
                spans.append((match.start(), match.end(), tool))
                break
    # The longest mention wins an overlap: "GitHub Copilot" is not also "Copilot".
    spans.sort(key=lambda span: (-(span[1] - span[0]), span[0]))
    chosen: list[tuple[int, int, CatalogueTool]] = []
    for start, end, tool in spans:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, tool))
    chosen.sort(key=lambda span: span[0])
    return [tool for _, _, tool in chosen]


def find_tools_in(text: str, catalogue: Sequence[CatalogueTool]) -> list[CatalogueTool]:
    """Catalogue tools the text mentions, in the order they appear."""
    try:
        from retrieval.tools import find_tools
    except ImportError:
        return _own_find_tools(text, catalogue)
    return list(find_tools(text, list(catalogue)))
