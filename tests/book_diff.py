"""What differs between two builds of the book, as a reader and a re-user see them.

Compares two ``_build`` folders: the visible text of every page (scripts, styles and
the edition stamp left out), every glued value of the executed notebooks (MyST values
read as the words they show, see :func:`tests.myst_source.shown`, and also compared
as source) and every exported table, byte for byte. Used to check that a change which
should only escape text leaves the book as it was:

    python -m tests.book_diff /work/main/_build _build
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from tests.myst_source import shown

# Parts of a page that differ between any two builds: the edition stamp (commit, data
# fingerprint), the Provenance page's hashes and timings, the figures' hashed names.
VOLATILE = re.compile(r"Edition \S+ · commit \S+ · data \S+|_images/\w+\.\w+")


class _Text(HTMLParser):
    SKIP = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        for name, value in attrs:
            if name in ("alt", "title") and value:  # text a reader meets too
                self.parts.append(f"[{name}: {value}]")

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(path: Path) -> list[str]:
    """The visible text of a page, one line per block of words."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    text = VOLATILE.sub("<volatile>", "\n".join(parser.parts))
    return [line for line in (" ".join(chunk.split()) for chunk in text.split("\n")) if line]


def glued_values(executed: Path) -> dict[str, dict[str, str]]:
    """``{"<page>:<name>": {mime type: value}}`` of every glued value."""
    values = {}
    for notebook in sorted(executed.glob("*.ipynb")):
        if notebook.name.endswith(".run.ipynb"):
            continue
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            for output in cell.get("outputs", []):
                record = output.get("metadata", {}).get("scrapbook")
                if record:
                    prefix = record.get("mime_prefix", "")
                    values[f"{notebook.stem}:{record['name']}"] = {
                        mime.removeprefix(prefix): "".join(value) if isinstance(value, list)
                        else str(value) for mime, value in output.get("data", {}).items()
                        if "text/plain" not in mime or "Markdown object" not in str(value)}
    return values


def compare(old: Path, new: Path) -> list[str]:
    """Every difference between the builds ``old`` and ``new`` (``_build`` folders)."""
    out: list[str] = []
    old_html, new_html = old / "html", new / "html"
    pages = sorted({p.relative_to(old_html) for p in old_html.glob("*.html")}
                   | {p.relative_to(new_html) for p in new_html.glob("*.html")})
    for page in pages:
        a, b = old_html / page, new_html / page
        if not (a.exists() and b.exists()):
            out.append(f"page {page}: only in {'new' if b.exists() else 'old'}")
            continue
        if page.name == "provenance.html":
            continue  # hashes, timings and the commit: differ between any two builds
        diff = list(difflib.unified_diff(page_text(a), page_text(b), lineterm="", n=0))
        if diff:
            out.append(f"page {page}:\n  " + "\n  ".join(diff[2:]))
    glued_old, glued_new = glued_values(old / "executed"), glued_values(new / "executed")
    for key in sorted(set(glued_old) | set(glued_new)):
        a, b = glued_old.get(key), glued_new.get(key)
        if a is None or b is None:
            out.append(f"glue {key}: only in {'new' if a is None else 'old'}")
            continue
        for mime in sorted(set(a) | set(b)):
            va, vb = a.get(mime), b.get(mime)
            if va == vb:
                continue
            if mime == "text/markdown" and va is not None and vb is not None \
                    and shown(va) == shown(vb):
                out.append(f"glue {key} ({mime}): same words, source escaped: {vb!r}")
            else:
                out.append(f"glue {key} ({mime}): {va!r} -> {vb!r}")
    old_tables, new_tables = old_html / "tables", new_html / "tables"
    tables = sorted({p.relative_to(old_tables) for p in old_tables.rglob("*.csv")}
                    | {p.relative_to(new_tables) for p in new_tables.rglob("*.csv")})
    for table in tables:
        a, b = old_tables / table, new_tables / table
        if not (a.exists() and b.exists()):
            out.append(f"table {table}: only in {'new' if b.exists() else 'old'}")
        elif a.read_bytes() != b.read_bytes():
            diff = difflib.unified_diff(a.read_text(encoding="utf-8").splitlines(),
                                        b.read_text(encoding="utf-8").splitlines(),
                                        lineterm="", n=0)
            out.append(f"table {table}:\n  " + "\n  ".join(list(diff)[2:]))
    return out


if __name__ == "__main__":
    found = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) if found else "no difference")
    sys.exit(1 if found else 0)
