"""Checks of the built website that need no browser: links, HTML cells, local paths.

The real-browser test (``tests/browser/test_browser.py``) drives Chromium over every page; these
checks read the files of ``_build/html`` directly, so they cover every link of every
page in well under a second. Each returns a list of problems, one readable line each
(``page: what is wrong``); an empty list means the site passes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Text inside an element that starts with "<" not followed by a tag name, "/" or "!":
# a literal less-than sign the HTML serialiser should have written as "&lt;".
_RAW_LESS_THAN = re.compile(r"<(?![A-Za-z/!?])")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)


class _Page(HTMLParser):
    """The ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.links.append(value)


def pages_of(html_dir: Path) -> list[Path]:
    """The pages of the book: HTML files outside ``_static`` (theme templates) and
    ``_sources``."""
    html_dir = Path(html_dir)
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.relative_to(html_dir).parts[0] not in ("_static", "_sources"))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(html_dir: Path) -> list[str]:
    """Internal links (``href``/``src``) whose file or ``#anchor`` does not exist.

    Parameters
    ----------
    html_dir : Path
        The built book (``_build/html``).

    Returns
    -------
    list of str
        ``page.html: link -> what is missing``, one per broken link.
    """
    html_dir = Path(html_dir)
    parsed: dict[Path, _Page] = {}

    def page(path: Path) -> _Page:
        path = path.resolve()
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    problems = []
    for source in pages_of(html_dir):
        for link in page(source).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:", "javascript:")):
                continue
            target = (source.parent / unquote(parts.path) if parts.path else source).resolve()
            name = source.relative_to(html_dir)
            if html_dir.resolve() not in target.parents and target != html_dir.resolve():
                problems.append(f"{name}: {link} -> points outside the book")
            elif target.is_dir():
                if not (target / "index.html").exists():
                    problems.append(f"{name}: {link} -> folder without index.html")
            elif not target.exists():
                problems.append(f"{name}: {link} -> no such file")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in page(target).ids:
                    problems.append(f"{name}: {link} -> no element with id "
                                    f"'{unquote(parts.fragment)}'")
    return problems


def raw_less_than(html_dir: Path) -> list[str]:
    """Literal ``<`` characters in the text of pages (invalid HTML, e.g. ``< 0.001``)."""
    problems = []
    for source in pages_of(html_dir):
        text = _SCRIPT_OR_STYLE.sub("", source.read_text(encoding="utf-8"))
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
        for match in _RAW_LESS_THAN.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            snippet = text[max(0, match.start() - 30):match.start() + 30].replace("\n", " ")
            problems.append(f"{source.relative_to(html_dir)}:{line}: raw '<' in {snippet!r}")
    return problems


def local_paths(html_dir: Path, roots: list[Path]) -> list[str]:
    """Files of the site that contain one of ``roots`` (absolute paths of this machine).

    A published book must not say where it was built: the path is meaningless to a
    reader and leaks the builder's account name.
    """
    needles = sorted({str(root) for root in roots if str(root) not in ("", "/")}, key=len,
                     reverse=True)
    problems = []
    for path in sorted(p for p in Path(html_dir).rglob("*") if p.is_file()):
        if path.suffix not in (".html", ".json", ".ipynb", ".csv", ".txt", ".js", ".md"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in needles:
            if needle in text:
                problems.append(f"{path.relative_to(html_dir)}: contains {needle}")
                break
    return problems
