"""Publishing a built book: the atomic swap, the manifest, the tables, the kept source.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from analysis.engine.book import BookSource
from analysis.pages.page import Page


def releases() -> list:
    """The archived editions, for the Provenance page."""
    from analysis.engine.editions import list_releases  # reads tables with pandas

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


def write_table_copies(pages: list[Page], executed_dir: Path) -> None:
    """Make the Excel (and Word) copies of the executed pages' tables that are missing
    or older than their CSV (:mod:`analysis.engine.exports`).

    The copies are made beside the executed page's CSV files, once: a page reused from
    the cache brings its copies along. They depend on the executed pages only, so the
    build makes them while Jupyter Book writes the book (:func:`copy_tables` then finds
    them made).
    """
    from analysis.engine.exports import write_copies  # openpyxl, python-docx: only here

    for _, folder in _table_folders(pages, executed_dir):
        for csv_file in sorted(folder.glob("*.csv")):
            xlsx = csv_file.with_suffix(".xlsx")
            if not xlsx.exists() or xlsx.stat().st_mtime_ns < csv_file.stat().st_mtime_ns:
                write_copies(csv_file)


def copy_tables(pages: list[Page], executed_dir: Path, target: Path) -> list[str]:
    """Publish every table a page showed as CSV under ``tables/<page>/``, each with its
    Excel copy (and the manuscript's tables with a Word copy, :mod:`analysis.engine.exports`).

    Returns the CSV files, as the manifest lists them.
    """
    write_table_copies(pages, executed_dir)
    written = []
    for name, folder in _table_folders(pages, executed_dir):
        written += [f"{name}/{csv_file.name}" for csv_file in sorted(folder.glob("*.csv"))]
        shutil.copytree(folder, target / name)
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
