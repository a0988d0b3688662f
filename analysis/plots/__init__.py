"""Figures of the book, one module per chapter.

Every plot function draws on the Axes it is given (a new one when ``ax`` is None) and
returns that Axes. Plots compute nothing a table does not also show: the statistics
come from the analysis modules. One colour-blind-safe palette (seaborn's
``colorblind``, after Okabe and Ito) is used throughout.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = sns.color_palette("colorblind")


def axes_or_new(ax=None, figsize=(7, 3.5)):
    """The given Axes, or a new figure's Axes of ``figsize`` inches."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
