"""Tables out: Excel and Word copies of the book's tables hold the page's numbers."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from analysis import paths
from analysis.__main__ import main
from analysis.contract.table_files import (ISOQ_EVIDENCE_PROFILE_COLUMNS, ISOQ_SUMMARY_COLUMNS,
                                           manuscript_table, table_siblings)
from analysis.engine.exports import cell_value, write_copies

pytestmark = pytest.mark.book


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_cells_keep_numbers_and_escape_formulas():
    assert cell_value("12") == 12 and cell_value("41.4") == 41.4 and cell_value("-3") == -3
    assert cell_value("S01") == "S01" and cell_value("007") == "007"
    assert cell_value("2003-2009") == "2003-2009"
    assert cell_value("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"


def test_a_csv_gets_an_excel_copy_with_the_same_cells(tmp_path):
    folder = tmp_path / "prisma"
    folder.mkdir()
    path = folder / "counts_of_the_prisma_flow_diagram_box_by_box.csv"
    path.write_text("stage,detail,n\nRecords identified,=cmd|' /C calc'!A0,12\n", "utf-8")
    written = write_copies(path)
    assert [p.suffix for p in written] == [".xlsx", ".docx"]  # a manuscript table
    sheet = load_workbook(written[0]).active
    assert [c.value for c in sheet[2]] == ["Records identified", "'=cmd|' /C calc'!A0", 12]
    table = Document(written[1]).tables[0]
    assert [c.text for c in table.rows[1].cells] == ["Records identified",
                                                      "'=cmd|' /C calc'!A0", "12"]
    siblings = table_siblings("tables/prisma/counts_of_the_prisma_flow_diagram_box_by_box.csv")
    assert siblings.xlsx.endswith(".xlsx") and siblings.docx.endswith(".docx")
    assert table_siblings("tables/prevalence/x.csv").docx is None


@dataclass(frozen=True)
class Exported:
    code: int
    said: str  # what the command printed
    out: Path


@pytest.fixture(scope="module")
def exported(checkout_book, tmp_path_factory) -> Exported:
    """``python -m analysis export`` run once on the checkout's book, for every test here
    that reads what it wrote."""
    out = tmp_path_factory.mktemp("export") / "out"
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = main(["export", "--to", str(out)])
    return Exported(code, said.getvalue(), out)


def test_the_book_publishes_copies_and_export_writes_the_manuscript_tables(exported):
    tables = paths.html_dir() / "tables"
    for csv_file in tables.rglob("*.csv"):
        assert csv_file.with_suffix(".xlsx").exists(), csv_file
    assert exported.code == 0
    assert "wrote 26 files" in exported.said
    sample = csv_rows(next((tables / "sample_characteristics").glob(
        "characteristics_of_the_interview_sample*.csv")))
    sheet = load_workbook(exported.out / "sample_characteristics.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == sample[0]
    assert [[cell_value(c) for c in row] for row in sample[1:]] == values[1:]
    word = Document(exported.out / "sample_characteristics.docx").tables[0]
    assert [[c.text for c in row.cells] for row in word.rows] == sample
    prisma = csv_rows(next((tables / "prisma").glob("counts_of_the_prisma*.csv")))
    sheet = load_workbook(exported.out / "prisma_counts.xlsx").active
    assert [c.value for c in sheet["C"]][1:] == [int(r[2]) for r in prisma[1:]]
    summary = load_workbook(exported.out / "cerqual_summary.xlsx").active
    assert tuple(c.value for c in summary[1]) == ISOQ_SUMMARY_COLUMNS
    book_summary = csv_rows(next((tables / "cerqual").glob("summary_of_qualitative*.csv")))
    assert [r[2].value for r in list(summary.iter_rows())[1:]] == [r[1] for r in book_summary[1:]]
    profile = Document(exported.out / "cerqual_evidence_profile.docx").tables[0]
    assert tuple(c.text for c in profile.rows[0].cells) == ISOQ_EVIDENCE_PROFILE_COLUMNS
    assert len(profile.rows) == len(book_summary)
    entreq = Document(exported.out / "reporting_entreq.docx").tables[0]
    assert "Where in this book" in [c.text for c in entreq.rows[0].cells]


@pytest.mark.parametrize("key", ["prisma", "prisma_abstract", "emerge", "srqr", "gripp2_sf"])
def test_each_reporting_checklist_is_exported_filled_in(exported, key):
    """A journal takes the checklist filled in: the Word and CSV copies hold every item,
    its status and where the book reports it."""
    from analysis.chapters import crosswalk

    assert exported.code == 0
    items = crosswalk.load_crosswalk(key)
    word = Document(exported.out / f"reporting_{key}.docx").tables[0]
    header = [c.text for c in word.rows[0].cells]
    assert header == ["Item", "Domain", "Topic", "What it asks (in our words)", "Status",
                      "Where in this book", "Note"]
    body = [[c.text for c in row.cells] for row in word.rows[1:]]
    assert [row[0] for row in body] == items["item"].astype(str).tolist()
    assert [row[4] for row in body] == items["status"].tolist()
    assert [row[5] for row in body] == items["target"].tolist()
    published = csv_rows(next((paths.html_dir() / "tables" / f"reporting_{key}").glob(
        "each_item*.csv")))
    assert published == [header] + body


def test_every_table_on_a_page_links_its_csv_excel_and_word_files(checkout_book):
    """Below each table a reader finds its CSV and Excel files, and the Word file of a
    table a manuscript needs; every link leads to a file the book publishes."""
    html_dir = paths.html_dir()
    linked = {".csv": 0, ".xlsx": 0, ".docx": 0}
    for page in html_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r'<p class="table-download">(.*?)</p>', text, flags=re.S):
            hrefs = re.findall(r'<a href="([^"]+)" download>', block)
            csvs = [h for h in hrefs if h.endswith(".csv")]
            if not csvs or "tables/multiverse" in csvs[0]:
                continue
            assert csvs[0][:-4] + ".xlsx" in hrefs, (page.name, block)
            if manuscript_table(csvs[0]) is not None:
                assert csvs[0][:-4] + ".docx" in hrefs, (page.name, block)
            for href in hrefs:
                assert (html_dir / html.unescape(href)).is_file(), (page.name, href)
                linked[Path(href).suffix] += 1
    assert linked[".csv"] == linked[".xlsx"] > 20
    assert linked[".docx"] >= 6
