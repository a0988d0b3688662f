"""Which pages a data package fills (analysis.pages.needs): what the package offers,
read from its files by the build and from its validated tables by a page, the pages
left out and why, and the pages validation names for a table without rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import paths
from analysis.contract.validation import load_package, validate
from analysis.engine.pages import available_inputs, load_pages, select_pages
from analysis.pages.needs import (INDEPENDENT_REVIEWERS, LeftOut, in_book, missing_needs,
                                  offered_by_package, pages_needing)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "packages"


def _descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def messages(data_dir: Path) -> list[str]:
    """What validation says of a package, naming the pages of the book a table without
    rows leaves empty (as the command line and the build have it say)."""
    return [str(p) for p in validate(data_dir, needed_for=pages_needing).problems]


# --------------------------------------------------------------- a table without rows


def test_an_empty_table_is_named_with_the_chapters_that_need_it(data_copy):
    (data_copy / "prevalence_studies.csv").write_text(
        "study_id,country,income_group,setting,design,interviewer,n,cases,year\n",
        encoding="utf-8")
    found = messages(data_copy)
    assert ("prevalence_studies.csv: has a header but no rows; the table 'prevalence_studies' "
            "needs at least one row for: Prevalence context; Prevalence context: sensitivity "
            "analysis with Paule-Mandel tau²; Prevalence context: sensitivity analysis on the "
            "Freeman-Tukey scale; How much do the choices matter? A multiverse of the "
            "prevalence analysis; Prevalence meta-analysis") in found, found


def test_the_empty_table_names_the_pages_of_the_pages_file_in_force(data_copy, tmp_path,
                                                                     monkeypatch):
    """The pages named are those whose needs list the table, in the pages file the
    build was given (which its plan names, analysis.plan)."""
    import yaml

    from tests.plan_in_force import plan_in_force

    spec = {"parts": [{"caption": "Only", "pages": [
        {"page": "intro", "notebook": "intro"},
        {"page": "prevalence", "notebook": "prevalence", "title": "Pooled prevalence",
         "needs": ["prevalence_studies"]},
        {"page": "method_prevalence", "notebook": "method_prevalence",
         "needs": ["prevalence_studies"]}]}]}
    pages_file = tmp_path / "pages.yml"
    pages_file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    plan_in_force(monkeypatch, tmp_path, pages_file=str(pages_file))
    (data_copy / "prevalence_studies.csv").write_text(
        "study_id,country,income_group,setting,design,interviewer,n,cases,year\n",
        encoding="utf-8")
    (data_copy / "search_flow.csv").write_text("stage,source,count\n", encoding="utf-8")
    found = {m.split(": ", 1)[0]: m for m in messages(data_copy)
             if "has a header but no rows" in m}
    assert set(found) == {"search_flow.csv", "prevalence_studies.csv"}
    assert found["prevalence_studies.csv"].endswith(
        "needs at least one row for: Pooled prevalence; Prevalence meta-analysis")
    assert found["search_flow.csv"].endswith(  # no page of this pages file needs it
        "needs at least one row for: the book")


def test_without_the_pages_validation_names_the_book(data_copy):
    """The contract knows no page: told none, it says the table is needed for the book."""
    (data_copy / "search_flow.csv").write_text("stage,source,count\n", encoding="utf-8")
    found = [str(p) for p in validate(data_copy).problems]
    assert ("search_flow.csv: has a header but no rows; the table 'search_flow' needs at "
            "least one row for: the book") in found, found


# --------------------------------------------------------------- what a package offers


def _single_rater(tmp_path: Path, keep: set[str] = frozenset({"consensus"})) -> Path:
    """The appraisal fixture with only some reviewers' rows (the agreed answers alone)."""
    import shutil

    folder = tmp_path / "single_rater"
    shutil.copytree(FIXTURES / "appraisal_only", folder)
    ratings = folder / "casp_ratings.csv"
    header, *rows = ratings.read_text(encoding="utf-8").splitlines()
    ratings.write_text("\n".join([header] + [r for r in rows if r.split(",")[1] in keep])
                       + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("keep", [{"consensus"}, {"R1", "consensus"}],
                         ids=["agreed answers only", "one reviewer besides them"])
def test_a_single_rater_appraisal_leaves_the_agreement_page_out(tmp_path, keep):
    folder = _single_rater(tmp_path, keep)
    assert validate(folder).ok
    offered = available_inputs(_descriptor(folder), folder)
    assert INDEPENDENT_REVIEWERS not in offered and {"studies", "casp_ratings"} <= offered
    selection = select_pages(load_pages(), offered)
    left = {item.name: item for item in selection.left_out}
    assert left["appraisal"].reason == ("casp_ratings.csv has no two independent reviewers "
                                        "to compare (a single-rater appraisal)")
    assert {"quality", "quality_strict", "method_casp"} <= {p.name for p in selection.pages}
    assert {"page": "appraisal", "title": "Appraisal and reviewer agreement",
            "reason": left["appraisal"].reason} in selection.pages[0].parameters["left_out"]
    # A page asks the same question of its validated package, and gets the same answer.
    package = load_package(folder)
    assert offered_by_package(package) == offered
    assert not in_book(package, "appraisal") and in_book(package, "quality")
    # Two reviewers (and the agreed answers) keep it.
    both = load_package(FIXTURES / "appraisal_only")
    assert in_book(both, "appraisal")


def test_without_casp_ratings_only_the_table_is_named():
    needs = ("casp_ratings", "studies", INDEPENDENT_REVIEWERS)
    assert missing_needs(needs, {"studies"}) == ("casp_ratings",)
    assert LeftOut("appraisal", "Appraisal", ("casp_ratings",)).reason == "no casp_ratings.csv"


@pytest.mark.parametrize("folder", [paths.DATA_SYNTHETIC] + sorted(
    p.parent for p in FIXTURES.glob("*/datapackage.json")), ids=lambda p: p.name)
def test_the_build_and_the_pages_see_the_same_package(folder):
    """The build chooses its pages from the files, a page from its validated package:
    one function each in analysis.pages.needs, with the same answer."""
    assert available_inputs(_descriptor(folder), folder) == offered_by_package(
        load_package(folder))
