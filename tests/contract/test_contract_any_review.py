"""The data contract serves a review of any condition, appraised with any checklist, from
any year, and says what its sources did not report (issue 24, the contract's side).

Each rule is tested on a copy of the bundled package, changed the way a researcher's
package differs from it, with the message the researcher reads.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from analysis.contract.banding import BandingRule
from analysis.pages.needs import alternatives, choose_pages, missing_needs
from analysis.contract.study import Study, read_study
from analysis.contract.tools import (answer_codes, banding_codes, known_tools, read_tool,
                                     tool_in_force, tool_problems)
from analysis.contract.validation import load_package, validate
from analysis.stats import quality


def _descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def _write(data_dir: Path, descriptor: dict) -> None:
    (data_dir / "datapackage.json").write_text(json.dumps(descriptor, indent=2),
                                               encoding="utf-8")


def _field(descriptor: dict, table: str, column: str) -> dict:
    res = next(r for r in descriptor["resources"] if r["name"] == table)
    return next(f for f in res["schema"]["fields"] if f["name"] == column)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _set_column(data_dir: Path, file: str, column: str, values) -> None:
    """Give a column of a CSV new values (one per row, or a function of the row number)."""
    rows = _rows(data_dir / file)
    i = rows[0].index(column)
    for n, row in enumerate(rows[1:], 1):
        row[i] = values(n) if callable(values) else values[n - 1]
    _write_rows(data_dir / file, rows)


def _add_column(data_dir: Path, file: str, column: str, values) -> None:
    rows = _rows(data_dir / file)
    rows[0].append(column)
    for n, row in enumerate(rows[1:], 1):
        row.append(values(n))
    _write_rows(data_dir / file, rows)


def messages(data_dir: Path) -> list[str]:
    return [str(p) for p in validate(data_dir).problems]


# ------------------------------------------------------------------ the topic


def test_a_package_declares_what_its_review_is_about():
    study, problems = read_study({"study": {
        "condition": "depression after myocardial infarction",
        "population": "adults hospitalised with a myocardial infarction",
        "case_definition": "a score of 8 or more on the HADS depression scale",
        "participant_noun": "patients"}})
    assert problems == []
    assert study.condition_words == "depression after myocardial infarction"
    assert study.case_words == "people with depression after myocardial infarction"
    assert study.participant_words == "patients"
    assert study.case_definition == "a score of 8 or more on the HADS depression scale"


def test_without_a_topic_the_words_are_neutral():
    study = Study()
    assert (study.condition_words, study.population_words, study.case_words,
            study.participant_words) == ("the condition studied", "the population studied",
                                         "cases", "participants")
    assert study.main_prevalence == "all" and study.threshold_percent is None


def test_the_bundled_package_declares_the_source_studies_topic(package):
    assert package.study.condition == "'personality disorder'"
    assert package.study.case_words == "people with any 'personality disorder'"
    assert package.study.main_prevalence == {"setting": "community"}
    assert package.study.threshold_percent == 10


@pytest.mark.parametrize("section, where, words", [
    ({"condition": 3}, "study.condition", "3 must be text in double quotes"),
    ({"prevalence": {"main": {"colour": "red"}}}, "study.prevalence.main",
     "'colour' is not a column of prevalence_studies"),
    ({"prevalence": {"threshold_percent": 150}}, "study.prevalence.threshold_percent",
     "150 must be a percentage between 0 and 100"),
])
def test_a_topic_that_cannot_be_read_is_named(section, where, words):
    _, problems = read_study({"study": section})
    assert [p.column for p in problems] == [where]
    assert words in problems[0].message


# ------------------------------------------------------------------ appraisal tools


def test_the_book_ships_casp_and_two_jbi_checklists():
    assert known_tools() == ("casp_qualitative", "jbi_qualitative", "jbi_prevalence")
    jbi = read_tool("jbi_qualitative")
    assert len(jbi["items"]) == 10 and jbi["items"][8]["short_label"] == "Ethics"
    assert jbi["items"][6]["question"] == ("Is the influence of the researcher on the "
                                           "research, and vice- versa, addressed?")
    assert answer_codes("jbi_prevalence") == ["yes", "unclear", "no", "not_applicable"]
    assert len(read_tool("jbi_prevalence")["items"]) == 9
    assert read_tool("jbi_prevalence")["items"][5]["question"] == (
        "Were valid methods used for the identification of the condition?")
    assert banding_codes("jbi_qualitative") == {"yes": "yes", "unclear": "cant_tell",
                                                "no": "no", "not_applicable": None}
    for tool in known_tools():
        assert read_tool(tool)["method"] and read_tool(tool)["citation"]


def test_an_unknown_tool_is_refused_with_the_tools_known(data_copy):
    descriptor = _descriptor(data_copy)
    descriptor["study"]["appraisal"]["tool"] = "jbi_qual"
    _write(data_copy, descriptor)
    found = messages(data_copy)
    assert found[0].startswith(
        "datapackage.json:study.appraisal.tool: 'jbi_qual' is not an appraisal tool the "
        "book knows; known tools: casp_qualitative, jbi_qualitative, jbi_prevalence; or "
        "declare your own as an object, e.g. {\"tool_id\": \"my_checklist\"")


def test_the_answers_follow_the_tool_in_force_once_per_column(data_copy):
    descriptor = _descriptor(data_copy)
    descriptor["study"]["appraisal"]["tool"] = "jbi_qualitative"
    _write(data_copy, descriptor)
    found = [m for m in messages(data_copy) if ":rating:" in m]
    assert len(found) == 1, found  # one for the column, however many rows
    assert found[0].startswith("casp_ratings.csv:6:rating: 155 rows (lines 6, 18, 34, 36, "
                               "44 and 150 more) hold values that are not allowed: "
                               "'cant_tell' (155 rows); allowed (the appraisal tool 'JBI "
                               "Critical Appraisal Checklist for Qualitative Research'): "
                               "yes, unclear, no, not_applicable.")
    assert "name the tool the papers were appraised with in study.appraisal.tool" in found[0]
    _set_column(data_copy, "casp_ratings.csv", "rating",
                lambda n: {"cant_tell": "unclear"}.get(
                    _rows(data_copy / "casp_ratings.csv")[n][3],
                    _rows(data_copy / "casp_ratings.csv")[n][3]))
    package = load_package(data_copy)
    assert package.categories("casp_ratings", "rating")["unclear"] == "Unclear"
    assert quality.package_tool(package).question_labels()[7] == "Researcher's influence"


def test_a_package_declares_its_own_tool():
    own = {"tool_id": "hawker", "name": "Hawker et al. checklist", "answers": [
        {"code": "good", "label": "Good", "role": "favourable"},
        {"code": "fair", "label": "Fair", "role": "uncertain"},
        {"code": "poor", "label": "Poor", "role": "unfavourable"}],
        "items": [{"item": 1, "question": "Abstract and title?", "short_label": "Abstract"},
                  {"item": 2, "question": "Introduction and aims?", "short_label": "Aims"}]}
    assert tool_problems(own) == []
    assert tool_in_force({"tool": own})["answers"][1]["label"] == "Fair"
    tool = quality.load_tool(own)
    assert tool.title == "Hawker et al. checklist" and tool.banding_answers() == {
        "good": "yes", "fair": "cant_tell", "poor": "no"}


@pytest.mark.parametrize("change, key, words", [
    (lambda t: t.update(tool_id="jbi_qualitative"), "study.appraisal.tool.tool_id",
     "is the identifier of a tool the book ships"),
    (lambda t: t["answers"][0].pop("role"), "study.appraisal.tool.answers[0].role",
     "null is not a role; write one of: favourable, uncertain, unfavourable, "
     "not_applicable"),
    (lambda t: t["items"][1].update(item=3), "study.appraisal.tool.items[1].item",
     "3 must be 2: the questions are numbered 1 to n in order"),
    (lambda t: t["answers"][0].update(role="uncertain"), "study.appraisal.tool.answers",
     "has no favourable answer"),
])
def test_an_own_tool_that_cannot_be_used_is_named(change, key, words):
    own = {"tool_id": "mine", "name": "Mine", "answers": [
        {"code": "yes", "label": "Yes", "role": "favourable"},
        {"code": "no", "label": "No", "role": "unfavourable"}],
        "items": [{"item": 1, "question": "Q?", "short_label": "One"},
                  {"item": 2, "question": "Q?", "short_label": "Two"}]}
    change(own)
    _, problems = read_study({"study": {"appraisal": {"tool": own}}})
    assert any(p.column == key and words in p.message for p in problems), problems


def test_a_banding_rule_counts_each_answer_by_its_role():
    jbi = quality.load_tool("jbi_qualitative")
    rule = BandingRule.from_parameter("default", jbi.question_labels(), jbi.banding_answers())
    answers = {i: "yes" for i in range(1, 11)}
    assert rule.judge(answers).band == "high"
    # Not applicable is left out: neither a Can't tell nor a No.
    assert rule.judge({**answers, 6: "not_applicable"}).band == "high"
    assert rule.judge({**answers, 6: "unclear", 7: "unclear"}).band == "moderate"
    assert rule.judge({**answers, 9: "no"}).band == "low"


# ------------------------------------------------------------------ not reported


def test_an_empty_cell_says_how_to_declare_the_column_optional(data_copy):
    _set_column(data_copy, "studies.csv", "country", lambda n: "" if n <= 3 else "UK")
    found = [m for m in messages(data_copy) if ":country:" in m]
    assert found == [
        "studies.csv:2:country: empty cells in 3 rows (lines 2, 3, 4); a value is required. "
        "If the source did not report it, declare the column optional on its field in "
        "datapackage.json: \"constraints\": {\"required\": false}; an empty cell then "
        "means not reported, and the pages count it."]


def test_not_reported_is_a_value_counted_never_a_problem(data_copy):
    _set_column(data_copy, "studies.csv", "country", lambda n: "" if n <= 3 else "UK")
    _set_column(data_copy, "studies.csv", "n_participants", lambda n: "" if n == 5 else "9")
    descriptor = _descriptor(data_copy)
    for column in ("country", "n_participants"):
        _field(descriptor, "studies", column)["constraints"]["required"] = False
    _write(data_copy, descriptor)
    report = validate(data_copy)
    assert report.ok, report.format()
    assert [str(n) for n in report.notes] == [
        "studies.csv:country: 3 of 29 rows (the column is declared optional: an empty "
        "cell means the source did not report it)",
        "studies.csv:n_participants: 1 of 29 rows (the column is declared optional: an "
        "empty cell means the source did not report it)"]
    package = load_package(data_copy)
    counts = package.not_reported("studies").set_index("column")
    assert counts.loc["country", ["not_reported", "rows"]].tolist() == [3, 29]
    assert package["studies"]["n_participants"].isna().sum() == 1
    assert package["studies"]["country"].isna().sum() == 3  # None, not a placeholder


def test_a_key_or_a_count_the_statistics_need_cannot_be_optional(data_copy):
    descriptor = _descriptor(data_copy)
    _field(descriptor, "prevalence_studies", "cases")["constraints"]["required"] = False
    _write(data_copy, descriptor)
    assert ("datapackage.json:prevalence_studies.cases: constraints.required cannot be "
            "false here: a key or a count the statistics need must be reported on every "
            "row") in messages(data_copy)


def test_a_boolean_not_reported_stays_missing(data_copy):
    _set_column(data_copy, "participants.csv", "ethnic_minority",
                lambda n: "" if n == 2 else _rows(data_copy / "participants.csv")[n][5])
    descriptor = _descriptor(data_copy)
    _field(descriptor, "participants", "ethnic_minority")["constraints"]["required"] = False
    _write(data_copy, descriptor)
    package = load_package(data_copy)
    assert package["participants"]["ethnic_minority"].isna().sum() == 1


# ------------------------------------------------------------------ limits


def test_a_package_widens_a_default_limit(data_copy):
    _set_column(data_copy, "studies.csv", "year", lambda n: "1990" if n == 2 else "2010")
    assert messages(data_copy) == [
        "studies.csv:3:year: 1990 is below the minimum of 2003. The contract's minimum is a "
        "default: if your sources go below it, declare your own on the field 'year' of "
        "resource 'studies' in datapackage.json: \"constraints\": {\"minimum\": 1990}."]
    descriptor = _descriptor(data_copy)
    _field(descriptor, "studies", "year")["constraints"]["minimum"] = 1960
    _write(data_copy, descriptor)
    assert validate(data_copy).ok


def test_a_limit_the_method_fixes_cannot_be_widened(data_copy):
    descriptor = _descriptor(data_copy)
    _field(descriptor, "prevalence_studies", "n")["constraints"]["minimum"] = 0
    _write(data_copy, descriptor)
    assert ("datapackage.json:prevalence_studies.n.constraints.minimum: 0 is below 1, the "
            "minimum the method fixes for n; a package may narrow this limit, never widen "
            "it") in messages(data_copy)


# ------------------------------------------------------------------ vocabularies


def test_a_vocabulary_refusal_comes_once_per_column_with_an_example(data_copy):
    _set_column(data_copy, "prevalence_studies.csv", "design",
                lambda n: "cross_sectional" if n % 3 else "cohort")
    found = [m for m in messages(data_copy) if ":design:" in m]
    assert len(found) == 1
    assert found[0].startswith("prevalence_studies.csv:2:design: ")
    assert "hold values that are not allowed: 'cross_sectional'" in found[0]
    assert "allowed (the contract's defaults): one_stage, two_stage" in found[0]
    assert ("To use your own categories, declare them on the field 'design' of resource "
            "'prevalence_studies' in datapackage.json: \"constraints\": {\"enum\": "
            "[\"cross_sectional\", \"cohort\"]}, \"categoryLabels\": {\"cross_sectional\": "
            "\"Cross sectional\", \"cohort\": \"Cohort\"}.") in found[0]


def test_own_labels_apply_when_the_codes_are_the_contracts(data_copy):
    descriptor = _descriptor(data_copy)
    _field(descriptor, "prevalence_studies", "design")["categoryLabels"] = {
        "one_stage": "Single-phase survey", "two_stage": "Screen, then interview"}
    _write(data_copy, descriptor)
    package = load_package(data_copy)
    assert package.categories("prevalence_studies", "design") == {
        "one_stage": "Single-phase survey", "two_stage": "Screen, then interview"}


def test_a_column_has_the_packages_own_title(data_copy, package):
    assert package.column_title("prevalence_studies", "design") == "Study design"
    descriptor = _descriptor(data_copy)
    _field(descriptor, "prevalence_studies", "design")["title"] = "Case-finding design"
    _write(data_copy, descriptor)
    assert load_package(data_copy).column_title("prevalence_studies",
                                                "design") == "Case-finding design"


# ------------------------------------------------------------------ labels, covariates


def test_studies_are_named_by_their_label_else_their_id(data_copy, package):
    assert package.study_labels("prevalence_studies").iloc[0] == "V01"
    descriptor = _descriptor(data_copy)
    res = next(r for r in descriptor["resources"] if r["name"] == "prevalence_studies")
    res["schema"]["fields"].insert(1, {"name": "label", "type": "string",
                                       "constraints": {"required": False}})
    _write(data_copy, descriptor)
    rows = _rows(data_copy / "prevalence_studies.csv")
    rows[0].insert(1, "label")
    for n, row in enumerate(rows[1:], 1):
        row.insert(1, "Smith 2010" if n == 1 else "")
    _write_rows(data_copy / "prevalence_studies.csv", rows)
    labels = load_package(data_copy).study_labels("prevalence_studies")
    assert labels.iloc[:2].tolist() == ["Smith 2010", "V02"]


def test_a_package_declares_study_level_covariates(data_copy):
    descriptor = _descriptor(data_copy)
    res = next(r for r in descriptor["resources"] if r["name"] == "prevalence_studies")
    res["schema"]["fields"] += [
        {"name": "mean_age", "type": "number", "role": "covariate", "title": "Mean age",
         "unit": "years", "constraints": {"minimum": 0, "maximum": 120}},
        {"name": "instrument", "type": "string", "role": "covariate",
         "constraints": {"enum": ["scid", "cidi"]},
         "categoryLabels": {"scid": "SCID", "cidi": "CIDI"}}]
    _write(data_copy, descriptor)
    _add_column(data_copy, "prevalence_studies.csv", "mean_age",
                lambda n: "" if n == 1 else str(30 + n % 20))
    _add_column(data_copy, "prevalence_studies.csv", "instrument",
                lambda n: "scid" if n % 2 else "cidi")
    package = load_package(data_copy)
    covariates = {c.name: c for c in package.covariates("prevalence_studies")}
    assert covariates["mean_age"].kind == "numeric" and covariates["mean_age"].unit == "years"
    assert covariates["instrument"].categories == {"scid": "SCID", "cidi": "CIDI"}
    assert package["prevalence_studies"]["mean_age"].isna().sum() == 1  # not reported
    _set_column(data_copy, "prevalence_studies.csv", "instrument", lambda n: "MINI")
    found = [m for m in messages(data_copy) if ":instrument:" in m]
    assert len(found) == 1 and "allowed (datapackage.json): scid, cidi" in found[0]
    assert "Add the value to constraints.enum of the field 'instrument'" in found[0]


@pytest.mark.parametrize("declared, words", [
    ({"name": "mean_age", "type": "number"},
     "datapackage.json:prevalence_studies.mean_age: 'mean_age' is not a column of the "
     "contract's table 'prevalence_studies'; to keep it as a study-level covariate (a "
     "subgroup or moderator), add \"role\": \"covariate\" to its declaration"),
    ({"name": "mean_age", "type": "decimal", "role": "covariate"},
     "datapackage.json:prevalence_studies.mean_age.type: \"decimal\" is not a covariate "
     "type; write one of: number, integer, string, boolean"),
    ({"name": "Mean age", "type": "number", "role": "covariate"},
     "datapackage.json:prevalence_studies.Mean age: 'Mean age' cannot name a covariate"),
    ({"name": "country", "type": "string", "role": "covariate"},
     "datapackage.json:prevalence_studies.country: 'country' is a column of the contract"),
])
def test_a_covariate_that_cannot_be_read_is_named(data_copy, declared, words):
    descriptor = _descriptor(data_copy)
    res = next(r for r in descriptor["resources"] if r["name"] == "prevalence_studies")
    res["schema"]["fields"].append(declared)
    _write(data_copy, descriptor)
    assert any(m.startswith(words) for m in messages(data_copy)), messages(data_copy)


# ------------------------------------------------------------------ published figures


def _figure(**keys) -> dict:
    return {"fact_id": "f", "quantity": "q", "value": "28.7", "kind": "estimate",
            "source": "Table 2", **keys}


def test_a_published_figure_names_all_studies_and_its_method():
    figure = _figure(study="prevalence", measure="pooled_prevalence", compare="all",
                     ci_low=22.39, ci_high=35.46,
                     method={"transform": "freeman_tukey", "tau2": "dl",
                             "software": "Stata metaprop"})
    study, problems = read_study({"study": {"published": [figure]}})
    assert problems == [] and study.published[0]["compare"] == "all"
    judgement = _figure(value="moderate to high", kind="range", range=["moderate", "high"],
                        measure="overall_judgement")
    bands = _figure(value="Table 3", kind="table", measure="paper_bands",
                    bands={"S01": "high", "S02": "low"})
    assert read_study({"study": {"published": [dict(judgement, fact_id="j"),
                                               dict(bands, fact_id="b")]}})[1] == []


@pytest.mark.parametrize("figure, key, words", [
    (_figure(measure="pooled_prevalence"), "study.published[0].method",
     "a published pooled estimate needs the method it was computed with"),
    (_figure(measure="pooled_prevalence", method={"transform": "double_arcsine"}),
     "study.published[0].method.transform",
     "\"double_arcsine\" is not a transform the book knows; write one of: logit, "
     "freeman_tukey, arcsine, proportion"),
    (_figure(measure="i2", method={"tau2": "sidik"}), "study.published[0].method.tau2",
     "write one of: dl, pm (computed here) or reml, ml, hs, sj, eb, he (stated, not "
     "computed here)"),
    (_figure(measure="n_studies"), "study.published[0].kind",
     "'estimate' does not fit the measure n_studies; write one of: count, minimum, "
     "approximate"),
    (_figure(kind="range", value="moderate to high", measure="overall_judgement",
             range=["moderate"]), "study.published[0].range", "needs its two ends"),
    (_figure(kind="table", measure="paper_bands", bands={"S01": "excellent"}),
     "study.published[0].bands", "S01: \"excellent\": each band must be one of: high, "
     "moderate, low"),
    (_figure(measure="pooled", method={}), "study.published[0].measure",
     "\"pooled\" is not a measure the book computes"),
    (_figure(compare={"outcome": "actual"}), "study.published[0].compare",
     "'outcome' is not a column of prevalence_studies"),
])
def test_a_published_figure_that_cannot_be_checked_is_named(figure, key, words):
    _, problems = read_study({"study": {"published": [figure]}})
    assert [p.column for p in problems] == [key]
    assert words in problems[0].message


def test_a_figure_compares_on_a_declared_covariate():
    descriptor = {"resources": [{"name": "prevalence_studies", "schema": {"fields": [
        {"name": "outcome", "type": "string", "role": "covariate"}]}}],
        "study": {"published": [_figure(compare={"outcome": "actual"})]}}
    assert read_study(descriptor)[1] == []


def test_published_bands_name_papers_of_the_package(data_copy):
    descriptor = _descriptor(data_copy)
    descriptor["study"]["published"].append(_figure(
        fact_id="bands", value="Table 3", kind="table", measure="paper_bands",
        study="meta_synthesis", bands={"S01": "high", "S99": "low"}))
    _write(data_copy, descriptor)
    assert ("datapackage.json:study.published ('bands').bands: S99 is not a study_id of "
            "studies.csv; name each paper by its study_id") in messages(data_copy)


# ------------------------------------------------------------------ summaries as input


def _summary_package(folder: Path, rows: list[list], multiple: list[str] | None = None):
    from analysis.contract.files import load_contract

    contract = {r["name"]: r for r in load_contract()["resources"]}
    res = json.loads(json.dumps(contract["sample_summary"]))
    res["schema"]["fields"] = [f for f in res["schema"]["fields"] if not f.get("optional")]
    if multiple:
        res["schema"]["fields"][0]["multipleResponse"] = multiple
    folder.mkdir()
    _write(folder, {"profile": "tabular-data-package", "name": "s", "study": {
        "title": "A sample known from its Table 1"}, "resources": [res]})
    _write_rows(folder / "sample_summary.csv", [["characteristic", "category", "n"], *rows])


def test_a_sample_known_only_from_its_published_table(tmp_path):
    _summary_package(tmp_path / "ok", [["Gender", "Women", 12], ["Gender", "Men", 9],
                                       ["Age group", "18-39", 11], ["Age group", "40+", 10]])
    assert validate(tmp_path / "ok").ok
    _summary_package(tmp_path / "short", [["Gender", "Women", 12], ["Gender", "Men", 9],
                                          ["Age group", "18-39", 11]])
    assert messages(tmp_path / "short") == [
        "sample_summary.csv:4:n: the categories of 'Age group' add up to 11, but another "
        "characteristic's add up to 21; add a row with category 'Not reported' for the 10 "
        "people the table does not place"]
    _summary_package(tmp_path / "several", [["Gender", "Women", 12], ["Gender", "Men", 9],
                                            ["Services", "GP", 15], ["Services", "CMHT", 14]],
                     multiple=["Services"])
    assert validate(tmp_path / "several").ok


def test_a_need_with_alternatives_is_met_by_either():
    needs = ("participants|sample_summary", "participant_services|sample_summary")
    assert alternatives(needs[0]) == ("participants", "sample_summary")
    assert missing_needs(needs, {"sample_summary"}) == ()
    assert missing_needs(needs, {"participants", "participant_services"}) == ()
    assert missing_needs(needs, {"participants"}) == ("participant_services|sample_summary",)

    class Page:
        def __init__(self, name, needs):
            self.name, self.needs, self.label = name, needs, name

    kept, left_out = choose_pages([Page("intro", ()), Page("sample", needs)],
                                  {"sample_summary"})
    assert [p.name for p in kept] == ["intro", "sample"] and left_out == []


def test_a_theme_reported_without_sub_themes_is_one_row(data_copy):
    rows = _rows(data_copy / "framework.csv")
    header = rows[0]
    themes = [r for r in rows[1:] if r[0] == "meta_synthesis"]
    first_theme = themes[0][1]
    kept = [r for r in rows[1:] if not (r[0] == "meta_synthesis" and r[1] == first_theme)]
    theme_row = [themes[0][0], first_theme, themes[0][2], first_theme, "", "published"]
    _write_rows(data_copy / "framework.csv", [header, theme_row, *kept])
    codes = _rows(data_copy / "study_codes.csv")
    codes = [codes[0]] + [[r[0], first_theme if r[1].split(".")[0] == first_theme else r[1],
                           r[2]] for r in codes[1:]]
    seen, unique = set(), []
    for r in codes:
        if (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            unique.append(r)
    _write_rows(data_copy / "study_codes.csv", unique)
    descriptor = _descriptor(data_copy)
    _field(descriptor, "framework", "subtheme")["constraints"]["required"] = False
    _write(data_copy, descriptor)
    assert validate(data_copy).ok, validate(data_copy).format()
    # A theme cannot be both: its own row and rows for sub-themes.
    rows = _rows(data_copy / "framework.csv")
    rows.append([themes[0][0], first_theme, themes[0][2], f"{first_theme}.9", "Extra",
                 "published"])
    _write_rows(data_copy / "framework.csv", rows)
    assert any(f"theme {first_theme} has a row for the theme itself" in m
               for m in messages(data_copy))


def test_a_method_the_book_does_not_compute_is_said_so():
    from analysis.contract.published import method_not_computed

    assert method_not_computed({"transform": "freeman_tukey", "tau2": "dl"}) is None
    assert method_not_computed({"tau2": "reml"}) == (
        "the paper estimated tau² by REML, which this book does not compute (it computes "
        "DL and PM)")
