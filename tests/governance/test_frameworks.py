"""The framework data AIMS Bot ships (governance/frameworks/): the ISO/IEC 42001, NIST AI RMF and
EU AI Act catalogues, the Annex A mapping, and which controls each evidence kind shows operating."""

from __future__ import annotations

import fnmatch
import shutil
import tomllib
from pathlib import Path

import pytest

from governance.config import OrgConfig
from governance.frameworks import (
    EVIDENCE_FILE,
    MAPPING_FILE,
    Coverage,
    FrameworkDataError,
    frameworks,
    load_frameworks,
)
from store.evidence_kinds import EvidenceKind

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "governance" / "frameworks"
DATA_FILES = sorted(path.name for path in DATA.glob("*.yaml"))
F = frameworks()


def _tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]


# --- the catalogues ----------------------------------------------------------------------------


def test_iso_42001_has_clauses_4_to_10_and_38_annex_a_controls_under_9_objectives():
    assert [c.id for c in F.clauses if "." not in c.id] == [str(n) for n in range(4, 11)]
    assert len(F.controls) == 38
    assert (F.controls[0].id, F.controls[-1].id) == ("A.2.2", "A.10.4")
    assert len({control.objective_id for control in F.controls}) == 9
    assert F.control("A.6.2.8").title == "AI system recording of event logs"
    assert F.control("A.6.2.8").objective_title == "AI system life cycle"


def test_nist_ai_rmf_has_4_functions_19_categories_and_72_subcategories():
    assert [function.id for function in F.nist] == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    assert len(F.nist_categories) == 19
    assert len(F.nist_subcategories) == 72
    for category in F.nist_categories:
        assert category.subcategories, category.id
        assert all(sub.id.startswith(category.id + ".") for sub in category.subcategories)
    assert [c.id for c in F.nist[-1].categories][-1] == "MANAGE 4"
    assert F.nist[-1].categories[-1].subcategories[-1].id == "MANAGE 4.3"


def test_the_ai_act_articles_that_bind_providers_and_deployers_are_all_there():
    assert [article.id for article in F.ai_act] == [
        "Art. 4",
        "Art. 5",
        "Art. 6",
        "Annex III",
        "Art. 9",
        "Art. 12",
        "Art. 13",
        "Art. 14",
        "Art. 26",
        "Art. 27",
        "Art. 50",
        "Art. 72",
        "Art. 73",
    ]
    by_id = {article.id: article for article in F.ai_act}
    assert by_id["Art. 26"].title == "Obligations of deployers of high-risk AI systems"
    assert by_id["Art. 26"].binds == ["deployer"]
    assert [point.id for point in by_id["Annex III"].points] == [str(n) for n in range(1, 9)]


def test_iso_ids_and_titles_match_the_shared_reference(shared_dir: Path):
    reference = [
        (row[0], row[1], row[2] == "heading")
        for row in _tsv(shared_dir / "frameworks" / "iso42001_clauses_annexA.tsv")
    ]
    ours = [(entry.id, entry.title, entry.heading) for entry in [*F.clauses, *F.annex_a]]
    assert ours == reference


def test_nist_ids_and_statements_match_the_shared_reference(shared_dir: Path):
    folder = shared_dir / "frameworks"
    categories = [(c.id, c.statement) for c in F.nist_categories]
    subcategories = [(s.id, s.statement) for s in F.nist_subcategories]
    assert categories == [tuple(row) for row in _tsv(folder / "nist_ai_rmf_categories.tsv")]
    assert subcategories == [tuple(row) for row in _tsv(folder / "nist_ai_rmf_subcategories.tsv")]


# --- Annex A -> NIST and the AI Act --------------------------------------------------------------


def test_every_annex_a_control_is_mapped_or_says_why_not():
    missing = [control.id for control in F.controls if control.id not in F.mapping]
    assert missing == [], f"add these controls to {MAPPING_FILE}: {missing}"
    for control in F.controls:
        mapping = F.mapping[control.id]
        assert mapping.nist or mapping.ai_act or mapping.not_mapped, control.id


def test_every_mapping_row_names_a_real_id_once_with_a_one_line_reason():
    for control_id, mapping in F.mapping.items():
        for links, known in ((mapping.nist, F.nist_ids), (mapping.ai_act, F.ai_act_ids)):
            ids = [link.id for link in links]
            assert set(ids) <= known, (control_id, sorted(set(ids) - known))
            assert len(ids) == len(set(ids)), f"{control_id} links one id twice"
            assert all(link.why and "\n" not in link.why for link in links), control_id


def test_every_ai_act_article_listed_is_served_by_some_control():
    served = {link.id for mapping in F.mapping.values() for link in mapping.ai_act}
    assert F.ai_act_ids - served == set()


# --- how AIMS Bot implements each control --------------------------------------------------------


def test_every_control_says_how_aims_bot_implements_it():
    assert sorted(F.implementation) == sorted(F.control_ids)
    for control_id, implementation in F.implementation.items():
        if implementation.coverage is Coverage.NONE:
            # Honest: a control AIMS Bot cannot implement says so.
            assert implementation.how.startswith("Not implemented"), control_id


def test_an_implemented_control_has_evidence_that_can_show_it_and_only_those_do():
    for control in F.controls:
        coverage = F.implementation[control.id].coverage
        kinds = F.kinds_for(control.id)
        if coverage is Coverage.NONE:
            assert kinds == [], f"{control.id} is not implemented but {kinds} claim to show it"
        else:
            assert kinds, f"{control.id} is implemented but no evidence kind shows it operating"


def test_the_aims_yaml_keys_an_implementation_names_exist():
    keys = set(OrgConfig.model_fields)
    for control_id, implementation in F.implementation.items():
        assert set(implementation.config) <= keys, (control_id, set(implementation.config) - keys)


def test_the_controls_named_in_the_brief_are_shown_by_the_evidence_it_names():
    assert {"A.5.2", "A.5.3", "A.5.4", "A.9.2"} <= {
        control
        for kind in ("approval.requested", "approval.decided", "approval.completed")
        for control in F.evidence[kind].controls
    }
    assert "A.8.4" in F.evidence["incident.reported"].controls
    assert "A.6.2.6" in F.evidence["review.completed"].controls
    assert "A.10.3" in F.evidence["intake.transcript"].controls
    assert "A.2.2" in F.evidence["answer.given"].controls


# --- evidence kinds -> controls ------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EvidenceKind), ids=lambda kind: kind.value)
def test_every_evidence_kind_maps_to_annex_a_controls(kind: EvidenceKind):
    link = F.evidence.get(kind.value)
    assert link is not None, (
        f"evidence kind {kind.value!r} has no entry in governance/frameworks/{EVIDENCE_FILE}: "
        "say which Annex A controls its events show operating, and why"
    )
    assert link.controls and set(link.controls) <= F.control_ids, kind.value
    assert link.why and "\n" not in link.why


def test_the_evidence_map_names_no_kind_the_ledger_does_not_know():
    assert set(F.evidence) - {kind.value for kind in EvidenceKind} == set()


# --- the loader -----------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "frameworks"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def test_a_mapping_to_an_unknown_control_or_kind_fails_at_load_naming_it(tmp_path: Path):
    folder = _copy(tmp_path)
    path = folder / EVIDENCE_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("controls: [A.6.2.6]\n", "controls: [A.6.2.66]\n", 1)
        + "  review.teleported:\n    controls: [A.6.2.6]\n    why: No such kind.\n",
        encoding="utf-8",
    )
    with pytest.raises(FrameworkDataError) as error:
        load_frameworks(folder)
    assert "unknown Annex A control 'A.6.2.66'" in str(error.value)
    assert "review.teleported: not an evidence kind" in str(error.value)


def test_a_control_mapped_to_nothing_without_a_reason_fails_at_load(tmp_path: Path):
    folder = _copy(tmp_path)
    path = folder / MAPPING_FILE
    path.write_text(path.read_text(encoding="utf-8") + "  A.2.2b: {}\n", encoding="utf-8")
    with pytest.raises(FrameworkDataError) as error:
        load_frameworks(folder)
    assert "A.2.2b" in str(error.value) and "not_mapped" in str(error.value)


def test_the_data_files_are_package_data_so_an_installed_copy_finds_them():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = pyproject["tool"]["setuptools"]
    assert any(
        fnmatch.fnmatch("governance.frameworks", pattern)
        for pattern in setuptools["packages"]["find"]["include"]
    )
    patterns = setuptools["package-data"].get("*", []) + setuptools["package-data"].get(
        "governance.frameworks", []
    )
    unpackaged = [
        name for name in DATA_FILES if not any(fnmatch.fnmatch(name, p) for p in patterns)
    ]
    assert DATA_FILES and unpackaged == []
    assert (DATA / "__init__.py").is_file()  # a package, so find_packages sees it
