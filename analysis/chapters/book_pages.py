"""Whether another page of the book is built for this package, to decide what to link.

A build leaves out every page whose needs the package does not meet (``needs`` in
``book/pages.yml``, decided by :mod:`analysis.contract.page_needs` for the build and
the pages alike); a sentence that sends the reader to such a page would point nowhere
(and a Markdown link to it stops the strict build), so a page asks here first and words
its sentence for the book it is in. A build from another pages file names it in
:data:`PAGES_FILE_ENV`.
"""

from __future__ import annotations

from analysis.contract.package import DataPackage
from analysis.contract.page_needs import PAGES_FILE_ENV, PUBLISHED, in_book

__all__ = ["PAGES_FILE_ENV", "PUBLISHED", "glue_links", "in_book", "link"]


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
