"""Whether another page of the book is built for this package, to decide what to link.

A build leaves out every page whose tables the package lacks (``needs`` in
``book/pages.yml``); a sentence that sends the reader to such a page would point
nowhere (and a Markdown link to it stops the strict build), so a page asks here first
and words its sentence for the book it is in. A build from another pages file names it
in :data:`PAGES_FILE_ENV`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

from analysis import paths
from analysis.contract.package import DataPackage

PUBLISHED = "study.published"  # a page's need for the study's published figures
PAGES_FILE_ENV = "CEN_BOOK_PAGES_FILE"


@lru_cache(maxsize=4)
def page_needs(pages_file: Path = paths.PAGES) -> dict[str, tuple[str, ...]]:
    """Each page of ``pages.yml`` and what it needs from the package."""
    spec = yaml.safe_load(pages_file.read_text(encoding="utf-8"))
    return {entry["page"]: tuple(entry.get("needs") or ())
            for part in spec["parts"] for entry in part["pages"]}


def in_book(package: DataPackage, page: str, pages_file: Path | None = None) -> bool:
    """Whether the book built on ``package`` has ``page`` (its tables are all present)."""
    needs = page_needs(Path(pages_file or os.environ.get(PAGES_FILE_ENV) or paths.PAGES))
    if page not in needs:
        return False
    return all(bool(package.study.published) if need == PUBLISHED else package.has(need)
               for need in needs[page])


def link(package: DataPackage, page: str, text: str) -> str:
    """MyST for a link to ``page`` when the book has it, else the words alone."""
    return f"[{text}]({page})" if in_book(package, page) else text


def glue_links(package: DataPackage, links: dict[str, tuple[str, str]],
               sentences: dict[str, tuple[str, str]] | None = None) -> None:
    """Glue links (``link_<name>``) and sentences that point at other pages.

    Parameters
    ----------
    links : dict
        name -> (page, words): the words, linked when the book has the page; prose
        writes ``{glue:md}`link_<name>:myst```.
    sentences : dict, optional
        name -> (page, sentence): the sentence (MyST) when the book has the page,
        nothing otherwise, for a sentence that would send the reader nowhere.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    for name, (page, words) in links.items():
        glue(f"link_{name}", Markdown(link(package, page, words)), display=False)
    for name, (page, sentence) in (sentences or {}).items():
        glue(f"sentence_{name}", Markdown(sentence if in_book(package, page) else ""),
             display=False)
