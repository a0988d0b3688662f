"""What the Search and selection page says: sentences that read right for any flow."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.chapters.book_pages import in_book
from analysis.chapters.words import count_words as _n
from analysis.chapters.words import markdown
from analysis.contract.escape import Myst
from analysis.contract.package import DataPackage
from analysis.stats.prisma import PrismaFlow


@dataclass(frozen=True)
class PrismaSentences:
    """Data-dependent wording of the page, glued as ``prisma_text_<field>``."""

    sources: str
    duplicates: str
    exclusions: str
    included: str
    studies: str


def prisma_sentences(flow: PrismaFlow) -> PrismaSentences:
    """The sentences of the page whose grammar depends on the counts.

    Parameters
    ----------
    flow : PrismaFlow

    Returns
    -------
    PrismaSentences
    """
    sources = f"{_n(flow.n_identified, 'record')} from {_n(flow.n_sources, 'source')}"
    if flow.n_excluded_full_text == 0:
        exclusions = "none was excluded"
    elif flow.n_excluded_full_text == 1:
        exclusions = f"1 was excluded ('{flow.top_reason}')"
    elif flow.n_exclusion_reasons == 1:
        exclusions = (f"{flow.n_excluded_full_text:,} were excluded, all for one reason: "
                      f"'{flow.top_reason}'")
    else:
        exclusions = (f"{flow.n_excluded_full_text:,} were excluded for "
                      f"{_n(flow.n_exclusion_reasons, 'reason')}, most often "
                      f"'{flow.top_reason}' ({flow.n_top_reason:,})")
    if flow.n_multi_paper_studies == 0:
        studies = "each paper reports a study of its own"
    else:
        studies = (f"{_n(flow.n_multi_paper_studies, 'study', 'studies')} "
                   f"{'was' if flow.n_multi_paper_studies == 1 else 'were'} reported in more "
                   "than one paper")
    duplicates = (f"{_n(flow.n_duplicates_removed, 'duplicate')} "
                  f"{'was' if flow.n_duplicates_removed == 1 else 'were'}")
    return PrismaSentences(sources=sources, duplicates=duplicates, exclusions=exclusions,
                           included=_n(flow.n_included_papers, "paper"), studies=studies)


def related_pages(package: DataPackage):
    """Where else the book counts papers and studies apart: only pages it has."""
    said = []
    if in_book(package, "included_papers"):
        said.append(Myst("the [included papers](included_papers) page describes them"))
    if in_book(package, "themes"):
        said.append(Myst("the [theme frequencies](themes) page counts the support for each "
                         "theme both ways"))
    text = Myst(", and ").join(said)
    return markdown(text.upper_first() + Myst(".")) if text else None
