"""The pages of the book, as ``book/pages.yml`` (or the pages file a build was given)
lists them: one :class:`Page` type for the engine, the chapters and validation.

A page is a Markdown file of ``book/`` or a notebook template run with one set of
parameters; one template can serve several pages (a main analysis and its sensitivity
analyses). :func:`parse_pages` reads a pages file strictly, for the build, which stops
with the message of the one parser of pages files
(:func:`analysis.pages.pages_file.read_entries`); :func:`read_pages` reads it with the
same parser but forgivingly, for a page or a message that asks which pages the book
has (the build has read the same file first, and said what was wrong with it).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis import paths
from analysis import plan as build_plan
from analysis.contract.errors import InputError
from analysis.pages.pages_file import read_entries
from analysis.pages.template import first_heading, load_template


@dataclass(frozen=True)
class Page:
    """One page of the book: a Markdown file or a notebook run with parameters.

    Attributes
    ----------
    name : str
        The page's file name in the book (letters, digits, ``_`` and ``-``).
    part : str
        The caption of the part of the book it is in.
    notebook : str or None
        Its notebook template in ``book/notebooks/`` (without ``.ipynb``); None for a
        Markdown page of ``book/``.
    title : str or None
        Its title when the pages file gives one (else its heading).
    parameters : dict
        Its parameter set.
    needs : tuple of str
        What the page shows: tables of the data package, ``study.published`` (the
        published figures of its study section) or
        ``casp_ratings.independent_reviewers``; without them the page is left out
        (:mod:`analysis.pages.needs`).
    """

    name: str
    part: str
    notebook: str | None = None
    title: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    @property
    def template(self) -> Path | None:
        """The notebook template's file (None for a Markdown page)."""
        return paths.NOTEBOOKS / f"{self.notebook}.ipynb" if self.notebook else None

    @property
    def label(self) -> str:
        """How the book and its messages name the page: its title, else its notebook's or
        file's first heading, else its name."""
        return page_label(self.name, self.notebook, self.title)


def page_label(name: str, notebook: str | None = None, title: str | None = None) -> str:
    """How the book names a page: its title, else its notebook's or file's heading."""
    if title:
        return title
    heading = None
    if notebook:
        template = paths.NOTEBOOKS / f"{notebook}.ipynb"
        heading = load_template(template).heading if template.exists() else None
    elif (paths.BOOK / f"{name}.md").exists():
        heading = first_heading((paths.BOOK / f"{name}.md").read_text(encoding="utf-8"))
    return heading or name.replace("_", " ").capitalize()


def parse_pages(path: Path = paths.PAGES, notebooks: Path | None = paths.NOTEBOOKS
               ) -> list[Page]:
    """The pages of a pages file, in book order; the first is the book's landing page.

    With ``notebooks`` (the folder of templates), a page's notebook must be one of them.

    Raises
    ------
    InputError
        When the file cannot be read, does not have the shape of a pages file, or names
        a page with other characters than letters, digits, ``_`` and ``-`` or twice.
    """
    try:
        stat = Path(path).stat()
    except OSError:  # read_entries says so
        return list(_parsed_pages(Path(path), notebooks, 0, -1))
    # Read once per version of the file: the build, its book layout and the command line
    # all ask; each caller gets parameters of its own to change.
    return [replace(page, parameters=copy.deepcopy(page.parameters))
            for page in _parsed_pages(Path(path).resolve(), notebooks, stat.st_mtime_ns,
                                      stat.st_size)]


@lru_cache(maxsize=8)
def _parsed_pages(path: Path, notebooks: Path | None, mtime_ns: int, size: int
                  ) -> tuple[Page, ...]:
    pages = [Page(name=entry["page"], part=caption, notebook=entry.get("notebook"),
                  title=entry.get("title"), parameters=dict(entry.get("parameters") or {}),
                  needs=tuple(entry.get("needs") or ()))
             for caption, entry in read_entries(path, notebooks)]
    names = [p.name for p in pages]
    unusable = [n for n in names if not re.fullmatch(r"[A-Za-z0-9_-]+", str(n))]
    if unusable:
        # A page name is a file name in the book and a word on the book build's input.
        raise InputError(f"{path}: page names may use only letters, digits, '_' and '-'; "
                         f"rename: {', '.join(map(repr, unusable))}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path}: page names must be unique; repeated: {', '.join(duplicated)}")
    return tuple(pages)


def pages_file() -> Path:
    """The pages file in force: the build's (its plan's), else ``book/pages.yml``."""
    return build_plan.pages_file()


def read_pages(path: Path | None = None) -> tuple[Page, ...]:
    """The pages of a pages file (the one in force by default), in book order.

    Read as :func:`parse_pages` reads them, but forgiving: a file it refuses gives no
    pages here (the build reads the same file first, and stops with its message).
    """
    path = Path(path or pages_file())
    try:
        stat = path.stat()
    except OSError:
        return ()
    return _read_pages(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_pages(path: Path, mtime_ns: int, size: int) -> tuple[Page, ...]:
    # Keyed by the file's time and size too: a pages file edited in a long-lived process
    # (a test, a kernel kept for many pages) is read again.
    try:
        # A file the build accepted names notebooks that exist: the same parse as the
        # build's, already made in this process when it was the build.
        return tuple(parse_pages(path))
    except InputError:
        pass
    try:
        return tuple(parse_pages(path, notebooks=None))
    except InputError:
        return ()
