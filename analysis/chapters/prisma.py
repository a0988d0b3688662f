"""What the Search and selection page says: sentences that read right for any flow."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.stats.prisma import PrismaFlow


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


@dataclass(frozen=True)
class PrismaSentences:
    """Data-dependent wording of the page, glued as ``prisma_text_<field>``."""

    sources: str
    exclusions: str
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
    else:
        verb = "was" if flow.n_excluded_full_text == 1 else "were"
        exclusions = (f"{flow.n_excluded_full_text:,} {verb} excluded for "
                      f"{_n(flow.n_exclusion_reasons, 'reason')}, most often "
                      f"'{flow.top_reason}' ({flow.n_top_reason:,})")
    if flow.n_multi_paper_studies == 0:
        studies = "each paper reports a study of its own"
    else:
        studies = (f"{_n(flow.n_multi_paper_studies, 'study', 'studies')} "
                   f"{'was' if flow.n_multi_paper_studies == 1 else 'were'} reported in more "
                   "than one paper")
    return PrismaSentences(sources=sources, exclusions=exclusions, studies=studies)
