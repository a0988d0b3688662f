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
pages as tested (``tests/test_browser.py``), with the book's print style.

The chapters are laid into one HTML document, printed twice: the first print says on
which page each chapter starts (the PDF's named destinations), the second prints the
table of contents with those numbers. Links inside the document become links inside
the PDF. Nothing is fetched: the document reads the built site's files.
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
    text = " ".join(text.split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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


def document(html_dir: Path, contents: list[Chapter], starts: dict[str, int]) -> tuple[str, str]:
    """The whole book as one HTML document to print, and the book's title.

    ``starts`` gives the page on which each chapter starts (empty for the first print:
    the table of contents then shows dashes of the same width).
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
        number = str(starts.get(chapter.name, "–" * 3))
        body.append(f'<li><a href="#{e(chapter.name)}"><span>{e(chapter.title)}</span>'
                    f'<span class="pdf-contents__dots"></span><span>{e(number)}</span></a></li>')
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
               "--disable-background-networking", "--allow-file-access-from-files",
               "--no-pdf-header-footer", "--generate-pdf-document-outline",
               f"--print-to-pdf={out}", _file_url(source)]
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
    from pypdf import PdfReader, PdfWriter

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
        starts: dict[str, int] = {}
        for _ in range(3):  # the numbers settle at the second print, unless they move pages
            text, title = document(html_dir, contents, starts)
            source.write_text(text, encoding="utf-8")
            print_to_pdf(chromium, source, printed)
            found = chapter_starts(printed, names)
            if found == starts:
                break
            starts = found
        missing = [n for n in names if n not in starts]
        if missing:
            raise BuildError(f"the printed book lacks {', '.join(missing)}")
        reader = PdfReader(str(printed))
        writer = PdfWriter(clone_from=reader)
        edition = _edition(html_dir)
        writer.add_metadata({"/Title": title, "/Subject": " · ".join(
            f"{k} {v}" for k, v in edition.items() if k != "synthetic"),
            "/Creator": "analysis.engine.pdf (Chromium)"})
        partial = out.with_name(f".{out.name}.partial")
        with open(partial, "wb") as stream:
            writer.write(stream)
        partial.replace(out)
        return PdfEdition(out, len(reader.pages), starts, title)
