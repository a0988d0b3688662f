"""The reproduction report: published figures against values computed from the data."""

from __future__ import annotations

import dataclasses

from analysis.chapters import reproduction
from analysis.contract.package import DataPackage
from analysis.contract.published import published_facts
from tests.myst_source import shown


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


def _without(package, *tables):
    return dataclasses.replace(package, tables={k: v for k, v in package.tables.items()
                                                if k not in tables})


def test_a_figure_whose_tables_are_absent_is_not_computable(package):
    table = reproduction.reproduction_table(_without(package, "prevalence_studies",
                                                     "participants"))
    assert table.loc["prevalence_community", "status"] == reproduction.NOT_COMPUTABLE
    assert table.loc["men", "status"] == reproduction.NOT_COMPUTABLE
    assert table.loc["men", "computed"] == "–"
    assert table.loc["included_papers", "status"] == "reproduced"
    summary = reproduction.summarise_reproduction(table)
    assert summary.n_not_computable == int((table["status"] == reproduction.NOT_COMPUTABLE).sum())
    assert summary.n_checked == summary.n_reproduced + summary.n_differs
    words = shown(reproduction.summary_paragraph(summary))
    assert f"{summary.n_not_computable} figures are not computable from this package" in words
    # no pooled estimate is checked, so no note on calibrated synthetic studies
    assert reproduction.estimate_note(_without(package, "prevalence_studies"), table) is None


def test_the_page_names_the_packages_reports_and_says_synthetic_only_when_it_is(package):
    text = shown(reproduction.introduction(package))
    assert "from Troup et al. 2020 and Trevillion et al. 2022" in text
    assert "On synthetic data" in text
    real = dataclasses.replace(package, descriptor={**package.descriptor, "synthetic": False})
    assert "synthetic" not in shown(reproduction.introduction(real))
    assert reproduction.estimate_note(real, reproduction.reproduction_table(package)) is None


def test_summary_reads_right_for_one_figure():
    one = reproduction.ReproductionSummary(n_checked=1, n_reproduced=1, n_differs=0,
                                           n_context=1, n_not_computable=1,
                                           differing="none")
    assert shown(reproduction.summary_paragraph(one)) == (
        "Of 1 published figure that the data can check, 1 is reproduced and 0 differ. "
        "1 more figure is cited as context only. 1 figure is not computable from this "
        "package; the table says why.")


def test_a_published_appraisal_table_is_checked_by_its_scores_and_judgement():
    """Baldwin et al. 2018 (tests/fixtures/packages/qes_fathers_jbi) report the papers'
    JBI answers (Table 1), the lowest and highest number of Yes answers (5 and 10) and
    an overall judgement of 'moderate to high'; the paper reports no year or country per
    paper, and the page says so rather than counting none."""
    from pathlib import Path

    from analysis.contract.validation import load_package

    jbi = load_package(Path(__file__).parents[1] / "fixtures" / "packages" / "qes_fathers_jbi")
    table = reproduction.reproduction_table(jbi)
    assert table.loc["lowest_score", ["computed", "status"]].tolist() == ["5", "reproduced"]
    assert table.loc["highest_score", ["computed", "status"]].tolist() == ["10", "reproduced"]
    assert "'Yes' answers of each paper's agreed answers" in table.loc["highest_score", "why"]
    judgement = table.loc["overall_quality"]
    # the default rule bands the median paper low: outside the published range
    assert (judgement["computed"], judgement["tolerance"], judgement["status"]) == (
        "low", "within the range", "differs")
    assert table.loc["studies_uk", "why"] == (
        "no study of this package reports its country (studies.csv: country is empty)")
    assert table.loc["earliest_year", "status"] == reproduction.NOT_COMPUTABLE
