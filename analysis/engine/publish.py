"""Publishing a built book: the atomic swap, the manifest, the tables, the kept source.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.engine.book import BookSource
from analysis.pages.page import Page


def releases() -> list:
    """The archived editions, for the Provenance page."""
    # Not pandas (only comparing two editions reads their tables): the build lists the
    # releases while Jupyter Book runs.
    from analysis.engine.editions import list_releases

    return list_releases()


def keep_source(source: BookSource, kept: Path) -> None:
    """Keep the source of the published book as ``_build/source``."""
    shutil.rmtree(kept, ignore_errors=True)
    source.folder.rename(kept)


def read_manifest(html_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((html_dir / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _table_folders(pages: list[Page], executed_dir: Path) -> list[tuple[str, Path]]:
    folders = [(page.name, executed_dir / f"{page.name}.tables") for page in pages
               if page.notebook]
    return [(name, folder) for name, folder in folders if folder.is_dir()]


def write_table_copies(pages: list[Page], executed_dir: Path,
                       previous: Path | None = None) -> None:
    """Make the Excel (and Word) copies of the executed pages' tables that are missing
    or older than their CSV (:mod:`analysis.engine.exports`).

    The copies are made beside the executed page's CSV files, once: a page reused from
    the cache brings its copies along. A page executed again writes its tables anew,
    most often the same ones: a table whose CSV files are those of the ``previous``
    book's ``tables/`` takes that book's copies (the same cells), which the new book
    then shares (:func:`copy_tree`). The copies depend on the executed pages only, so
    the build makes them while Jupyter Book writes the book (:func:`copy_tables` then
    finds them made).
    """
    from analysis.engine import exports  # openpyxl, python-docx: only when written

    for name, folder in _table_folders(pages, executed_dir):
        for csv_file in sorted(folder.glob("*.csv")):
            xlsx = csv_file.with_suffix(".xlsx")
            if xlsx.exists() and xlsx.stat().st_mtime_ns >= csv_file.stat().st_mtime_ns:
                continue
            if previous is None or not _copies_taken(csv_file, previous / name, exports):
                exports.write_copies(csv_file)


def _copies_taken(csv_file: Path, published: Path, exports) -> bool:
    """Take the copies of a published table made from the same CSV files as ``csv_file``'s."""
    for source in exports.copy_inputs(csv_file):
        old = published / source.name
        if not (old.is_file() and filecmp.cmp(old, source, shallow=False)):
            return False
    copies = exports.copy_files(csv_file)
    if not all((published / copy.name).is_file() for copy in copies):
        return False
    for copy in copies:
        # A copy, not a link: the executed page's files are rewritten where they lie.
        shutil.copyfile(published / copy.name, copy)
    return True


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def copy_tree(source: Path, target: Path, previous: Path | None = None,
              rewrite: Callable[[Path, bytes], bytes] | None = None) -> Path:
    """Copy the folder ``source`` to the new folder ``target``, each file's bytes passed
    through ``rewrite`` (given its path relative to ``source``) when given.

    A file whose bytes are those of the same file in ``previous`` (the published book)
    becomes a second name of that file (a hard link) instead of a copy. After a
    one-file change most of a book's files are unchanged, and on a journalling file
    system removing the old book is then only removing names: freeing the blocks of
    hundreds of files costs more than writing the new pages. Neither book's files are
    written in place afterwards (the new book's are written here, once), so the
    names never show different bytes.
    """
    for folder, _, files in os.walk(source, followlinks=True):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dst = Path(folder) / name, target / relative / name
            old = previous / relative / name if previous is not None else None
            if rewrite is None:
                if (old is not None and old.is_file()
                        and old.stat().st_size == src.stat().st_size
                        and filecmp.cmp(old, src, shallow=False) and _linked(old, dst)):
                    continue
                shutil.copy2(src, dst)
                continue
            raw = src.read_bytes()
            data = rewrite(relative / name, raw)
            if old is not None and _same_bytes(old, data) and _linked(old, dst):
                continue
            dst.write_bytes(data)
            # A rewritten file is new (a server answers a browser's "modified since?"
            # by its time); an unchanged one keeps Sphinx's times, as a copy would.
            (shutil.copystat if data == raw else shutil.copymode)(src, dst)
    return target


def _linked(existing: Path, name: Path) -> bool:
    try:
        os.link(existing, name)
    except OSError:  # another file system, or links not allowed: copy instead
        return False
    return True


def copy_tables(pages: list[Page], executed_dir: Path, target: Path,
                previous: Path | None = None) -> list[str]:
    """Publish every table a page showed as CSV under ``tables/<page>/``, each with its
    Excel copy (and the manuscript's tables with a Word copy, :mod:`analysis.engine.exports`);
    a file unchanged since the ``previous`` book's ``tables/`` is linked (:func:`copy_tree`).

    Returns the CSV files, as the manifest lists them.
    """
    write_table_copies(pages, executed_dir, previous)
    written = []
    for name, folder in _table_folders(pages, executed_dir):
        written += [f"{name}/{csv_file.name}" for csv_file in sorted(folder.glob("*.csv"))]
        copy_tree(folder, target / name, previous / name if previous is not None else None)
    return written


def publish(new_html: Path, html_dir: Path) -> None:
    """Swap the new book into place; the old one is removed only after the swap."""
    html_dir.parent.mkdir(parents=True, exist_ok=True)
    old = html_dir.with_name("html.previous")
    shutil.rmtree(old, ignore_errors=True)
    if html_dir.exists():
        html_dir.rename(old)
    shutil.move(str(new_html), str(html_dir))
    shutil.rmtree(old, ignore_errors=True)


def write_manifest(html_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` beside the HTML of a new book."""
    path = html_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
