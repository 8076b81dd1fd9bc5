"""The frameworks an AI management system answers to, as data shipped with AIMS Bot.

The YAML files beside this module hold public facts and our reading of them:

- `iso42001.yaml`: ISO/IEC 42001:2023 clauses 4-10 and the 38 Annex A controls (ids, titles);
- `nist_ai_rmf.yaml`: NIST AI RMF 1.0 functions, 19 categories, 72 subcategories;
- `eu_ai_act.yaml`: the EU AI Act articles that bind providers and deployers of registered uses;
- `annex_a_mapping.yaml`: each Annex A control -> NIST subcategories and AI Act articles, with why;
- `annex_a_implementation.yaml`: how AIMS Bot implements each control (full, partial, none);
- `evidence_controls.yaml`: each evidence kind -> the Annex A controls its events show operating.

`frameworks()` loads them once, typed and cross-checked: an id that names nothing, or an evidence
kind the ledger does not know, raises `FrameworkDataError` naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache, cached_property
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from governance.errors import AimsError
from store.evidence_kinds import EvidenceKind

ISO_FILE = "iso42001.yaml"
NIST_FILE = "nist_ai_rmf.yaml"
AI_ACT_FILE = "eu_ai_act.yaml"
MAPPING_FILE = "annex_a_mapping.yaml"
IMPLEMENTATION_FILE = "annex_a_implementation.yaml"
EVIDENCE_FILE = "evidence_controls.yaml"


class FrameworkDataError(AimsError):
    """The framework data shipped with AIMS Bot is inconsistent (a packaging or editing bug)."""


def _one_line(value: str) -> str:
    if "\n" in value:
        raise ValueError("must be one line")
    return value


OneLine = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(_one_line),
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- ISO/IEC 42001 ---------------------------------------------------------------------------


class IsoEntry(_Data):
    """A clause or Annex A entry; `heading` entries group others and are not assessed."""

    id: str
    title: OneLine
    heading: bool = False


class Control(_Data):
    """An Annex A control, with the objective it belongs to (A.6.2.6 -> A.6)."""

    id: str
    title: str
    objective_id: str
    objective_title: str


class _IsoFile(_Data):
    clauses: list[IsoEntry]
    annex_a: list[IsoEntry]


# --- NIST AI RMF -----------------------------------------------------------------------------


class NistSubcategory(_Data):
    id: str
    statement: str


class NistCategory(_Data):
    id: str
    statement: str
    subcategories: list[NistSubcategory]


class NistFunction(_Data):
    id: Literal["GOVERN", "MAP", "MEASURE", "MANAGE"]
    title: str
    statement: str
    categories: list[NistCategory]


class _NistFile(_Data):
    functions: list[NistFunction]


# --- EU AI Act -------------------------------------------------------------------------------


class AnnexIIIPoint(_Data):
    id: str
    title: str


class Article(_Data):
    id: str  # "Art. 26", or "Annex III"
    title: OneLine
    binds: list[Literal["provider", "deployer"]] = Field(min_length=1)
    summary: OneLine
    points: list[AnnexIIIPoint] = Field(default_factory=list)


class _AiActFile(_Data):
    articles: list[Article]


# --- our mappings ----------------------------------------------------------------------------


class Link(_Data):
    """One row of the control mapping: a NIST subcategory or AI Act article, and why."""

    id: str
    why: OneLine


class ControlMapping(_Data):
    nist: list[Link] = Field(default_factory=list)
    ai_act: list[Link] = Field(default_factory=list)
    not_mapped: OneLine | None = None  # why nothing is linked

    @model_validator(mode="after")
    def _mapped_or_said_why_not(self) -> ControlMapping:
        linked = bool(self.nist or self.ai_act)
        if linked and self.not_mapped:
            raise ValueError("links rows and says not_mapped: choose one")
        if not linked and not self.not_mapped:
            raise ValueError("links nothing: add nist/ai_act rows or not_mapped: <why>")
        return self


class _MappingFile(_Data):
    controls: dict[str, ControlMapping]


class Coverage(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class Implementation(_Data):
    coverage: Coverage
    how: OneLine
    config: list[str] = Field(default_factory=list)  # top-level aims.yaml keys that shape it


class _ImplementationFile(_Data):
    controls: dict[str, Implementation]


class EvidenceLink(_Data):
    controls: list[str] = Field(min_length=1)
    why: OneLine


class _EvidenceFile(_Data):
    kinds: dict[str, EvidenceLink]


# --- the whole ------------------------------------------------------------------------------


class Frameworks(_Data):
    clauses: list[IsoEntry]
    annex_a: list[IsoEntry]
    nist: list[NistFunction]
    ai_act: list[Article]
    mapping: dict[str, ControlMapping]
    implementation: dict[str, Implementation]
    evidence: dict[str, EvidenceLink]

    @cached_property
    def controls(self) -> list[Control]:
        """The Annex A controls in the standard's order."""
        titles = {entry.id: entry.title for entry in self.annex_a if entry.heading}
        result = []
        for entry in self.annex_a:
            if entry.heading:
                continue
            objective = entry.id.split(".")
            objective_id = ".".join(objective[:2])
            result.append(
                Control(
                    id=entry.id,
                    title=entry.title,
                    objective_id=objective_id,
                    objective_title=titles.get(objective_id, ""),
                )
            )
        return result

    @cached_property
    def control_ids(self) -> frozenset[str]:
        return frozenset(control.id for control in self.controls)

    @cached_property
    def nist_categories(self) -> list[NistCategory]:
        return [category for function in self.nist for category in function.categories]

    @cached_property
    def nist_subcategories(self) -> list[NistSubcategory]:
        return [sub for category in self.nist_categories for sub in category.subcategories]

    @cached_property
    def nist_ids(self) -> frozenset[str]:
        return frozenset(sub.id for sub in self.nist_subcategories)

    @cached_property
    def ai_act_ids(self) -> frozenset[str]:
        return frozenset(article.id for article in self.ai_act)

    def control(self, control_id: str) -> Control:
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def kinds_for(self, control_id: str) -> list[str]:
        """The evidence kinds whose events show this control operating, in catalogue order."""
        return [kind for kind, link in self.evidence.items() if control_id in link.controls]

    def problems(self) -> list[str]:
        """Every reference in the mapping files that names nothing (empty when consistent)."""
        found: list[str] = []
        controls, kinds = self.control_ids, {kind.value for kind in EvidenceKind}
        for control_id, mapping in self.mapping.items():
            where = f"{MAPPING_FILE}: {control_id}"
            if control_id not in controls:
                found.append(f"{where}: not an Annex A control")
            found += [
                f"{where}: unknown NIST subcategory {link.id!r}"
                for link in mapping.nist
                if link.id not in self.nist_ids
            ]
            found += [
                f"{where}: unknown AI Act article {link.id!r}"
                for link in mapping.ai_act
                if link.id not in self.ai_act_ids
            ]
        found += [
            f"{IMPLEMENTATION_FILE}: {control_id}: not an Annex A control"
            for control_id in self.implementation
            if control_id not in controls
        ]
        for kind, link in self.evidence.items():
            if kind not in kinds:
                found.append(f"{EVIDENCE_FILE}: {kind}: not an evidence kind (EvidenceKind)")
            found += [
                f"{EVIDENCE_FILE}: {kind}: unknown Annex A control {control_id!r}"
                for control_id in link.controls
                if control_id not in controls
            ]
        return found


def _read(folder: Traversable | Path, name: str, model: type[_Data]) -> Any:
    try:
        data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        return model.model_validate(data)
    except FileNotFoundError as exc:
        raise FrameworkDataError(f"{name}: missing from {folder} (a broken install?)") from exc
    except yaml.YAMLError as exc:
        raise FrameworkDataError(f"{name}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        lines = [
            f"{name}: {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        raise FrameworkDataError("\n".join(lines)) from exc


def load_frameworks(folder: Traversable | Path) -> Frameworks:
    """Load and cross-check the framework data in `folder` (the package's own by default)."""
    iso: _IsoFile = _read(folder, ISO_FILE, _IsoFile)
    nist: _NistFile = _read(folder, NIST_FILE, _NistFile)
    ai_act: _AiActFile = _read(folder, AI_ACT_FILE, _AiActFile)
    mapping: _MappingFile = _read(folder, MAPPING_FILE, _MappingFile)
    implementation: _ImplementationFile = _read(folder, IMPLEMENTATION_FILE, _ImplementationFile)
    evidence: _EvidenceFile = _read(folder, EVIDENCE_FILE, _EvidenceFile)
    loaded = Frameworks(
        clauses=iso.clauses,
        annex_a=iso.annex_a,
        nist=nist.functions,
        ai_act=ai_act.articles,
        mapping=mapping.controls,
        implementation=implementation.controls,
        evidence=evidence.kinds,
    )
    problems = loaded.problems()
    if problems:
        raise FrameworkDataError("\n".join(problems))
    return loaded


@cache
def frameworks() -> Frameworks:
    """The framework data shipped with AIMS Bot, loaded once."""
    return load_frameworks(files(__name__))


def unknown_controls(ids: Iterable[str]) -> list[str]:
    """The ids that are not Annex A controls (for checking aims.yaml)."""
    known = frameworks().control_ids
    return [control_id for control_id in ids if control_id not in known]


__all__ = [
    "Article",
    "Control",
    "ControlMapping",
    "Coverage",
    "EvidenceLink",
    "FrameworkDataError",
    "Frameworks",
    "Implementation",
    "IsoEntry",
    "Link",
    "NistCategory",
    "NistFunction",
    "NistSubcategory",
    "frameworks",
    "load_frameworks",
    "unknown_controls",
]
