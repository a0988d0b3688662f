"""What the appraisal and quality pages show: tables of words tinted like the figures."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.chapters.page import show_text_table as show
from analysis.plots.quality import cell_tints


def show_text_table(table: pd.DataFrame, caption: str | None = None, tints: bool = False):
    """A table of words (see :func:`analysis.chapters.page.show_text_table`).

    Parameters
    ----------
    table : DataFrame
    caption : str, optional
    tints : bool
        Tint answer cells ("Yes", "Can't tell", "No", "High", ...) in the colours of the
        traffic-light figure, so a long ratings table can be scanned.
    """
    return show(table, caption, cell_tints() if tints else None)


@dataclass(frozen=True)
class ClusteredWords:
    """The sentence of the appraisal page on the clustered interval (glued as ``<prefix>_text``)."""

    text: str


def clustered_words(result) -> ClusteredWords:
    """How the clustered interval of kappa compares with the classical one, in words.

    Parameters
    ----------
    result : analysis.stats.clustered.ClusteredKappa
    """
    return ClusteredWords(_clustered_sentence(result))


def _clustered_sentence(result) -> str:
    if not result.computed:
        return result.note[:1].upper() + result.note[1:] + "."
    ratio = result.width_ratio
    if ratio > 1.1:
        return (f"The interval that resamples papers is {ratio:.2f} times as wide as the "
                "classical one: answers within a paper go together, and the classical "
                "interval overstates the precision of the kappa.")
    if ratio < 0.9:
        return (f"The interval that resamples papers is {ratio:.2f} times as wide as the "
                "classical one: in these data the answers within a paper vary about as "
                "much as answers across papers, so the clustering costs no precision, and "
                "the classical interval is, if anything, cautious.")
    return (f"The two intervals are about as wide (ratio {ratio:.2f}): in these data the "
            "clustering of answers within papers costs little precision.")
