"""Whether another page of the book is built for this package, to decide what to link.

A build leaves out every page whose needs the package does not meet (``needs`` in
``book/pages.yml``, decided by :mod:`analysis.pages.needs` for the build and
the pages alike); a sentence that sends the reader to such a page would point nowhere
(and a Markdown link to it stops the strict build), so a page asks here first and words
its sentence for the book it is in. A build from another pages file names it in
its plan (:func:`analysis.plan.pages_file`).
"""

from __future__ import annotations

from analysis.contract.escape import Myst, myst_name, myst_text
from analysis.contract.package import DataPackage
from analysis.pages.needs import PUBLISHED, in_book

__all__ = ["PUBLISHED", "glue_links", "in_book", "link"]


def link(package: DataPackage, page: str, text: str) -> Myst:
    """MyST for a link to ``page`` when the book has it, else the words alone."""
    if in_book(package, page):
        return Myst("[{}]({})").format(text, myst_name(page))
    return myst_text(text)


def glue_links(package: DataPackage, links: dict[str, tuple[str, str]],
               sentences: dict[str, tuple[str, Myst]] | None = None) -> None:
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
    from myst_nb import glue

    from analysis.chapters.words import markdown

    for name, (page, words) in links.items():
        glue(f"link_{name}", markdown(link(package, page, words), empty=False), display=False)
    for name, (page, sentence) in (sentences or {}).items():
        glue(f"sentence_{name}", markdown(sentence if in_book(package, page) else Myst(""),
                                          empty=False), display=False)
