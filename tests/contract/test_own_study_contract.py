"""A package describes its own study: its study section, vocabularies and tables present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import paths
from analysis.contract.study import read_study
from analysis.contract.validation import load_package, validate
from analysis.engine.book_hooks import link_to_left_out_page
from analysis.engine.pages import available_inputs, load_pages, select_pages


def _descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def _write(data_dir: Path, descriptor: dict) -> None:
    (data_dir / "datapackage.json").write_text(json.dumps(descriptor, indent=2),
                                               encoding="utf-8")


def _keep_only(data_dir: Path, tables: set[str]) -> None:
    """Leave only some tables in a copy of the bundled package, as a researcher would."""
    descriptor = _descriptor(data_dir)
    for res in list(descriptor["resources"]):
        if res["name"] not in tables:
            descriptor["resources"].remove(res)
            (data_dir / res["path"]).unlink()
    _write(data_dir, descriptor)


def messages(data_dir: Path) -> list[str]:
    return [str(p) for p in validate(data_dir).problems]


# ------------------------------------------------------------------ the study section


def test_bundled_package_declares_the_two_source_studies(package):
    study = package.study
    assert [r.short for r in study.reports] == ["Troup et al. 2020", "Trevillion et al. 2022"]
    assert study.report("interview_study").id == "trevillion2022service"
    assert study.setting.country == "England" and study.setting.regions == "English regions"
    assert [(s.label, s.start, s.end, s.modes_after) for s in study.suspensions] == [
        ("the COVID-19 pandemic", "2020-03-01", "2020-07-14", ("video_call",))]
    assert study.agreed_label == "consensus"
    facts = {f["fact_id"]: f for f in study.published}
    assert facts["participants"]["value"] == "30" and "BMC Psychiatry" in facts[
        "participants"]["source"]
    assert facts["overall_quality"]["value"] == "moderate"


def test_a_package_without_a_study_section_claims_nothing():
    study, problems = read_study({"resources": []})
    assert problems == []
    assert study.reports == () and study.suspensions == () and study.published == ()
    assert study.setting.country == "" and study.fieldwork == {}


def test_an_older_package_keeps_its_top_level_fieldwork():
    study, problems = read_study({"fieldwork": {
        "start": "2019-07-01", "end": "2020-10-31", "suspension_start": "2020-03-01",
        "suspension_end": "2020-07-14", "remote_modes_after_suspension": ["video_call"]}})
    assert problems == []
    assert study.suspensions[0].label == "a suspension of fieldwork"
    assert study.fieldwork["suspension_start"] == "2020-03-01"


@pytest.mark.parametrize("section, where, words", [
    ({"colour": "blue"}, "study.colour", "is not a key of the study section"),
    ({"reports": [{"id": "x", "review": "survey", "short": "X 2020", "citation": "X"}]},
     "study.reports[0].review", "'survey' is not one of: meta_synthesis"),
    ({"reports": [{"id": "x"}]}, "study.reports[0]", "lacks review, short, citation"),
    ({"fieldwork": {"start": "2020-01-01", "end": "2019-01-01"}}, "study.fieldwork.end",
     "is before the start"),
    ({"fieldwork": {"start": "2020-01-01", "end": "2020-12-31",
                    "suspensions": [{"label": "a strike", "start": "2020-03-01",
                                     "end": "2020-04-01", "modes_after": "telephone"}]}},
     "study.fieldwork.suspensions[0].modes_after", "must be a list of interview modes"),
    ({"published": [{"fact_id": "n", "quantity": "Participants", "value": "12",
                     "kind": "count"}]}, "study.published[0]", "lacks source"),
    ({"published": [{"fact_id": "n", "quantity": "Participants", "value": "12",
                     "kind": "guess", "source": "Me 2024"}]}, "study.published[0].kind",
     "'guess' is not one of"),
    ({"appraisal": {"agreed_label": ""}}, "study.appraisal.agreed_label",
     "reviewer label of the agreed answers"),
])
def test_a_bad_study_entry_names_its_key(data_copy, section, where, words):
    descriptor = _descriptor(data_copy)
    descriptor["study"] = section
    _write(data_copy, descriptor)
    found = messages(data_copy)
    assert any(f"datapackage.json:{where}:" in m and words in m for m in found), found


def test_the_suspension_is_the_packages_own(data_copy):
    descriptor = _descriptor(data_copy)
    descriptor["study"]["fieldwork"]["suspensions"] = []
    _write(data_copy, descriptor)
    package = load_package(data_copy)
    assert package.study.suspensions == () and "suspension_start" not in package.fieldwork


# ------------------------------------------------------------------------ vocabularies


def _declare_regions(data_dir: Path, regions: list[str], labels: dict | None = None) -> None:
    descriptor = _descriptor(data_dir)
    participants = next(r for r in descriptor["resources"] if r["name"] == "participants")
    field = next(f for f in participants["schema"]["fields"] if f["name"] == "region")
    field["constraints"]["enum"] = regions
    if labels is not None:
        field["categoryLabels"] = labels
    _write(data_dir, descriptor)


def test_a_package_declares_its_own_regions(data_copy):
    people = (data_copy / "participants.csv").read_text(encoding="utf-8")
    used = sorted({line.split(",")[6] for line in people.splitlines()[1:]})
    boards = ["Lothian", "Grampian", *used]
    _declare_regions(data_copy, boards, {"Lothian": "NHS Lothian"})
    package = load_package(data_copy)
    assert list(package.categories("participants", "region")) == boards
    assert package.categories("participants", "region")["Lothian"] == "NHS Lothian"
    assert package.vocabulary_sources[("participants", "region")] == "datapackage.json"
    assert package.vocabulary_sources[("participants", "gender")] == "the contract's defaults"


def test_a_value_outside_the_packages_vocabulary_says_where_the_vocabulary_came_from(data_copy):
    _declare_regions(data_copy, ["Lothian", "Grampian"])
    found = messages(data_copy)
    assert any(m.startswith("participants.csv:2:region:") and
               "allowed (datapackage.json): Lothian, Grampian" in m for m in found), found[:3]


def test_categories_a_method_fixes_cannot_be_redeclared(data_copy):
    descriptor = _descriptor(data_copy)
    casp = next(r for r in descriptor["resources"] if r["name"] == "casp_ratings")
    next(f for f in casp["schema"]["fields"] if f["name"] == "rating")["constraints"][
        "enum"] = ["yes", "no"]
    _write(data_copy, descriptor)
    package = load_package(data_copy)  # the CASP answers stay the method's three
    assert list(package.categories("casp_ratings", "rating")) == ["yes", "cant_tell", "no"]


def test_a_package_lists_its_minority_categories(data_copy):
    descriptor = _descriptor(data_copy)
    participants = next(r for r in descriptor["resources"] if r["name"] == "participants")
    field = next(f for f in participants["schema"]["fields"] if f["name"] == "ethnicity")
    field["minorityCategories"] = ["Black Caribbean"]
    _write(data_copy, descriptor)
    found = messages(data_copy)
    assert any("ethnic_minority: is true but ethnicity is" in m for m in found), found[:3]


# ----------------------------------------------------------------------- tables present


def test_a_meta_synthesis_without_interviews_or_prevalence_is_valid(data_copy):
    _keep_only(data_copy, {"studies", "casp_ratings", "framework", "study_codes",
                           "search_flow", "cerqual"})
    # The framework still lists the interview study's theme: drop its rows too.
    framework = data_copy / "framework.csv"
    lines = framework.read_text(encoding="utf-8").splitlines()
    framework.write_text("\n".join(l for l in lines if "interview_study" not in l) + "\n",
                         encoding="utf-8")
    report = validate(data_copy)
    assert report.ok, report.format()
    assert set(load_package(data_copy).tables) == {
        "studies", "casp_ratings", "framework", "study_codes", "search_flow", "cerqual"}


def test_a_table_that_needs_an_absent_one_is_named(data_copy):
    _keep_only(data_copy, {"participants", "participant_codes"})
    found = messages(data_copy)
    assert any(m.startswith("participant_codes.csv:subtheme_id: refers to framework.csv, "
                            "which the package does not declare") for m in found), found


def test_a_file_in_the_folder_but_not_declared_is_named(data_copy):
    descriptor = _descriptor(data_copy)
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "cerqual"]
    _write(data_copy, descriptor)
    found = messages(data_copy)
    assert any(m.startswith("cerqual.csv: is in the folder but resource 'cerqual' is not "
                            "declared") for m in found), found


# --------------------------------------------------------------------- pages present


def test_pages_follow_the_tables_present():
    pages = load_pages()
    selection = select_pages(pages, {"studies", "casp_ratings", "framework", "study_codes",
                                     "search_flow", "cerqual"})
    kept = [p.name for p in selection.pages]
    assert kept[0] == "intro" and "themes" in kept and "quality" in kept
    assert "prevalence" not in kept and "saturation" not in kept and "reproduction" not in kept
    left = {item.name: item.reason for item in selection.left_out}
    assert left["prevalence"] == "no prevalence_studies.csv"
    assert left["reproduction"] == ("no published figures in the study section of "
                                    "datapackage.json")
    # The landing page is told what was left out, to say it on the book's first page.
    assert {"page": "prevalence", "title": "Prevalence context",
            "reason": "no prevalence_studies.csv"} in selection.pages[0].parameters["left_out"]


def test_every_page_is_kept_for_the_bundled_package():
    descriptor = json.loads((paths.DATA_SYNTHETIC / "datapackage.json").read_text())
    selection = select_pages(load_pages(), available_inputs(descriptor, paths.DATA_SYNTHETIC))
    # but ConQual's, which grade a JBI meta-aggregation: the bundled review synthesises
    # themes with CASP (tests/test_conqual_book.py builds them on a JBI review)
    assert {item.name for item in selection.left_out} == {"conqual", "method_conqual"}


def test_a_link_to_a_left_out_page_reads_as_its_text():
    from docutils import nodes

    class App:
        config = {"cen_left_out_pages": ["prevalence"]}

    link = nodes.literal("", "Prevalence context")
    node = {"reftarget": "prevalence"}
    resolved = link_to_left_out_page(App(), None, node, link)
    assert resolved.astext() == "Prevalence context"
    assert link_to_left_out_page(App(), None, {"reftarget": "themes"}, link) is None


def test_the_build_says_what_validation_normalised(data_copy, tmp_path):
    from analysis.contract.files import PackageFiles
    from analysis.engine.build import _validate

    lines = (data_copy / "participants.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[2] = "Female"  # the label's case, not the code: accepted with a warning
    lines[3] = ",".join(cells)
    (data_copy / "participants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for attempt in ("validated", "remembered"):
        said: list[str] = []
        _validate(PackageFiles.at(data_copy), tmp_path, "code", said.append)
        assert said[0].endswith("(synthetic), after 1 normalisation(s):"), (attempt, said)
        assert said[1].startswith("  warning: participants.csv:gender: 1 cell(s) read as the "
                                  "allowed code (first on line 4): 'Female' as 'female'"), said


def test_validate_says_which_chapters_the_book_will_have(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "analysis", "validate",
                           "tests/fixtures/packages/metasynthesis_only"],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "  left out: Prevalence context (no prevalence_studies.csv)" in proc.stdout
    assert "  left out: Reproduction report (no published figures in the study section of " \
           "datapackage.json)" in proc.stdout
