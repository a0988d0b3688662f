"""ConQual on a package: the fixture typed from Baldwin et al. 2018, the pages a package
gets, and hostile text in the meta-aggregation tables.

The fixture ``qes_fathers_jbi`` holds synthesised finding 1 of Baldwin S, Malone M,
Sandall J, Bick D. Mental health and wellbeing during the transition to fatherhood.
JBI Database Syst Rev Implement Rep 2018;16(11):2118-2191 (PMC6259734), typed from its
Table 2 (three categories, 23 findings marked U or C), and the JBI appraisal of its
Table 1. The stored copy of the paper reachable when the fixture was typed gave neither
the study each finding comes from nor the paper's ConQual Summary of Findings, so the
package declares no published ConQual score and the book computes what the tables allow:
credibility (a mix of unequivocal and credible findings: down one level, so at most
Moderate) and each paper's dependability; the score itself is "not computed", with the
reason.
"""

from __future__ import annotations

import json

import pytest

from analysis import paths
from analysis.chapters import conqual as conqual_page
from analysis.chapters.exercises import answers
from analysis.contract.validation import load_package, validate
from analysis.engine.pages import available_inputs, load_pages, select_pages
from analysis.stats import conqual
from tests.book_diff import page_text

FATHERS = paths.ROOT / "tests" / "fixtures" / "packages" / "qes_fathers_jbi"
CONQUAL_PAGES = {"conqual", "method_conqual"}


@pytest.fixture(scope="module")
def fathers():
    return load_package(FATHERS)


def test_the_fixture_holds_table_2_as_published(fathers):
    findings = fathers["meta_aggregation_findings"]
    cats = fathers["meta_aggregation_categories"].set_index("category_id")
    assert len(fathers["synthesised_findings"]) == 1
    assert cats["category"].tolist() == [
        "Being a father, feeling more of a man",
        "Changed priorities, responsibility and expanded vision",
        "Being a good enough dad and getting it right"]
    # Table 2: 6, 8 and 9 findings; U/C as marked, category by category.
    by_cat = findings.groupby("category_id")["credibility"].apply(list).to_dict()
    u, c = "unequivocal", "credible"
    assert by_cat == {"C1": [u, u, u, c, c, c], "C2": [c, u, c, c, u, u, c, c],
                      "C3": [u, u, c, c, u, u, c, c, c]}


def test_the_fixture_conqual_is_what_its_tables_allow(fathers):
    inputs = conqual_page.conqual_inputs(fathers)
    row = conqual_page.summary(inputs).iloc[0]
    assert (row["n_findings"], row["n_unequivocal"], row["n_credible"]) == (23, 10, 13)
    assert row["credibility_downgrade"] == 1  # a mix of unequivocal and credible
    assert row["status"] == conqual.PAPERS_NOT_REPORTED and row["score"] == ""
    assert row["score_at_most"] == "moderate"
    # Table 1, questions 2, 3, 4, 6, 7: eight papers answer No (or Unclear) to both
    # 6 and 7 (Machin also Unclear to 3: two Yes); the other fourteen have 4-5 Yes.
    dep = inputs.dependability
    labels = fathers.study_labels("studies")
    down_one = sorted(labels[dep.index[dep["downgrade"] == 1]])
    assert down_one == sorted(["Bozlan et al.", "Deave and Johnson", "De Montigny and Lacharité",
                               "Henderson and Brouse", "Henwood and Procter", "Iwata",
                               "Machin", "Shirani and Henwood"])
    assert (dep["downgrade"] == 0).sum() == 14 and (dep["downgrade"] == 2).sum() == 0
    assert dep.loc[labels[labels == "Machin"].index[0], "yes_count"] == 2


def test_the_pages_appear_only_for_a_package_that_declares_findings():
    bundled = json.loads((paths.DATA_SYNTHETIC / paths.DATAPACKAGE_NAME).read_text("utf-8"))
    selection = select_pages(load_pages(), available_inputs(bundled, paths.DATA_SYNTHETIC))
    assert not CONQUAL_PAGES & {p.name for p in selection.pages}
    left = {item.name: item.reason for item in selection.left_out}
    assert "synthesised_findings.csv" in left["conqual"]
    descriptor = json.loads((FATHERS / paths.DATAPACKAGE_NAME).read_text("utf-8"))
    selection = select_pages(load_pages(), available_inputs(descriptor, FATHERS))
    assert CONQUAL_PAGES <= {p.name for p in selection.pages}


def test_a_finding_of_an_unknown_category_is_one_clear_message(tmp_path):
    import shutil

    folder = tmp_path / "pkg"
    shutil.copytree(FATHERS, folder)
    path = folder / "meta_aggregation_findings.csv"
    path.write_text(path.read_text("utf-8").replace(",C3,", ",C9,", 1), "utf-8")
    report = validate(folder)
    assert [(p.file, p.column) for p in report.problems] == [
        ("meta_aggregation_findings.csv", "category_id")]
    assert "'C9' is not a category_id in meta_aggregation_categories.csv" in str(
        report.problems[0])


def test_a_category_without_findings_is_named(tmp_path):
    import shutil

    folder = tmp_path / "pkg"
    shutil.copytree(FATHERS, folder)
    path = folder / "meta_aggregation_findings.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if ",C2," not in line), "utf-8")
    problems = [str(p) for p in validate(folder).problems]
    assert len(problems) == 1 and "'C2' has no finding" in problems[0]
    assert "meta_aggregation_categories.csv" in problems[0]


@pytest.mark.book
def test_the_fixture_book_shows_the_summary_and_the_exercises(fixture_package_book, fathers):
    built = fixture_package_book("qes_fathers_jbi")
    assert built.failure is None, built.failure
    page = " ".join(page_text(built.html / "conqual.html"))
    assert "Not computed (at most Moderate)" in page
    assert "Downgrade one level (10 unequivocal and 13 credible)" in page
    assert "New fatherhood identity: Becoming a father gave men a new identity" in page
    assert "does not say which paper each of its findings comes from" in page
    method = " ".join(page_text(built.html / "method_conqual.html"))
    result = answers("method_conqual", fathers)
    for answer in (result.credibility_answer, result.dependability_answer,
                   result.score_answer):
        assert " ".join(answer.split()) in method


@pytest.mark.book
def test_hostile_meta_aggregation_text_stays_text(hostile_book):
    attacks = hostile_book.hostile.attacks
    page = " ".join(page_text(hostile_book.html / "conqual.html"))
    for where in ("synthesised_findings.csv:synthesised_finding:SF1",
                  "meta_aggregation_categories.csv:category:C1",
                  "meta_aggregation_findings.csv:finding:F1"):
        assert " ".join(attacks[where].split()) in page, where


def test_the_words_read_for_a_package_whose_findings_name_their_papers(tmp_path):
    """A package that names each finding's paper (here the fixture's findings given
    papers by hand: an edited copy, not the published review) is graded in full."""
    import csv
    import shutil

    folder = tmp_path / "pkg"
    shutil.copytree(FATHERS, folder)
    descriptor = json.loads((folder / paths.DATAPACKAGE_NAME).read_text("utf-8"))
    for res in descriptor["resources"]:
        for field in res["schema"]["fields"]:
            if res["name"] == "meta_aggregation_findings" and field["name"] == "study_id":
                field["constraints"].pop("required")
    (folder / paths.DATAPACKAGE_NAME).write_text(json.dumps(descriptor), "utf-8")
    # C1 and C2 from papers S02 and S05 (3 dependability Yes each: down one), C3 from S04
    # (5 Yes); SF2 gets a category of its own, from S04 only.
    papers = {"C1": "S02", "C2": "S05", "C3": "S04"}
    path = folder / "meta_aggregation_findings.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        row["study_id"] = papers[row["category_id"]]
    rows.append({"finding_id": "F24", "finding": "an unequivocal one", "category_id": "C4",
                 "credibility": "unequivocal", "study_id": "S04"})
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    with (folder / "meta_aggregation_categories.csv").open("a", encoding="utf-8") as f:
        f.write("C4,a category,SF2\n")
    with (folder / "synthesised_findings.csv").open("a", encoding="utf-8") as f:
        f.write("SF2,a second finding\n")
    package = load_package(folder)
    inputs = conqual_page.conqual_inputs(package)
    table = conqual_page.summary(inputs)
    # SF1: papers down 1, 1, 0 -> majority down one; U+C down one: High -> Low.
    assert table["score"].tolist() == ["low", "high"]
    words = conqual_page.conqual_words(table, inputs)
    assert words.text == ("The package declares 2 synthesised findings, aggregated from 4 "
                          "categories of 24 findings. All 2 synthesised findings are "
                          "graded: 1 High and 1 Low.")
    view = conqual_page.summary_view(table, inputs).set_index("ConQual score")
    assert view.loc["Low", "Dependability"] == (
        "Downgrade one level (3 contributing papers: 1 with 4-5, 2 with 2-3 and 0 with 0-1 "
        "of the five dependability answers 'Yes')")
    assert exercises_answer(package).score_answer == "SF1 is graded Low."


def exercises_answer(package):
    return answers("method_conqual", package)
