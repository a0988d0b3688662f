"""The data dictionary page is read from the contract: it must say what validation enforces."""

from __future__ import annotations

from dataclasses import replace

from analysis.contract import dictionary as dd
from analysis.contract.package import contract_resources
from analysis.contract.rules import RULES


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
    assert list(overview.index) == list(contract_resources())
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
    assert set(rules.index) == {"accepted", "warning", "refused"}
