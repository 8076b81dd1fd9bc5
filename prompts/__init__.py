"""Prompt templates as versioned data: each file is loaded with the SHA-256 of its text.

The hash is recorded with every LLM call, so evidence says exactly which wording was used.
No logic lives here beyond loading; callers fill the `$name` placeholders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    sha256: str


@cache
def load_prompt(name: str) -> Prompt:
    """Load `prompts/<name>.md`; raises FileNotFoundError naming the missing template."""
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt template {name!r} not found at {path}")
    text = path.read_text(encoding="utf-8")
    return Prompt(name=name, text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
