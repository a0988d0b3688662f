"""Reporting cross-walks (PRISMA 2020 and its abstracts, ENTREQ, eMERGe, COREQ, SRQR,
GRIPP2-SF): every item mapped, bad files refused clearly.

That every target exists as a section of the built book is checked in tests/book/test_book.py.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import paths
from analysis.chapters import crosswalk


@pytest.mark.parametrize("key,n_items,n_domains", [("entreq", 21, 5), ("coreq", 32, 3)])
def test_every_item_is_mapped(key, n_items, n_domains):
    table = crosswalk.load_crosswalk(key)
    assert table["item"].tolist() == list(range(1, n_items + 1))
    assert table["domain"].nunique() == n_domains
    assert set(table["status"]) <= set(crosswalk.STATUSES)
    reported = table["status"].isin(crosswalk.REPORTED)
    assert table.loc[reported, "target"].str.contains("#").all()
    assert table.loc[~reported, "note"].str.strip().astype(bool).all()
    summary = crosswalk.summarise(key, table)
    assert (summary.n_reported + summary.n_partly + summary.n_not_applicable
            + summary.n_not_reportable) == n_items


# The items each standard numbers, sub-items included: PRISMA 2020's 27 items are 42
# entries, as its checklist letters them (Page et al. 2021, BMJ 372:n71, Table 1).
PRISMA_ITEMS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10a", "10b", "11", "12",
                "13a", "13b", "13c", "13d", "13e", "13f", "14", "15", "16a", "16b", "17",
                "18", "19", "20a", "20b", "20c", "20d", "21", "22", "23a", "23b", "23c",
                "23d", "24a", "24b", "24c", "25", "26", "27"]


@pytest.mark.parametrize("key,n_items,n_domains", [
    ("prisma_abstract", 12, 6), ("emerge", 19, 7), ("srqr", 21, 6), ("gripp2_sf", 5, 5)])
def test_every_item_of_the_new_checklists_is_mapped(key, n_items, n_domains):
    test_every_item_is_mapped(key, n_items, n_domains)
    assert crosswalk.STANDARDS[key].n_items == n_items


def test_prisma_has_27_items_with_their_sub_items():
    table = crosswalk.load_crosswalk("prisma")
    assert table["item"].tolist() == PRISMA_ITEMS
    assert len({int(item.rstrip("abcdef")) for item in table["item"]}) == 27
    assert table["domain"].unique().tolist() == [
        "Title", "Abstract", "Introduction", "Methods", "Results", "Discussion",
        "Other information"]
    assert set(table["status"]) <= set(crosswalk.STATUSES)
    reported = table["status"].isin(crosswalk.REPORTED)
    assert table.loc[reported, "target"].str.contains("#").all()
    assert table.loc[~reported, "note"].str.strip().astype(bool).all()
    summary = crosswalk.summarise("prisma", table)
    assert summary.n_items == 27 and summary.n_entries == 42
    assert summary.scope == "27 items in 7 domains (42 entries with their sub-items)"
    assert (summary.n_reported + summary.n_partly + summary.n_not_applicable
            + summary.n_not_reportable) == 42
    assert crosswalk.summarise("entreq", crosswalk.load_crosswalk("entreq")).scope == \
        "21 items in 5 domains"


def test_the_published_domain_sizes_of_the_new_checklists():
    def sizes(key):
        return crosswalk.load_crosswalk(key).groupby("domain", sort=False).size().tolist()

    assert sizes("prisma_abstract") == [1, 1, 4, 2, 2, 2]
    assert sizes("emerge") == [4, 4, 2, 2, 2, 2, 3]
    assert sizes("srqr") == [2, 2, 11, 2, 2, 2]
    assert sizes("gripp2_sf") == [1, 1, 1, 1, 1]
    assert crosswalk.load_crosswalk("prisma").groupby("domain", sort=False).size().tolist() \
        == [1, 1, 2, 17, 11, 4, 6]


def test_a_missing_or_unknown_sub_item_is_named(folder):
    path = folder / "prisma.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("13e,")]
    path.write_text("".join(kept).replace("\n20d,", "\n20e,"), encoding="utf-8")
    with pytest.raises(crosswalk.CrosswalkError) as err:
        crosswalk.load_crosswalk("prisma", folder)
    assert "PRISMA 2020 item(s) 13e, 20d are not mapped" in str(err.value)
    assert "prisma.csv:30:item: '20e' is not an item of PRISMA 2020 (1 to 27)" in str(err.value)


def test_gripp2_sf_says_what_a_package_would_need():
    table = crosswalk.load_crosswalk("gripp2_sf")
    unreported = table.loc[~table["status"].isin(crosswalk.REPORTED), "note"]
    assert len(unreported) == 4
    assert unreported.str.contains("a package would need").all()


def test_coreq_keeps_the_published_domain_sizes():
    sizes = crosswalk.load_crosswalk("coreq").groupby("domain", sort=False).size()
    assert sizes.to_dict() == {"Research team and reflexivity": 8, "Study design": 15,
                               "Analysis and findings": 9}


@pytest.fixture
def folder(tmp_path):
    for key in crosswalk.STANDARDS:
        shutil.copy(crosswalk.FOLDER / f"{key}.csv", tmp_path / f"{key}.csv")
    return tmp_path


def rewrite(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unmapped_item_is_named(folder):
    path = folder / "entreq.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("6,")))
    with pytest.raises(crosswalk.CrosswalkError, match=r"ENTREQ item\(s\) 6 are not mapped"):
        crosswalk.load_crosswalk("entreq", folder)


def test_a_reported_item_without_target_is_refused_with_its_row(folder):
    rewrite(folder / "coreq.csv",
            "took part,reported,sample_characteristics#the-interview-sample,\n",
            "took part,reported,,\n")
    with pytest.raises(crosswalk.CrosswalkError, match=r"coreq.csv:13:target: a reported item"):
        crosswalk.load_crosswalk("coreq", folder)


def test_an_unreported_item_needs_a_reason_and_a_known_status(folder):
    rewrite(folder / "coreq.csv", "not reportable from these data,,Qualifications are not "
            "recorded.", "not reportable from these data,,")
    rewrite(folder / "coreq.csv", "4,Research team and reflexivity,Personal characteristics,"
            "The interviewers' gender,not reportable from these data",
            "4,Research team and reflexivity,Personal characteristics,"
            "The interviewers' gender,unknown")
    with pytest.raises(crosswalk.CrosswalkError) as err:
        crosswalk.load_crosswalk("coreq", folder)
    assert "coreq.csv:3:note: say why the item is not reportable from these data" in str(err.value)
    assert "coreq.csv:5:status: 'unknown' is not allowed" in str(err.value)


def test_the_view_links_each_target_and_escapes_text():
    table = crosswalk.load_crosswalk("entreq")
    view = crosswalk.crosswalk_view(table)
    row = view.set_index("Item").loc[9]
    assert row["Where in this book"] == ('<a href="prisma.html#the-flow-of-records">'
                                         'Prisma: the flow of records</a>')
    assert view.set_index("Item").loc[3, "Where in this book"] == "–"
    plain = crosswalk.crosswalk_view(table, links=False).set_index("Item")
    assert plain.loc[9, "Where in this book"] == "prisma#the-flow-of-records"


def test_the_shown_crosswalk_keeps_its_links_and_links_its_plain_csv(tmp_path, monkeypatch):
    folder = tmp_path / "reporting_entreq.run.tables"  # the build's folder for the page
    monkeypatch.setenv(paths.TABLES_DIR_ENV, str(folder))
    shown = crosswalk.show_crosswalk(crosswalk.load_crosswalk("entreq"),
                                     caption="Each item, its status and where this book "
                                             "reports it")
    html = shown._repr_html_()
    name = "each_item_its_status_and_where_this_book_reports_it.csv"
    assert f'href="tables/reporting_entreq/{name}" download>CSV</a>' in html
    assert '<a href="prisma.html#the-flow-of-records">' in html  # not escaped
    assert '<p class="cen-table__caption" aria-hidden="true">Each item, its status' in html
    assert '<caption class="cen-table__name">Each item, its status' in html
    exported = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    assert exported.loc[exported["Item"] == "9", "Where in this book"].tolist() == [
        "prisma#the-flow-of-records"]
    assert len(exported) == 21


def test_an_item_on_a_page_this_book_leaves_out_is_not_reported_in_this_book():
    """Baldwin et al. 2018 (tests/fixtures/packages/qes_fathers_jbi) holds no theme
    framework: the ENTREQ items the theme pages report read "not reported in this book",
    each with the page and what the package lacks; items on pages it has stay reported."""
    from analysis.contract.validation import load_package

    fathers = load_package(paths.ROOT / "tests" / "fixtures" / "packages" / "qes_fathers_jbi")
    table = crosswalk.load_crosswalk("entreq")
    built = crosswalk.as_built(table, fathers)
    gone = built["status"] == crosswalk.NOT_IN_BOOK
    assert gone.any() and (built.loc[gone, "target"] == "").all()
    themes = built.loc[table["target"].str.startswith("themes#")]
    assert (themes["status"] == crosswalk.NOT_IN_BOOK).all()
    assert themes["note"].str.startswith(
        "The page 'Theme frequencies' is left out of this book (no framework.csv").all()
    kept = table["target"].str.startswith("included_papers#")
    assert (built.loc[kept, "status"] == table.loc[kept, "status"]).all()
    summary = crosswalk.summarise("entreq", built)
    assert summary.n_not_in_book == int(gone.sum())
    assert (summary.n_reported + summary.n_partly + summary.n_not_applicable
            + summary.n_not_reportable + summary.n_not_in_book) == 21
    # The bundled package has every page: nothing changes.
    bundled = load_package(paths.ROOT / "data_synthetic")
    assert crosswalk.as_built(table, bundled).equals(table)
