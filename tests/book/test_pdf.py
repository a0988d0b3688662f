"""The book as one PDF (analysis.engine.pdf): printed once from the checkout's book by
Chromium, then read back page by page with pypdf."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from analysis.engine import pdf
from tests.browser.test_browser import pdf_pages_text

pytestmark = [pytest.mark.book, pytest.mark.browser]


# ------------------------------------------------------------------ no browser needed


def _site(tmp_path: Path) -> Path:
    nav = ('<nav class="bd-links bd-docs-nav" aria-label="Main">'
           '<ul><li><a class="reference internal" href="#">About</a></li></ul>'
           '<p class="caption"><span class="caption-text">Analyses</span></p>'
           '<ul><li><a class="reference internal" href="a.html">Page A</a></li>'
           '<li><a class="reference internal" href="b.html">Page B</a></li></ul></nav>')
    (tmp_path / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=intro.html" />')
    for name in ("intro", "a", "b"):
        (tmp_path / f"{name}.html").write_text(f"<html><body>{nav}<article class=\"bd-article\">"
                                               f"<h1>{name}</h1></article></body></html>")
    return tmp_path


def test_the_chapters_are_the_sidebars_pages_in_order_with_their_parts(tmp_path):
    site = _site(tmp_path)
    assert pdf.chapters(site) == [pdf.Chapter("intro", "About"),
                                  pdf.Chapter("a", "Page A", "Analyses"),
                                  pdf.Chapter("b", "Page B", "Analyses")]


def test_links_point_inside_the_document_and_downloads_read_as_words(tmp_path):
    article = ('<section id="results"><a href="#results">here</a> '
               '<a href="b.html#method">there</a> <a href="b.html">B</a> '
               '<a href="tables/a/x.csv" download>CSV</a> <a href="https://doi.org/1">doi</a>'
               '<img src="_images/f.svg" alt="f"></section>')
    out = pdf.rewrite(article, "a", {"a", "b"}, tmp_path)
    assert 'id="a--results"' in out and 'href="#a--results"' in out
    assert 'href="#b--method"' in out and 'href="#b"' in out
    assert "x.csv" not in out and ">CSV</a>" in out  # no link to a file beside the PDF
    assert 'href="https://doi.org/1"' in out
    assert f'src="file://{tmp_path.resolve()}/_images/f.svg"' in out


def test_margin_text_cannot_leave_its_css_string():
    assert pdf._css_string('Say "hi" \\ </style><script>') == \
        '"Say \\"hi\\" \\\\ \\3c /style\\3e \\3c script\\3e "'


# ------------------------------------------------------------------ the whole book


@pytest.fixture(scope="module")
def book_pdf(checkout_book, tmp_path_factory):
    """The checkout's book printed once (the test module's slowest step)."""
    chromium = pdf.find_chromium()
    if chromium is None:
        reason = "NO PDF TEST: chromium is not installed (apt-get install chromium)."
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    made = pdf.build_pdf(checkout_book.html, out, chromium)
    return made, checkout_book.html, pdf_pages_text(made.path)  # text read once


def test_the_pdf_has_a_title_page_contents_and_every_chapter(book_pdf):
    from pypdf import PdfReader

    made, html, texts = book_pdf
    chapters = pdf.chapters(html)
    assert made.page_count == len(texts) > len(chapters) + 2
    edition = json.loads((html / "manifest.json").read_text())["edition"]
    title = texts[0]
    assert made.title and made.title in title
    for value in (edition["version"], edition["commit"], edition["data_fingerprint"]):
        assert str(value) in title
    # The contents list every chapter, then the pages they start on (written into the
    # printed contents, so read after its words), and each of those pages holds the
    # chapter's title.
    contents = " ".join(texts[1:min(made.starts.values()) - 1])
    assert "Contents" in contents
    starts = [made.starts[c.name] for c in chapters]
    assert starts == sorted(starts) and starts[0] > 2
    numbers = iter(int(n) for n in re.findall(r"\b\d+\b", contents))
    assert all(start in numbers for start in starts)  # in this order
    for chapter in chapters:
        assert chapter.title in contents, chapter
        assert chapter.title.split(":")[0] in texts[made.starts[chapter.name] - 1], chapter
    # Bookmarks, from the headings.
    reader = PdfReader(str(made.path))
    assert len(reader.outline) >= len(chapters)


def test_every_page_of_the_pdf_carries_the_notice_edition_and_page_number(book_pdf):
    made, html, texts = book_pdf
    edition = json.loads((html / "manifest.json").read_text())["edition"]
    stamp = (f"Edition {edition['version']} · commit {edition['commit']} · "
             f"data {edition['data_fingerprint']}")
    for number, text in enumerate(texts, start=1):
        assert not edition["synthetic"] or "Synthetic data:" in text, number
        assert stamp in text, number
        assert f"Page {number} of {len(texts)}" in text, number
        assert "Show code cell source" not in text, number


def test_the_pdfs_links_work_inside_it_and_name_no_local_file(book_pdf):
    from pypdf import PdfReader

    made, _, _ = book_pdf
    reader = PdfReader(str(made.path))
    destinations = {name.lstrip("/") for name in reader.named_destinations}
    internal = external = 0
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            uri = annotation.get("/A", {}).get("/URI") if "/A" in annotation else None
            if uri is not None:
                assert not str(uri).startswith("file:"), uri
                external += 1
            else:
                target = pdf._destination(annotation)
                assert target in destinations, target
                internal += 1
    # The contents alone link every chapter; the chapters link each other and sources.
    assert internal > len(made.starts) and external > 0
