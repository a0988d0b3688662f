"""Validation: each kind of problem is caught and named by file, row and column."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import paths
from analysis.contract.errors import DataPackageError
from analysis.contract.validation import load_package, validate
from tests.conftest import edit_cell


def messages(data_dir) -> list[str]:
    return [str(p) for p in validate(data_dir).problems]


def test_bundled_package_is_valid():
    report = validate(paths.DATA_SYNTHETIC)
    assert report.ok, report.format()


def test_tables_are_typed(package):
    people = package["participants"]
    assert people["duration_min"].dtype == "int64"
    assert people["ethnic_minority"].dtype == bool
    assert str(people["interview_date"].dtype).startswith("datetime64")
    assert list(people.index[:3]) == [0, 1, 2]


@pytest.mark.parametrize("file, line, column, value, expected", [
    ("participants.csv", 5, "gender", "mal",
     "participants.csv:5:gender: 'mal' is not an allowed value; "
     "allowed (the contract's defaults): female, male"),
    ("participants.csv", 3, "duration_min", "sixty",
     "participants.csv:3:duration_min: 'sixty' is not a whole number"),
    ("participants.csv", 4, "duration_min", "0",
     "participants.csv:4:duration_min: 0 is below the minimum of 1"),
    ("participants.csv", 6, "interview_date", "2019-13-01",
     "participants.csv:6:interview_date: '2019-13-01' is not a date written YYYY-MM-DD"),
    ("participants.csv", 7, "ethnic_minority", "maybe",
     "participants.csv:7:ethnic_minority: 'maybe' is not true or false"),
    ("participants.csv", 8, "age_band", "",
     "participants.csv:8:age_band: empty cell; a value is required"),
    ("studies.csv", 2, "study_id", "paper1",
     "studies.csv:2:study_id: 'paper1' does not have the required form"),
    ("studies.csv", 3, "year", "1999",
     "studies.csv:3:year: 1999 is below the minimum of 2003"),
    ("participant_services.csv", 2, "participant_id", "P999",
     "participant_services.csv:2:participant_id: 'P999' is not a participant_id in "
     "participants.csv"),
])
def test_cell_problem_is_located(data_copy, file, line, column, value, expected):
    edit_cell(data_copy, file, line, column, value)
    found = messages(data_copy)
    assert any(m.startswith(expected) for m in found), found


def test_duplicate_single_key(data_copy):
    edit_cell(data_copy, "studies.csv", 3, "study_id", "S01")
    found = messages(data_copy)
    assert "studies.csv:3:study_id: 'S01' must be unique but is already on row 2" in found


def test_duplicate_composite_key(data_copy):
    path = data_copy / "casp_ratings.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n")
    found = messages(data_copy)
    assert any(m.startswith(f"casp_ratings.csv:{len(lines) + 1}:item: the combination "
                            "(study_id, reviewer, item) = (S01, R1, 1) is already on row 2")
               for m in found), found


def test_missing_and_unexpected_columns(data_copy):
    path = data_copy / "studies.csv"
    text = path.read_text().replace("n_participants", "clinicians", 1)
    path.write_text(text)
    found = messages(data_copy)
    assert any(m.startswith("studies.csv:1:n_participants: column missing from the header")
               for m in found)
    assert any(m.startswith("studies.csv:1:clinicians: unexpected column") for m in found)


def test_renamed_column_is_named_as_a_rename(data_copy):
    """A package of before the rename is told the new name, in the descriptor and the CSV."""
    path = data_copy / "studies.csv"
    path.write_text(path.read_text().replace("n_participants", "n_clinicians", 1))
    descriptor = data_copy / "datapackage.json"
    descriptor.write_text(descriptor.read_text().replace('"name": "n_participants"',
                                                         '"name": "n_clinicians"'))
    found = messages(data_copy)
    assert ("datapackage.json:studies.n_clinicians: the field 'n_clinicians' was renamed to "
            "'n_participants'; rename it in datapackage.json and in the header of studies.csv"
            in found), found
    assert ("studies.csv:1:n_clinicians: the column was renamed to 'n_participants'; rename "
            "it in the header" in found), found
    assert len(found) == 2, found


def test_missing_file_and_bad_descriptor(data_copy):
    (data_copy / "cerqual.csv").unlink()
    assert "cerqual.csv: file not found" in messages(data_copy)
    (data_copy / "datapackage.json").write_text("{not json")
    assert any(m.startswith("datapackage.json:1: not valid JSON") for m in messages(data_copy))


def test_descriptor_schema_must_match_contract(data_copy):
    meta = json.loads((data_copy / "datapackage.json").read_text())
    meta["resources"][0]["schema"]["fields"][1]["type"] = "integer"
    (data_copy / "datapackage.json").write_text(json.dumps(meta))
    assert any("resource 'participants' declares fields" in m for m in messages(data_copy))


def test_rule_white_british_is_not_minority(data_copy, package):
    row = int(package["participants"].index[package["participants"]["ethnicity"]
                                            == "White British"][0]) + 2
    edit_cell(data_copy, "participants.csv", row, "ethnic_minority", "true")
    assert any(m.startswith(f"participants.csv:{row}:ethnic_minority: is true but ethnicity is "
                            "'White British'") for m in messages(data_copy))


def test_rule_no_interview_during_suspension(data_copy):
    edit_cell(data_copy, "participants.csv", 2, "interview_date", "2020-04-15")
    found = messages(data_copy)
    assert any(m.startswith("participants.csv:2:interview_date: 2020-04-15 falls in the suspension")
               for m in found), found


def test_rule_only_video_after_suspension(data_copy, package):
    people = package["participants"]
    row = int(people.index[people["interview_mode"] == "video_call"][0]) + 2
    edit_cell(data_copy, "participants.csv", row, "interview_mode", "face_to_face")
    assert any(m.startswith(f"participants.csv:{row}:interview_mode: 'face_to_face' after the "
                            "suspension") for m in messages(data_copy))


def test_rule_prisma_arithmetic_closes(data_copy):
    lines = (data_copy / "search_flow.csv").read_text().splitlines()
    row = next(i for i, line in enumerate(lines, 1) if line.startswith("screened,"))
    edit_cell(data_copy, "search_flow.csv", row, "count", "5")
    found = messages(data_copy)
    assert any(m.startswith(f"search_flow.csv:{row}:count: 'screened' is 5 but records "
                            "identified minus duplicates removed is") for m in found), found


def test_rule_cases_within_n(data_copy):
    edit_cell(data_copy, "prevalence_studies.csv", 2, "cases", "999999")
    assert any(m.startswith("prevalence_studies.csv:2:cases: 999999 cases out of n =")
               for m in messages(data_copy))


def test_an_item_the_appraisal_tool_does_not_have_is_named(data_copy):
    # The tool declared as data (appraisal_tools.json) is the only source of item numbers.
    edit_cell(data_copy, "casp_ratings.csv", 2, "item", "11")
    assert any(m.startswith("casp_ratings.csv:2:item: item 11 is not a question of the "
                            "appraisal tool; its questions are numbered 1 to 10")
               for m in messages(data_copy))


def test_rule_casp_complete(data_copy):
    path = data_copy / "casp_ratings.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")  # drop S01, R1, item 2
    assert any("paper S01, reviewer 'R1' has no rating for item 2" in m
               for m in messages(data_copy))


def test_rule_codes_use_their_own_review(data_copy):
    edit_cell(data_copy, "study_codes.csv", 2, "subtheme_id", "T7.1")
    assert any(m.startswith("study_codes.csv:2:subtheme_id: 'T7.1' is a sub-theme of the "
                            "interview_study") for m in messages(data_copy))


def test_rule_interview_order_numbers_without_gaps_and_follows_the_dates(data_copy, package):
    n = len(package["participants"])
    edit_cell(data_copy, "participants.csv", 2, "interview_order", str(n + 5))  # 1 is gone
    assert any(m.startswith(f"participants.csv:interview_order: must number the interviews "
                            f"1 to {n} without gaps; missing: 1") for m in messages(data_copy))
    edit_cell(data_copy, "participants.csv", 2, "interview_order", "2")
    edit_cell(data_copy, "participants.csv", 3, "interview_order", "1")  # swapped, dates not
    found = messages(data_copy)
    assert any(m.startswith("participants.csv:") and "before the interview ordered just ahead"
               in m for m in found), found


def test_rule_framework_ids_and_names_are_consistent(data_copy):
    lines = (data_copy / "framework.csv").read_text().splitlines()
    row = next(i for i, line in enumerate(lines, 1) if ",T1.2," in line)
    edit_cell(data_copy, "framework.csv", row, "theme", "Another name")
    found = messages(data_copy)
    assert any(m.startswith("framework.csv:") and "theme T1 has more than one theme" in m
               for m in found), found
    # A renamed sub-theme, renamed where the papers' codes point to it too.
    edit_cell(data_copy, "framework.csv", row, "theme", lines[row - 1].split(",")[2])
    edit_cell(data_copy, "framework.csv", row, "subtheme_id", "T2.9")
    codes = data_copy / "study_codes.csv"
    codes.write_text(codes.read_text().replace(",T1.2,", ",T2.9,"))
    assert any(m.startswith(f"framework.csv:{row}:subtheme_id: 'T2.9' must start with its "
                            "theme_id 'T1'") for m in messages(data_copy))


def test_rule_cerqual_needs_every_component(data_copy):
    path = data_copy / "cerqual.csv"
    lines = path.read_text().splitlines()
    dropped = next(line for line in lines if line.startswith("T1,coherence,"))
    path.write_text("\n".join(line for line in lines if line != dropped) + "\n")
    assert any("theme T1 lacks coherence" in m for m in messages(data_copy))


def test_load_package_raises_with_report(data_copy):
    edit_cell(data_copy, "participants.csv", 5, "gender", "mal")
    with pytest.raises(DataPackageError) as caught:
        load_package(data_copy)
    assert "participants.csv:5:gender" in str(caught.value)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True,
                          text=True, cwd=paths.ROOT)


def test_cli_validate_exit_codes(data_copy):
    ok = _cli("validate", str(paths.DATA_SYNTHETIC))
    assert ok.returncode == 0 and "valid" in ok.stdout
    edit_cell(data_copy, "participants.csv", 5, "gender", "mal")
    bad = _cli("validate", str(data_copy))
    assert bad.returncode == 2
    assert "participants.csv:5:gender: 'mal' is not an allowed value" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = _cli("validate", "/nonexistent/folder")
    assert missing.returncode == 2 and "folder not found" in missing.stderr
