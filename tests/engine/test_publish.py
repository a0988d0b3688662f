"""Publishing a built book (analysis.engine.publish): the copy that shares the files the
published book already has, and the table copies taken from it."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.engine.book import STAMP_MARK, PageStamp
from analysis.engine.provenance import Edition
from analysis.engine.publish import copy_tables, copy_tree, write_table_copies
from analysis.pages.page import Page


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_new_book_shares_the_unchanged_files_of_the_published_one(tmp_path):
    built = _tree(tmp_path / "sphinx", {
        "index.html": f"<p>{STAMP_MARK}</p> new words",
        "same.html": f"<p>{STAMP_MARK}</p> same words",
        "_static/book.css": "p {}",
        "_images/new.svg": "<svg>2</svg>"})
    stamp = Edition("1.2.0", "abc1234", "f00df00df00d", synthetic=True)
    stamped_same = (built / "same.html").read_text().replace(STAMP_MARK, stamp.footer())
    published = _tree(tmp_path / "html", {
        "index.html": "old words",
        "same.html": stamped_same,
        "_static/book.css": "p {}",
        "_images/old.svg": "<svg>1</svg>"})
    stamper = PageStamp(stamp)
    new = copy_tree(built, tmp_path / "html.new", published, stamper)
    assert stamper.stamped == 2
    assert sorted(p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()) == [
        "_images/new.svg", "_static/book.css", "index.html", "same.html"]
    assert (new / "index.html").read_text() == f"<p>{stamp.footer()}</p> new words"
    assert (new / "same.html").read_text() == stamped_same
    # Unchanged files (after stamping) are the published book's own; the others are new.
    assert os.path.samefile(new / "same.html", published / "same.html")
    assert os.path.samefile(new / "_static" / "book.css", published / "_static" / "book.css")
    assert not os.path.samefile(new / "index.html", published / "index.html")
    # Sphinx's output is never shared: it is rewritten in place by the next build.
    assert not any(os.path.samefile(new / name, built / name)
                   for name in ("index.html", "same.html", "_static/book.css"))


def test_without_a_published_book_every_file_is_copied(tmp_path):
    built = _tree(tmp_path / "sphinx", {"a/b.txt": "b", "c.txt": "c"})
    new = copy_tree(built, tmp_path / "new", tmp_path / "missing")
    assert (new / "a" / "b.txt").read_text() == "b" and (new / "c.txt").read_text() == "c"
    assert (new / "c.txt").stat().st_nlink == 1


def test_table_copies_come_from_the_published_book_when_made_from_the_same_csv(tmp_path):
    executed = tmp_path / "executed"
    tables = _tree(executed / "prevalence.tables", {
        "pooled.csv": "estimate\n0.25\n", "studies.csv": "study,cases\nS01,12\n"})
    published = _tree(tmp_path / "html" / "tables" / "prevalence", {
        "pooled.csv": "estimate\n0.25\n", "studies.csv": "study,cases\nS01,11\n"})
    (published / "pooled.xlsx").write_bytes(b"the published copy")
    (published / "studies.xlsx").write_bytes(b"a copy of other cells")
    pages = [Page("prevalence", "Prevalence", notebook="prevalence")]
    write_table_copies(pages, executed, tmp_path / "html" / "tables")
    assert (tables / "pooled.xlsx").read_bytes() == b"the published copy"
    from openpyxl import load_workbook

    sheet = load_workbook(tables / "studies.xlsx").active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["study", "cases"], ["S01", 12]]
    # The published book is not written, and the new one shares its unchanged copy.
    assert (published / "pooled.xlsx").read_bytes() == b"the published copy"
    new = tmp_path / "html.new" / "tables"
    listed = copy_tables(pages, executed, new, tmp_path / "html" / "tables")
    assert listed == ["prevalence/pooled.csv", "prevalence/studies.csv"]
    assert os.path.samefile(new / "prevalence" / "pooled.xlsx", published / "pooled.xlsx")
    assert (new / "prevalence" / "studies.xlsx").read_bytes() == (
        tables / "studies.xlsx").read_bytes()
