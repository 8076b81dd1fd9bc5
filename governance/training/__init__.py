"""AI-literacy and other training records (EU AI Act Art. 4; ISO/IEC 42001 7.2 competence).

records (who counts as a person, and recording one completion with its evidence), sheet
(importing a CSV or XLSX of completions: every row checked first, nothing imported if any row
fails) and needs (who must have which course under `training:` in aims.yaml, which completions
still count, coverage per course and who a record's review should chase)."""

from __future__ import annotations

from governance.training.needs import (
    CourseCoverage,
    coverage,
    missing_for_record,
    required_courses,
    valid_completions,
    with_missing_training,
)
from governance.training.records import Recorded, known_people, record_training, resolve_person
from governance.training.sheet import ImportProblem, TrainingImport, import_training

__all__ = [
    "CourseCoverage",
    "ImportProblem",
    "Recorded",
    "TrainingImport",
    "coverage",
    "import_training",
    "known_people",
    "missing_for_record",
    "record_training",
    "required_courses",
    "resolve_person",
    "valid_completions",
    "with_missing_training",
]
