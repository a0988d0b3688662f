"""Starting a package of one's own (``init``) and the documented study section.

``init`` writes a folder that ``validate`` then reads back as a list of what to fill in;
the study section it writes, the bundled package's and every fixture's meet
``analysis/contract/study_schema.json``, and the schema and :mod:`analysis.contract.study`
reject the same bad entries.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.contract.files import load_contract
from analysis.contract.starter import (CHAPTER_GROUPS, STUDY_TEMPLATE, chapters, choose,
                                       start_package)
from analysis.contract.study import FACT_KINDS, MEASURES, REVIEWS, TOPIC_KEYS, read_study
from analysis.contract.validation import validate
from analysis.pages.needs import alternatives
from analysis.pages.page import parse_pages

SCHEMA_FILE = paths.CONTRACT / "study_schema.json"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "packages"
OWN_DATA_PAGE = paths.BOOK / "own_data.md"


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def check(schema):
    validator = jsonschema.Draft202012Validator(schema,
                                                format_checker=jsonschema.FormatChecker())
    return lambda section: sorted(e.message for e in validator.iter_errors(section))


@pytest.fixture(scope="module")
def known():
    return chapters((page.name, [alternatives(need) for need in page.needs])
                    for page in parse_pages())


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------- the study section


def test_the_schema_is_a_json_schema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)


PACKAGES = [paths.DATA_SYNTHETIC, *sorted(p.parent for p in FIXTURES.glob("*/datapackage.json"))]


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_bundled_and_fixture_study_sections_meet_the_schema(folder, check):
    descriptor = json.loads((folder / paths.DATAPACKAGE_NAME).read_text(encoding="utf-8"))
    assert "study" in descriptor, f"{folder.name} declares no study section"
    assert check(descriptor["study"]) == []
    assert read_study(descriptor)[1] == []


def test_the_schema_names_what_study_py_reads(schema):
    assert set(schema["properties"]) == {"title", "description", "reports", "setting",
                                         "fieldwork", "appraisal", "published", "prevalence",
                                         *TOPIC_KEYS}
    assert schema["$defs"]["review"]["enum"] == list(REVIEWS)
    figure = schema["$defs"]["published_figure"]["properties"]
    assert figure["kind"]["enum"] == list(FACT_KINDS)
    assert figure["measure"]["enum"] == list(MEASURES)


def test_the_starting_study_section_meets_the_schema(check):
    assert check(STUDY_TEMPLATE) == []
    assert read_study({"study": STUDY_TEMPLATE})[1] == []


DATES = {"start": "2021-01-04", "end": "2021-06-30"}
BAD = {
    "unknown_key": {"colour": "blue"},
    "title_not_text": {"title": 3},
    "report_lacks_citation": {"reports": [{"id": "a", "review": "meta_synthesis", "short": "A"}]},
    "report_review_unknown": {"reports": [{"id": "a", "review": "metasynthesis", "short": "A",
                                           "citation": "A. 2021"}]},
    "report_key_misspelt": {"reports": [{"id": "a", "review": "meta_synthesis", "short": "A",
                                         "citation": "A. 2021", "wat": "a review"}]},
    "setting_not_object": {"setting": "Scotland"},
    "setting_key_misspelt": {"setting": {"contry": "Scotland"}},
    "fieldwork_start_only": {"fieldwork": {"start": "2021-01-04"}},
    "fieldwork_date_not_iso": {"fieldwork": {"start": "04/01/2021", "end": "2021-06-30"}},
    "fieldwork_key_misspelt": {"fieldwork": {**DATES, "suspension": []}},
    "suspension_without_end": {"fieldwork": {**DATES, "suspensions": [{"start": "2021-02-01"}]}},
    "suspension_modes_not_list": {"fieldwork": {**DATES, "suspensions": [
        {"start": "2021-02-01", "end": "2021-03-01", "modes_after": "telephone"}]}},
    "suspension_key_misspelt": {"fieldwork": {**DATES, "suspensions": [
        {"start": "2021-02-01", "end": "2021-03-01", "modes_afer": ["telephone"]}]}},
    "agreed_label_empty": {"appraisal": {"agreed_label": ""}},
    "figure_lacks_source": {"published": [{"fact_id": "n", "quantity": "Papers", "value": "6",
                                           "kind": "count"}]},
    "figure_kind_unknown": {"published": [{"fact_id": "n", "quantity": "Papers", "value": "6",
                                           "kind": "guess", "source": "Table 1"}]},
    "figure_study_unknown": {"published": [{"fact_id": "n", "quantity": "Papers", "value": "6",
                                            "kind": "count", "source": "Table 1",
                                            "study": "review"}]},
    "figure_ci_quoted": {"published": [{"fact_id": "p", "quantity": "Prevalence", "value": "7.8",
                                        "kind": "estimate", "source": "Table 2",
                                        "ci_low": "6.1", "ci_high": 9.5}]},
}


@pytest.mark.parametrize("section", BAD.values(), ids=BAD.keys())
def test_schema_and_reader_reject_the_same_bad_entries(section, check):
    assert check(section), "the schema accepts it"
    problems = read_study({"study": section})[1]
    assert problems, "study.py accepts it"
    assert all(p.column.startswith("study") for p in problems)


def test_a_suspension_reads_in_the_words_of_its_label(check):
    section = {"fieldwork": {**DATES, "suspensions": [
        {"label": "a strike of interviewers", "start": "2021-02-01", "end": "2021-03-01",
         "modes_after": ["telephone"]}]}}
    assert check(section) == []
    study, problems = read_study({"study": section})
    assert problems == [] and study.suspensions[0].label == "a strike of interviewers"


def test_every_key_of_the_schema_is_explained_on_the_book_page(schema):
    page = OWN_DATA_PAGE.read_text(encoding="utf-8")
    keys = set(schema["properties"])
    for name in ("report", "setting", "fieldwork", "suspension", "appraisal", "published_figure"):
        keys |= set(schema["$defs"][name]["properties"])
    missing = sorted(k for k in keys if f"`{k}`" not in page)
    assert not missing, f"book/own_data.md does not explain: {', '.join(missing)}"


# ----------------------------------------------------------------- chapters


def test_every_page_of_a_group_is_a_page_of_the_book():
    names = {page.name for page in parse_pages()}
    stray = {g: [p for p in members if p not in names] for g, members in CHAPTER_GROUPS.items()}
    assert not any(stray.values()), stray


def test_a_chapter_brings_what_its_pages_need(known):
    assert known["appraisal"].tables == ("studies", "casp_ratings")
    assert known["themes"].tables == ("studies", "casp_ratings", "framework", "study_codes",
                                      "cerqual")
    assert known["prevalence"].tables == ("prevalence_studies",)
    # a page alone, and pages without tables (the landing page) are no chapter
    assert known["method_casp"].tables == ("studies", "casp_ratings")
    assert "intro" not in known and "reproduction" not in known


def test_no_chapter_named_means_every_table(known):
    chosen = choose(None, known)
    assert {t for c in chosen for t in c.tables} == {r["name"] for r in
                                                      load_contract()["resources"]}
    # A sample known only from its published summary is its own chapter name.
    assert known["sample_summary"].tables == ("sample_summary",)


# ----------------------------------------------------------------- init on the command line


def test_init_writes_the_study_to_fill_in_and_header_only_tables(tmp_path, capsys):
    folder = tmp_path / "my_study"
    code, out, err = run(capsys, "init", str(folder), "--chapters", "appraisal,themes")
    assert code == 0, err
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["synthetic"] is False
    assert descriptor["study"] == STUDY_TEMPLATE
    assert descriptor["study"]["fieldwork"]["suspensions"] == []
    contract = {r["name"]: r for r in load_contract()["resources"]}
    names = [r["name"] for r in descriptor["resources"]]
    assert names == ["studies", "casp_ratings", "framework", "study_codes", "cerqual"]
    # The new study keys are there to fill in: what the review is about.
    assert {"condition", "population", "case_definition", "case_noun",
            "participant_noun"} <= set(descriptor["study"])
    for resource in descriptor["resources"]:
        # The contract's columns, less the optional ones a researcher adds (a label).
        expected = contract[resource["name"]]
        assert resource == dict(expected, schema=dict(expected["schema"], fields=[
            f for f in expected["schema"]["fields"] if not f.get("optional")]))
        header = (folder / resource["path"]).read_text(encoding="utf-8")
        assert header == ",".join(f["name"] for f in resource["schema"]["fields"]) + "\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["datapackage.json"] + [f"{n}.csv" for n in names])
    assert "studies.csv" in out and "python -m analysis validate" in out


def test_validate_on_a_fresh_package_lists_what_to_fill_in(tmp_path, capsys):
    folder = tmp_path / "my_study"
    run(capsys, "init", str(folder), "--chapters", "appraisal")
    code, out, err = run(capsys, "validate", str(folder))
    assert code == 2 and "Traceback" not in err
    lines = [line.strip() for line in err.splitlines()]
    assert lines[0].endswith("2 problems found")
    assert lines[1].startswith("studies.csv: has a header but no rows")
    assert lines[2].startswith("casp_ratings.csv: has a header but no rows")
    assert "Appraisal" in lines[1] and "Appraisal" in lines[2]
    assert any(line.startswith("warning: datapackage.json:study.title: is empty")
               for line in lines)


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    code, out, err = run(capsys, "init", str(folder), "--chapters", "prevalence")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--force" in err
    assert not (folder / "datapackage.json").exists()
    code, out, err = run(capsys, "init", str(folder), "--chapters", "prevalence", "--force")
    assert code == 0, err
    assert (folder / "notes.txt").read_text() == "keep me"
    assert (folder / "prevalence_studies.csv").exists()


@pytest.mark.parametrize("names", ["apraisal", "appraisal,nonsense", ","])
def test_an_unknown_chapter_is_one_line_naming_the_chapters(names, tmp_path, capsys):
    code, out, err = run(capsys, "init", str(tmp_path / "x"), "--chapters", names)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("init: ") and "appraisal, themes" in err
    if names == "apraisal":
        assert "did you mean appraisal?" in err
    assert not (tmp_path / "x").exists()


def test_init_help_lists_the_chapters_and_their_tables(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["init", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for group in CHAPTER_GROUPS:
        assert f"  {group} " in text
    assert "studies, casp_ratings" in text and "method_casp" in text


def test_a_file_in_the_way_is_refused(tmp_path):
    from analysis.contract.errors import InputError

    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="is a file"):
        start_package(tmp_path / "f", [])


def test_the_appraisal_fixture_was_started_by_init_and_is_valid():
    folder = FIXTURES / "appraisal_only"
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    contract = {r["name"]: r for r in load_contract()["resources"]}
    assert [r["name"] for r in descriptor["resources"]] == ["studies", "casp_ratings"]
    # As init writes them, less the optional columns (study labels) the fixture leaves out.
    assert all(r == dict(contract[r["name"]], schema=dict(
        contract[r["name"]]["schema"], fields=[f for f in contract[r["name"]]["schema"]["fields"]
                                               if not f.get("optional")]))
               for r in descriptor["resources"])
    report = validate(folder)
    assert report.ok and not report.warnings, report.format()
