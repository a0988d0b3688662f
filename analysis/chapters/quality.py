"""What the appraisal and quality pages show: tables of words tinted like the figures."""

from __future__ import annotations

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
