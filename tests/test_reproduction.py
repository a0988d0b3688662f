"""The reproduction report: published figures against values computed from the data."""

from __future__ import annotations

import dataclasses

from analysis.chapters import reproduction
from analysis.contract.package import DataPackage
from analysis.contract.published import published_facts


def test_bundled_data_reproduce_every_published_figure(package):
    table = reproduction.reproduction_table(package)
    assert list(table.index) == list(published_facts(package).index)
    summary = reproduction.summarise_reproduction(table)
    assert summary.n_differs == 0, table[table["status"] == "differs"]
    assert summary.n_reproduced == summary.n_checked >= 20
    assert table.loc["overall_quality", "computed"] == "moderate"
    assert table.loc["prevalence_great_britain", "status"] == "context only"


def test_a_differing_count_is_flagged(package):
    people = package["participants"].copy()
    people.loc[people["gender"] == "female", "gender"] = "male"
    changed = dataclasses.replace(package, tables={**package.tables, "participants": people})
    assert isinstance(changed, DataPackage)
    table = reproduction.reproduction_table(changed)
    assert table.loc["men", "status"] == "differs"
    assert table.loc["men", "computed"] == "29"
    summary = reproduction.summarise_reproduction(table)
    assert "Participants who were men" in summary.differing


def test_tolerances():
    assert reproduction._judge("estimate", "7.8", 7.8, 8.2) == ("± 0.5 points", "reproduced")
    assert reproduction._judge("estimate", "7.8", 7.8, 8.4)[1] == "differs"
    assert reproduction._judge("minimum", "2003", 2003, 2005)[1] == "reproduced"
    assert reproduction._judge("label", "moderate", float("nan"), "high")[1] == "differs"
