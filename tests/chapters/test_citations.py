"""The book's one reader of BibTeX files: keys, first authors and years."""

from __future__ import annotations

from analysis.chapters.citations import BibEntry, bibliography_entries, bibliography_keys


def test_entries_give_key_first_author_and_year_and_keys_follow_them(tmp_path):
    bib = tmp_path / "references.bib"
    bib.write_text(
        "@article{smith2019care,\n  author = {Smith, Ann and Jones, Bo},\n  year = {2019},\n}\n"
        "@book{ noauthor ,\n  title = {Untitled},\n}\n"
        "@misc{who2021,\n  author = {{World Health Organization}},\n  year = 2021,\n}\n",
        encoding="utf-8")
    assert bibliography_entries(bib) == (
        BibEntry("smith2019care", "Smith", "2019"), BibEntry("noauthor"),
        BibEntry("who2021", "World Health Organization", "2021"))
    assert bibliography_keys(bib) == {"smith2019care", "noauthor", "who2021"}


def test_no_file_is_no_entries(tmp_path):
    assert bibliography_entries(tmp_path / "missing.bib") == ()
    assert bibliography_keys(tmp_path / "missing.bib") == frozenset()
