"""The data dictionary page is read from the contract: it must say what validation enforces."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analysis.contract import dictionary as dd
from analysis.contract.package import contract_resources
from analysis.contract.rules import RULES
from analysis.contract.validation import load_package
from tests.conftest import declare_categories
from tests.myst_source import shown

FIXTURES = Path(__file__).parents[1] / "fixtures" / "packages"


def test_fields_table_lists_every_column_with_what_is_allowed():
    table = dd.fields_table("participants")
    declared = [f["name"] for f in contract_resources()["participants"]["schema"]["fields"]]
    assert list(table.index) == declared
    assert table.at["gender", "allowed values"] == "female, male, non_binary, not_stated"
    assert table.at["interview_date", "allowed values"] == "YYYY-MM-DD"
    assert table.at["duration_min", "allowed values"] == "1 to 600"
    assert set(table["required"]) <= {"yes", "no"}


def test_allowed_values_in_words():
    assert dd._allowed({"type": "integer", "constraints": {"minimum": 0}}) == "at least 0"
    assert dd._allowed({"type": "number", "constraints": {"maximum": 1}}) == "at most 1"
    assert dd._allowed({"type": "boolean"}) == "true or false"
    assert dd._allowed({"type": "string", "constraints": {"pattern": "S[0-9]+",
                                                          "unique": True}}) == (
        "matches S[0-9]+; unique")
    assert dd._allowed({"type": "string"}) == "any text"


def test_overview_counts_the_rows_of_this_package(package):
    overview = dd.tables_overview(package)
    # Every table of the contract the bundled package holds (all but the published sample
    # summary, which stands in for participants' rows).
    assert list(overview.index) == [t for t in contract_resources() if t in package.tables]
    assert set(contract_resources()) - set(overview.index) == {
        "sample_summary",
        # a JBI meta-aggregation's tables (ConQual): the bundled review synthesises themes
        "synthesised_findings", "meta_aggregation_categories", "meta_aggregation_findings"}
    for name in overview.index:
        assert overview.at[name, "rows"] == len(package[name])
    assert overview.at["participants", "file"] == "participants.csv"


def test_rules_table_is_the_rules_validation_checks():
    assert list(dd.rules_table().index) == [rule.name for rule in RULES]


def test_package_statement_and_invented_list_follow_the_synthetic_flag(package):
    assert dd.package_statement(package).synthetic == "yes, the rows are invented"
    invented = dd.invented_table(package)
    assert len(invented) == len(package.descriptor["invented"]) > 0
    real = replace(package, descriptor={**package.descriptor, "synthetic": False})
    assert dd.package_statement(real).synthetic == "no"
    assert dd.invented_table(real).empty


def test_reading_rules_state_the_limits_that_are_enforced():
    from analysis.contract import reading

    rules = dd.reading_rules()
    text = " ".join(rules["what"]) + " " + " ".join(rules["how"])
    assert f"{reading.MAX_CELL_CHARS:,} characters" in text
    assert f"{reading.MAX_FILE_BYTES:,} bytes" in text
    assert set(rules.index) == {"accepted", "warning", "refused", "exported"}
    assert "CEN_MAX_FILE_BYTES" in text and "never runs it as a formula" in text


# ------------------------------------------------- one package's own tables and words
# (metasynthesis: the fixture package tests/fixtures/packages/metasynthesis_only)


def test_only_the_tables_present_are_described(metasynthesis):
    overview = dd.tables_overview(metasynthesis)
    assert list(overview.index) == ["studies", "casp_ratings", "framework", "study_codes",
                                    "search_flow", "cerqual"]
    assert overview.at["studies", "rows"] == 47
    # the package's own words for what a row is
    assert overview.at["framework", "one row per"] == ("One row per sub-theme of the "
                                                       "meta-synthesis, with its theme.")


def test_only_the_rules_between_tables_present_are_listed(metasynthesis):
    rules = list(dd.rules_table(metasynthesis).index)
    assert rules == ["appraisal complete", "framework", "codes", "PRISMA", "CERQual"]
    assert len(dd.rules_table()) == len(RULES)


def test_the_appraisal_rule_names_the_tool_in_force(metasynthesis):
    """The rule of the ratings names the package's tool; the contract's sentence none."""
    jbi = load_package(FIXTURES / "qes_fathers_jbi")
    rule = dd.rules_table(jbi).at["appraisal complete", "what must hold"]
    assert rule.endswith("every question of the appraisal tool in force. Here: the JBI "
                         "Critical Appraisal Checklist for Qualitative Research, 10 questions.")
    assert "CASP" not in rule
    assert dd.rules_table(metasynthesis).at["appraisal complete", "what must hold"].endswith(
        "Here: the CASP Qualitative Checklist, 10 questions.")
    assert "CASP" not in dd.rules_table().at["appraisal complete", "what must hold"]


def test_the_contract_names_no_condition_and_no_tool():
    """Titles, descriptions and default labels of the contract read right for any review:
    the bundled package declares its own words for the source studies."""
    texts = []
    for res in contract_resources().values():
        texts += [res["title"], res["description"]]
        for f in res["schema"]["fields"]:
            texts += [f.get("title", ""), f.get("description", ""),
                      *f.get("categoryLabels", {}).values()]
    for word in ("CASP", "personality disorder", "complex emotional needs",
                 "clinicians studied", "service-user"):
        assert not [t for t in texts if word in t], word
    assert contract_resources()["casp_ratings"]["title"] == "Quality appraisal"


def test_the_bundled_package_keeps_its_own_labels_and_says_where_they_are(package):
    assert dd.vocabulary(None, "studies", "setting")["specialist"] == (
        "Specialist services for the condition studied")
    assert dd.vocabulary(package, "studies", "setting")["specialist"] == (
        "Specialist 'personality disorder' services")
    table = dd.vocabulary_table(package, "studies")
    assert set(table.loc[table["column"] == "setting", "declared in"]) == {
        dd.RELABELLED_SOURCE}
    assert set(table.loc[table["column"] == "data_collection", "declared in"]) == {
        "the contract's defaults"}
    assert dd.table_description(package, "casp_ratings") == (
        "One row per paper, reviewer and CASP qualitative checklist item.")


def test_every_category_in_force_is_listed_with_where_it_is_declared(data_copy):
    declare_categories(data_copy, "studies", "setting", {
        "specialist": "Specialist teams", "generic": "Generic teams", "other": "Elsewhere"})
    table = dd.vocabulary_table(load_package(data_copy), "studies")
    own = table[table["column"] == "setting"]
    assert own[["order", "code", "label"]].values.tolist() == [
        [1, "specialist", "Specialist teams"], [2, "generic", "Generic teams"],
        [3, "other", "Elsewhere"]]
    assert set(own["declared in"]) == {"datapackage.json"}
    assert set(table.loc[table["column"] == "data_collection", "declared in"]) == {
        "the contract's defaults"}
    fields = dd.fields_table("studies", load_package(data_copy))
    assert fields.at["setting", "allowed values"] == "specialist, generic, other"


def test_a_method_fixes_its_categories_and_real_data_has_no_invented_code(metasynthesis,
                                                                           package):
    ratings = dd.vocabulary_table(metasynthesis, "casp_ratings")
    assert ratings["code"].tolist() == ["yes", "cant_tell", "no"]
    assert set(ratings["declared in"]) == {dd.FIXED_SOURCE}
    real = dd.vocabulary_table(metasynthesis, "framework")
    assert real.loc[real["column"] == "subtheme_source", "code"].tolist() == ["published"]
    generated = dd.vocabulary_table(package, "framework")
    assert generated.loc[generated["column"] == "subtheme_source", "code"].tolist() == [
        "published", "invented"]
    assert "invented" not in dd.fields_table("framework", metasynthesis).at[
        "subtheme_source", "allowed values"]


def test_the_study_section_in_words(metasynthesis, package):
    words = shown(dd.study_section(metasynthesis))
    assert "agreed answers under the reviewer label 'agreed'" in words
    assert "**Fieldwork**: none declared." in words and "**Setting**: none declared." in words
    assert "none declared, so the book has no reproduction report" in words
    for absent in ("ynthetic", "nvented", "England", "COVID"):
        assert absent not in words
    bundled = shown(dd.study_section(package))
    assert "England; a region is called 'English region'" in bundled
    assert "Suspended for the COVID-19 pandemic from 2020-03-01 to 2020-07-14" in bundled
    assert "**Synthetic data**: yes" in bundled
    assert "21 figures, each with its source" in bundled
