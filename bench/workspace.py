"""A throwaway copy of the sample organisation for a benchmark run."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sample_organisation(work: Path) -> Path:
    """`work/org/` holding a copy of the sample organisation's aims.yaml; returns the folder."""
    org = work / "org"
    org.mkdir()
    shutil.copy2(REPO / "examples" / "acme" / "aims.yaml", org / "aims.yaml")
    return org
