"""The book as one PDF: the edition reviewers and journals ask for as supplementary material.

``python -m analysis pdf`` (``make pdf``, and ``make release``) prints the built website
with Chromium, the browser the book is tested in, into ``_build/pdf/<name>.pdf``:

- a title page: the book's title, the edition, commit and data fingerprint, and the
  synthetic-data notice where the data are synthetic;
- a table of contents with page numbers, each entry a link to its chapter;
- every page of the book in the order of the website's table of contents, each
  starting on a new page, its links to other pages and sections working inside the PDF
  and the rest (downloads) plain text;
- on every page the synthetic-data notice (where it applies) in the top margin, the
  edition and the page number in the bottom margin;
- bookmarks from the headings (Chromium's document outline).

Why Chromium: Jupyter Book 1's PDF routes need LaTeX (texlive-xetex and latexmk, over a
gigabyte of Debian packages, and a second layout of every page to maintain) or pyppeteer,
which downloads a Chromium build of its own at run time. The pages as printed are the
pages as tested (``tests/browser/test_browser.py``), with the book's print style.

The chapters are laid into one HTML document and printed once. The print says on which
page each chapter starts (the PDF's named destinations) and where each entry of the
table of contents is (its link); the page numbers are then written at the end of those
entries (:func:`number_contents`), so the book is laid out once, not twice. Links inside
the document become links inside the PDF. Nothing is fetched: the document reads the
built site's files.
"""

from __future__ import annotations

import html as html_text
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from analysis.engine.errors import BuildError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PRINT_SECONDS = 600  # the longest one print of the whole book may take before it is stopped
CONTENTS_POINTS = 9.5  # size of the page numbers of the table of contents
# Link targets of the other pages are prefixed with the page's name: two pages may both
# have a section "parameters".
ID_SEPARATOR = "--"


@dataclass(frozen=True)
class Chapter:
    """A page of the book as the PDF holds it: its file name, title and part."""

    name: str
    title: str
    part: str = ""


@dataclass(frozen=True)
class PdfEdition:
    """A written PDF edition: where, how many pages, and where each chapter starts."""

    path: Path
    page_count: int
    starts: dict[str, int] = field(default_factory=dict)  # chapter name -> first page (1-based)
    title: str = ""


def find_chromium() -> str | None:
    """The system's Chromium (Debian's ``chromium``), or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Nav(HTMLParser):
    """Parts and chapters of the website's sidebar (its table of contents), in order."""

    def __init__(self, root: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = root
        self.depth = 0  # inside <nav class="... bd-docs-nav">
        self.part = ""
        self.chapters: list[Chapter] = []
        self._caption = False
        self._link: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "nav" and "bd-docs-nav" in classes:
            self.depth = 1
        elif self.depth:
            if tag == "nav":
                self.depth += 1
            if tag == "span" and "caption-text" in classes:
                self._caption, self._text = True, []
            elif tag == "a" and "internal" in classes:
                self._link, self._text = attrs.get("href", ""), []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "nav":
            self.depth -= 1
        elif tag == "span" and self._caption:
            self.part, self._caption = " ".join("".join(self._text).split()), False
        elif tag == "a" and self._link is not None:
            href = urlsplit(self._link).path
            name = self.root if href in ("", "#") else href.removesuffix(".html")
            if "/" not in name and name not in {c.name for c in self.chapters}:
                title = " ".join("".join(self._text).split())
                self.chapters.append(Chapter(name, title, "" if name == self.root else self.part))
            self._link = None

    def handle_data(self, data):
        if self._caption or self._link is not None:
            self._text.append(data)


def root_page(html_dir: Path) -> str:
    """The name of the book's first page (``index.html`` redirects to it)."""
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    found = re.search(r'url=([^"\s>]+)\.html', index)
    return found.group(1) if found else "index"


def chapters(html_dir: Path) -> list[Chapter]:
    """The book's pages in the order of its table of contents, with titles and parts."""
    root = root_page(html_dir)
    nav = _Nav(root)
    nav.feed((html_dir / f"{root}.html").read_text(encoding="utf-8"))
    return [c for c in nav.chapters if (html_dir / f"{c.name}.html").exists()]


def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    if i < 0:
        return ""
    i = text.find(">", i) + 1
    j = text.rfind(end)
    return text[i:j] if j > i else ""


def _file_url(path: Path) -> str:
    return "file://" + quote(str(path.resolve()))


def rewrite(article: str, page: str, known: set[str], html_dir: Path) -> str:
    """One page's article as part of the PDF's document.

    Its ids get the page's name as prefix; a link to a section of a page of the book
    points to that section in the document; a link to anything else that is not on the
    web (a CSV, a notebook, the index) loses its target and reads as its words; images
    are read from the built site.
    """
    def target(match: re.Match) -> str:
        raw = html_text.unescape(match.group(1))
        parts = urlsplit(raw)
        if parts.scheme in ("http", "https", "mailto"):
            return match.group(0)
        fragment = unquote(parts.fragment)
        if not parts.path:
            return f'href="#{page}{ID_SEPARATOR}{html_text.escape(fragment)}"' if fragment \
                else f'href="#{page}"'
        name = parts.path.removesuffix(".html")
        if parts.path.endswith(".html") and name in known:
            anchor = f"{name}{ID_SEPARATOR}{fragment}" if fragment else name
            return f'href="#{html_text.escape(anchor)}"'
        return ""

    def source(match: re.Match) -> str:
        raw = html_text.unescape(match.group(2))
        if urlsplit(raw).scheme or raw.startswith("//"):
            return match.group(0)
        return f'{match.group(1)}="{_file_url(html_dir / unquote(urlsplit(raw).path))}"'

    article = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{page}{ID_SEPARATOR}{m.group(1)}"',
                     article)
    article = re.sub(r'\bhref="([^"]*)"', target, article)
    return re.sub(r'\b(src|data)="([^"]*)"', source, article)


def _css_string(text: str) -> str:
    """Text as a CSS string inside the document's <style>: quotes and backslashes
    escaped, and no "<" that could close the element (a package's title is its own)."""
    text = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("<", "\\3c ").replace(">", "\\3e ") + '"'


def _page_css(notice: str, stamp: str) -> str:
    margins = []
    box = "font: 7.5pt sans-serif; color: #000;"
    if notice:
        margins.append(f"@top-left {{ content: {_css_string(notice)}; {box} "
                       "font-weight: bold; vertical-align: bottom; }")
    if stamp:
        margins.append(f"@bottom-left {{ content: {_css_string(stamp)}; {box} }}")
    margins.append(f'@bottom-right {{ content: "Page " counter(page) " of " counter(pages); '
                   f"{box} }}")
    rules = " ".join(margins)
    return f"""
@page {{ {rules} }}
@page wide {{ {rules} }}
html, body {{ background: #fff !important; }}
.pdf-chapter {{ break-before: page; }}
.pdf-title {{ text-align: center; padding-top: 30mm; }}
.pdf-title__name {{ font-size: 24pt; font-weight: 700; margin: 0 0 8mm; line-height: 1.2; }}
.pdf-title__edition {{ font-size: 11pt; margin: 2mm 0; }}
.pdf-title__notice {{ margin: 14mm auto 0; max-width: 140mm; border: 2px solid #000;
  padding: 4mm; font-weight: 600; text-align: left; }}
.pdf-contents {{ break-before: page; }}
.pdf-contents__title {{ font-size: 16pt; font-weight: 700; margin: 0 0 4mm; }}
.pdf-contents__part {{ font-weight: 700; margin: 4mm 0 1mm; }}
.pdf-contents ol {{ list-style: none; padding: 0; margin: 0; }}
.pdf-contents li a {{ display: flex; gap: 2mm; color: #000 !important;
  text-decoration: none; padding: 0.6mm 0; }}
.pdf-contents li a .pdf-contents__dots {{ flex: 1; border-bottom: 1px dotted #777;
  margin-bottom: 1.2mm; }}
.pdf-contents__page {{ display: inline-block; width: 9mm; }}
"""


def _stylesheets(root_html: str, html_dir: Path) -> list[str]:
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]*>', root_html)
    hrefs = [re.search(r'href="([^"]+)"', link).group(1) for link in links]
    return [_file_url(html_dir / unquote(urlsplit(h).path)) for h in hrefs
            if not urlsplit(h).scheme]


def _edition(html_dir: Path) -> dict:
    try:
        manifest = json.loads((html_dir / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return manifest.get("edition", {})


def document(html_dir: Path, contents: list[Chapter]) -> tuple[str, str]:
    """The whole book as one HTML document to print, and the book's title.

    Each entry of the table of contents ends in room for its page number, which
    :func:`number_contents` writes into the printed PDF.
    """
    root = root_page(html_dir)
    root_html = (html_dir / f"{root}.html").read_text(encoding="utf-8")
    title_found = re.search(r'class="title logo__title">([^<]*)<', root_html)
    title = " ".join(html_text.unescape(title_found.group(1)).split()) if title_found else ""
    notice_found = re.search(r'<div class="bd-header-announcement__content">(.*?)</div>',
                             root_html, flags=re.S)
    notice = " ".join(re.sub(r"<[^>]+>", "", html_text.unescape(notice_found.group(1))).split()) \
        if notice_found else ""
    stamp_found = re.search(r'<p class="edition-stamp">(.*?)</p>', root_html, flags=re.S)
    stamp = " ".join(html_text.unescape(stamp_found.group(1)).split()) if stamp_found else ""
    edition = _edition(html_dir)

    known = {c.name for c in contents}
    body = []
    e = html_text.escape
    body.append('<section class="pdf-title">'
                f'<p class="pdf-title__name">{e(title)}</p>')
    if edition:
        body.append(f'<p class="pdf-title__edition">Edition {e(str(edition.get("version", "")))}'
                    "</p>"
                    f'<p class="pdf-title__edition">Commit {e(str(edition.get("commit", "")))}'
                    "</p>"
                    '<p class="pdf-title__edition">Data fingerprint '
                    f'{e(str(edition.get("data_fingerprint", "")))}</p>')
    elif stamp:
        body.append(f'<p class="pdf-title__edition">{e(stamp)}</p>')
    if notice:
        body.append(f'<p class="pdf-title__notice">{e(notice)}</p>')
    body.append("</section>")

    body.append('<nav class="pdf-contents" aria-label="Contents">'
                '<p class="pdf-contents__title">Contents</p>')
    part = None
    body.append("<ol>")
    for chapter in contents:
        if chapter.part != part and chapter.part:
            body.append(f'</ol><p class="pdf-contents__part">{e(chapter.part)}</p><ol>')
        part = chapter.part
        body.append(f'<li><a href="#{e(chapter.name)}"><span>{e(chapter.title)}</span>'
                    '<span class="pdf-contents__dots"></span>'
                    '<span class="pdf-contents__page"></span></a></li>')
    body.append("</ol></nav>")

    for chapter in contents:
        page_html = (html_dir / f"{chapter.name}.html").read_text(encoding="utf-8")
        article = _between(page_html, '<article class="bd-article"', "</article>")
        body.append(f'<section class="pdf-chapter" id="{e(chapter.name)}">'
                    f"{rewrite(article, chapter.name, known, html_dir)}</section>")

    sheets = "\n".join(f'<link rel="stylesheet" href="{e(href)}">'
                       for href in _stylesheets(root_html, html_dir))
    page = (f'<!DOCTYPE html>\n<html lang="en" data-theme="light" data-mode="light">'
            f'<head><meta charset="utf-8"><title>{e(title)}</title>{sheets}'
            f"<style>{_page_css(notice, stamp)}</style></head>"
            f'<body><main class="bd-main"><div class="bd-article-container">'
            f'<div class="bd-article">{"".join(body)}</div></div></main></body></html>')
    return page, title


def print_to_pdf(chromium: str, source: Path, out: Path) -> Path:
    """Print an HTML file to PDF with headless Chromium, with a document outline."""
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--no-pdf-header-footer",
               "--generate-pdf-document-outline", f"--print-to-pdf={out}", _file_url(source)]
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(command + [f"--user-data-dir={profile}"], capture_output=True,
                              text=True, timeout=PRINT_SECONDS,
                              env={**os.environ, "HOME": profile})
    if done.returncode != 0 or not out.exists():
        raise BuildError(f"Chromium could not print the book ({chromium}, exit "
                         f"{done.returncode}):\n{done.stderr[-2000:]}")
    return out


def chapter_starts(pdf: Path, names: list[str]) -> dict[str, int]:
    """The page (1-based) on which each chapter starts: its named destination."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    pages = {page.indirect_reference.idnum: i + 1 for i, page in enumerate(reader.pages)}
    starts = {}
    for name, destination in reader.named_destinations.items():
        key = name.lstrip("/")
        if key in names and destination.page is not None:
            starts[key] = pages[destination.page.idnum]
    return starts


def _destination(annotation) -> str:
    target = annotation.get("/Dest")
    if target is None and "/A" in annotation:
        target = annotation["/A"].get("/D")
    return str(target).lstrip("/") if isinstance(target, str) else ""


def number_contents(writer, starts: dict[str, int]) -> int:
    """Write each chapter's first page at the right end of its entry in the table of
    contents: the link to the chapter, on the pages before the first chapter.

    The numbers are text in Helvetica (one of the PDF standard fonts, which every reader
    has), right-aligned. Returns how many entries were numbered.
    """
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject,
                               NameObject)

    first = min(starts.values(), default=1)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    numbered = 0
    for page in writer.pages[:first - 1]:
        ops = []
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            name = _destination(annotation)
            if name not in starts:
                continue
            x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
            text = str(starts[name])
            width = 0.556 * CONTENTS_POINTS * len(text)  # Helvetica's digits: 556/1000 em
            y = y0 + (y1 - y0 - 0.7 * CONTENTS_POINTS) / 2
            ops.append(f"BT /FCenContents {CONTENTS_POINTS} Tf 1 0 0 1 {x1 - width:.2f} "
                       f"{y:.2f} Tm ({text}) Tj ET")
            numbered += 1
        if not ops:
            continue
        resources = page["/Resources"]
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts.get_object()[NameObject("/FCenContents")] = font
        # The page's own drawing is wrapped in q ... Q, so that what it leaves of the
        # graphics state (Chromium flips the coordinates) does not move the numbers.
        before, after = DecodedStreamObject(), DecodedStreamObject()
        before.set_data(b"q\n")
        after.set_data(("Q\nq 0 g\n" + "\n".join(ops) + "\nQ\n").encode("ascii"))
        contents = page["/Contents"]
        streams = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) \
            else [contents]
        page[NameObject("/Contents")] = ArrayObject(
            [writer._add_object(before), *streams, writer._add_object(after)])
    return numbered


def build_pdf(html_dir: Path, out: Path, chromium: str | None = None) -> PdfEdition:
    """Print the built book into one PDF.

    Parameters
    ----------
    html_dir : Path
        The built website (``_build/html``).
    out : Path
        The PDF to write.
    chromium : str, optional
        The Chromium to print with; the system's by default.

    Returns
    -------
    PdfEdition

    Raises
    ------
    BuildError
        No book, no Chromium, or a print that failed or lost a chapter.
    """
    import logging

    from pypdf import PdfReader, PdfWriter

    # pypdf warns that Chromium's cross-reference table is a few objects short, which it
    # repairs; the reader of `make pdf` can do nothing about it.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").exists():
        raise BuildError(f"no built book at {html_dir}: run `make book` first")
    chromium = chromium or find_chromium()
    if not chromium:
        raise BuildError("the PDF is printed by Chromium, which is not installed: "
                         "apt-get install chromium (make pdf does so where it can)")
    contents = chapters(html_dir)
    names = [c.name for c in contents]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as work:
        source, printed = Path(work) / "book.html", Path(work) / "book.pdf"
        text, title = document(html_dir, contents)
        source.write_text(text, encoding="utf-8")
        print_to_pdf(chromium, source, printed)
        starts = chapter_starts(printed, names)
        missing = [n for n in names if n not in starts]
        if missing:
            raise BuildError(f"the printed book lacks {', '.join(missing)}")
        reader = PdfReader(str(printed))
        writer = PdfWriter(clone_from=reader)
        numbered = number_contents(writer, starts)
        if numbered != len(names):
            raise BuildError(f"the table of contents numbers {numbered} of {len(names)} "
                             "chapters")
        edition = _edition(html_dir)
        writer.add_metadata({"/Title": title, "/Subject": " · ".join(
            f"{k} {v}" for k, v in edition.items() if k != "synthetic"),
            "/Creator": "analysis.engine.pdf (Chromium)"})
        partial = out.with_name(f".{out.name}.partial")
        with open(partial, "wb") as stream:
            writer.write(stream)
        partial.replace(out)
        return PdfEdition(out, len(reader.pages), starts, title)
